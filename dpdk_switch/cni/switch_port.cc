#include "dpdk_switch/cni/switch_port.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <sys/stat.h>

#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/warn.h"

namespace dsw::cni {

namespace {

bool no_such_port(const nlohmann::json &reply) {
    return reply.value("text", std::string()).find("no port named") != std::string::npos;
}

}  // namespace

std::string attachment_name(const std::string &container_id, const std::string &ifname) {
    // FNV-1a, 64 bits, of "id\0ifname"; 48 of them are kept. Two attachments on one host
    // sharing a name would need a 1 in 2^48 coincidence among the few hundred there are.
    uint64_t h = 14695981039346656037ull;
    auto mix = [&h](unsigned char c) {
        h ^= c;
        h *= 1099511628211ull;
    };
    for (char c : container_id) mix(static_cast<unsigned char>(c));
    mix(0);
    for (char c : ifname) mix(static_cast<unsigned char>(c));
    char buf[16];
    std::snprintf(buf, sizeof buf, "dsw%012llx", static_cast<unsigned long long>(h >> 16));
    return buf;
}

Result<SwitchPorts> SwitchPorts::connect(const std::string &socket) {
    struct stat st {};
    if (stat(socket.c_str(), &st) != 0) {
        if (errno == ENOENT)
            return fail("the switch's control socket " + socket + " does not exist (is dpdk_switch running?)",
                        kTryAgainLater);
        return fail("socket " + socket + ": " + std::strerror(errno), kInvalidConfig);
    }
    if (!S_ISSOCK(st.st_mode)) return fail("socket: " + socket + " is not a unix socket", kInvalidConfig);
    auto c = CtlClient::connect(socket);
    if (!c) return fail(c.error().message, kTryAgainLater);
    return SwitchPorts(std::move(c.value()));
}

Result<nlohmann::json> SwitchPorts::call(const std::string &line) {
    auto r = client_.call(line);
    if (!r) return fail("the switch did not answer '" + line + "': " + r.error().message, kTryAgainLater);
    return r.value();
}

Status SwitchPorts::add(const std::string &line) {
    auto r = call(line);
    if (!r) return r.error();
    if (!r->value("ok", false))
        return fail("the switch refused '" + line + "': " + r->value("text", std::string()), kSwitchRefused);
    return Ok{};
}

Result<bool> SwitchPorts::del(const std::string &name) {
    auto r = call("port del " + name);
    if (!r) return r.error();
    if (r->value("ok", false)) return true;
    if (no_such_port(*r)) return false;
    return fail("the switch refused 'port del " + name + "': " + r->value("text", std::string()), kSwitchRefused);
}

Result<std::optional<nlohmann::json>> SwitchPorts::info(const std::string &name) {
    auto r = call("show port info " + name);
    if (!r) return r.error();
    if (!r->value("ok", false)) {
        if (no_such_port(*r)) return std::optional<nlohmann::json>();
        return fail("show port info " + name + ": " + r->value("text", std::string()), kSwitchRefused);
    }
    const nlohmann::json &ports = (*r)["json"]["ports"];
    if (!ports.is_array() || ports.empty()) return std::optional<nlohmann::json>();
    return std::optional<nlohmann::json>(ports[0]);
}

std::string veth_port_add_line(const std::string &name, const NetConf &c) {
    std::string line = "port add " + name + " " + kContainerPortKind + " " + kContainerPortIfaceKey + "=" + name;
    if (c.vlan != 0) line += " vlan=" + std::to_string(c.vlan);
    if (c.mac_limit) line += " mac_limit=" + std::to_string(*c.mac_limit);
    if (c.mtu) line += " mtu=" + std::to_string(*c.mtu);
    return line;
}

Status remove_switch_port(const std::string &socket, const std::string &name) {
    auto not_removed = [&](const std::string &why) { warn("port " + name + " not removed: " + why); };
    auto sw = SwitchPorts::connect(socket);
    if (!sw) {
        not_removed(sw.error().message);
        return Ok{};
    }
    if (auto d = sw->del(name); !d) {
        if (d.error().code != kTryAgainLater) return d.error();
        not_removed(d.error().message);
    }
    return Ok{};
}

}  // namespace dsw::cni
