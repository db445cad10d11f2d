#include "dpdk_switch/cni/socket_attachment.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/ipam.h"
#include "dpdk_switch/cni/switch_port.h"
#include "dpdk_switch/cni/warn.h"

namespace dsw::cni {

namespace {

using nlohmann::json;

const char *kind_of(PortMode m) { return m == PortMode::vhost ? "vhost" : "memif"; }

std::string container_dir(const NetConf &conf, const std::string &container_id) {
    return conf.socket_dir + "/" + container_id;
}

// The switch is the server on the socket (vhost: the vhost-user back end; memif: role=server,
// interface id 0), so that it makes the socket file, and the container's app connects.
std::string port_add_line(const std::string &name, const NetConf &conf, const std::string &sock) {
    std::string line = "port add " + name + " " + kind_of(conf.port) + " ";
    line += conf.port == PortMode::vhost ? "path=" + sock : "socket=" + sock + " id=0 role=server";
    if (conf.vlan != 0) line += " vlan=" + std::to_string(conf.vlan);
    if (conf.mac_limit) line += " mac_limit=" + std::to_string(*conf.mac_limit);
    return line;
}

Status make_dir(const std::string &path) {
    if (mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) return Ok{};
    return fail("socket_dir: cannot make " + path + ": " + std::strerror(errno), kSystemFailure);
}

// The socket file, and the container's directory when it holds nothing else.
void remove_socket(const NetConf &conf, const std::string &container_id, const std::string &sock) {
    if (unlink(sock.c_str()) != 0 && errno != ENOENT) warn("cannot remove " + sock + ": " + std::strerror(errno));
    rmdir(container_dir(conf, container_id).c_str());
}

bool is_socket(const std::string &path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

std::string attachment_socket(const NetConf &conf, const std::string &container_id, const std::string &ifname) {
    return container_dir(conf, container_id) + "/" + ifname + ".sock";
}

Result<json> add_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    const std::string name = attachment_name(env.container_id, env.ifname);
    const std::string sock = attachment_socket(conf, env.container_id, env.ifname);
    if (sock.size() >= sizeof(sockaddr_un{}.sun_path))
        return fail("socket_dir: " + sock + " is longer than a unix socket path may be", kInvalidConfig);
    struct stat st {};
    if (lstat(sock.c_str(), &st) == 0) return fail(sock + " exists already: this container and ifname are attached", kSystemFailure);
    auto sw = SwitchPorts::connect(conf.socket);
    if (!sw) return sw.error();
    if (auto p = sw->info(name); !p) return p.error();
    else if (p->has_value()) return fail("the switch already has a port " + name, kSystemFailure);

    bool ipam_done = false, dir_made = false;
    auto undo = [&](Error e) {
        if (dir_made) remove_socket(conf, env.container_id, sock);
        if (ipam_done)
            if (auto d = run_delegate(conf.ipam_type, env.path, "DEL", raw); !d) warn("undoing ADD: " + d.error().message);
        return e;
    };
    IpamResult ipam;
    if (!conf.ipam_type.empty()) {
        ipam_done = true;   // the spec: a failed delegated ADD gets a DEL too
        auto r = run_delegate(conf.ipam_type, env.path, "ADD", raw);
        if (!r) return undo(r.error());
        auto parsed = parse_ipam_result(*r);
        if (!parsed) return undo(parsed.error());
        ipam = std::move(*parsed);
    }
    if (auto st = make_dir(conf.socket_dir); !st) return undo(st.error());
    if (auto st = make_dir(container_dir(conf, env.container_id)); !st) return undo(st.error());
    dir_made = true;
    if (auto st = sw->add(port_add_line(name, conf, sock)); !st) return undo(st.error());

    json r = {{"cniVersion", conf.cni_version},
              {"interfaces", json::array({{{"name", env.ifname}, {"socketPath", sock}, {"sandbox", env.netns}}})},
              {"ips", json::array()}};
    for (const IpamIp &ip : ipam.ips) {
        json e = {{"address", ip.address.text()}, {"interface", 0}};
        if (ip.gateway) e["gateway"] = ip.gateway->addr_text();
        r["ips"].push_back(e);
    }
    if (ipam.raw.contains("routes")) r["routes"] = ipam.raw["routes"];
    if (ipam.raw.contains("dns")) r["dns"] = ipam.raw["dns"];
    return r;
}

Status del_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    const std::string name = attachment_name(env.container_id, env.ifname);
    Status result = remove_switch_port(conf.socket, name);
    remove_socket(conf, env.container_id, attachment_socket(conf, env.container_id, env.ifname));
    if (!conf.ipam_type.empty())
        if (auto r = run_delegate(conf.ipam_type, env.path, "DEL", raw); !r) return r.error();
    return result;
}

Status check_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    const std::string name = attachment_name(env.container_id, env.ifname);
    const std::string sock = attachment_socket(conf, env.container_id, env.ifname);
    if (!is_socket(sock)) return fail("the socket " + sock + " is missing", kCheckFailed);
    auto sw = SwitchPorts::connect(conf.socket);
    if (!sw) return sw.error();
    auto port = sw->info(name);
    if (!port) return port.error();
    if (!port->has_value()) return fail("the switch has no port " + name, kCheckFailed);
    if ((**port).value("type", "") != kind_of(conf.port))
        return fail("port " + name + " is " + (**port).value("type", "") + ", not " + kind_of(conf.port), kCheckFailed);
    if ((**port).value("vlan", 0u) != conf.vlan) return fail("port " + name + " is in another VLAN", kCheckFailed);
    if (!conf.ipam_type.empty())
        if (auto r = run_delegate(conf.ipam_type, env.path, "CHECK", raw); !r) return r.error();
    return Ok{};
}

}  // namespace dsw::cni
