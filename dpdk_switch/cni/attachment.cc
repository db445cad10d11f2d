// ADD, DEL and CHECK of a veth attachment: the container's interface (a veth whose host end is a
// switch port), its addresses from IPAM, and the port on the switch.
#include "dpdk_switch/cni/attachment.h"

#include <algorithm>
#include <cstdio>

#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/ipam.h"
#include "dpdk_switch/cni/netlink.h"
#include "dpdk_switch/cni/netns.h"
#include "dpdk_switch/cni/socket_attachment.h"
#include "dpdk_switch/cni/switch_port.h"
#include "dpdk_switch/cni/warn.h"

namespace dsw::cni {

namespace {

using nlohmann::json;

// The host end only carries frames to the switch: without IPv6 it sends none of its own
// (router solicitations, MLD), which the switch would learn and flood as a host on the network.
void quiet_host_end(const std::string &name) {
    if (FILE *f = std::fopen(("/proc/sys/net/ipv6/conf/" + name + "/disable_ipv6").c_str(), "w")) {
        std::fputs("1", f);
        std::fclose(f);
    }
}

// What ADD has made so far, undone in reverse when a later step fails: a failed ADD leaves
// nothing behind (the spec also has the runtime call DEL, which then finds nothing).
struct AddUndo {
    const CniEnv &env;
    const NetConf &conf;
    const std::string &raw;
    std::string name;
    Netlink *host = nullptr;
    SwitchPorts *sw = nullptr;
    bool ipam = false, veth = false, port = false;

    Error operator()(Error e) {
        if (port)
            if (auto d = sw->del(name); !d) warn("undoing ADD: " + d.error().message);
        if (veth)
            if (auto d = host->delete_link(name); !d) warn("undoing ADD: " + d.error().message);
        if (ipam)
            if (auto d = run_delegate(conf.ipam_type, env.path, "DEL", raw); !d) warn("undoing ADD: " + d.error().message);
        return e;
    }
};

// The ADD result: the prevResult (if a plugin ran before us) with our interfaces and addresses.
json add_result(const CniEnv &env, const NetConf &conf, const LinkInfo &host_link, const LinkInfo &inner,
                const IpamResult &ipam) {
    json r = conf.prev_result.is_object() ? conf.prev_result : json::object();
    r["cniVersion"] = conf.cni_version;
    if (!r.contains("interfaces")) r["interfaces"] = json::array();
    if (!r.contains("ips")) r["ips"] = json::array();
    const size_t first = r["interfaces"].size();
    r["interfaces"].push_back({{"name", host_link.name}, {"mac", host_link.mac}});
    r["interfaces"].push_back({{"name", inner.name}, {"mac", inner.mac}, {"sandbox", env.netns}});
    for (const IpamIp &ip : ipam.ips) {
        json e = {{"address", ip.address.text()}, {"interface", first + 1}};
        if (ip.gateway) e["gateway"] = ip.gateway->addr_text();
        r["ips"].push_back(e);
    }
    if (ipam.raw.contains("routes")) {
        if (!r.contains("routes")) r["routes"] = json::array();
        for (const json &rt : ipam.raw["routes"]) r["routes"].push_back(rt);
    }
    if (ipam.raw.contains("dns")) r["dns"] = ipam.raw["dns"];
    return r;
}

Status configure_inside(Netlink &inner, const Netns &ns, const std::string &ifname, const IpamResult &ipam,
                        LinkInfo &out) {
    if (auto st = inner.set_up(ifname); !st) return st;
    auto link = inner.link(ifname);
    if (!link) return link.error();
    if (!link->has_value()) return fail(ifname + " vanished from the container right after it was made", kSystemFailure);
    out = **link;
    if (kContainerNeedsTxChecksumOff)
        if (auto st = disable_tx_checksum(ns, ifname); !st) return st;
    for (const IpamIp &ip : ipam.ips)
        if (auto st = inner.add_address(out.index, ip.address); !st) return st;
    for (const Route &r : ipam.routes)
        if (auto st = inner.add_route(out.index, r); !st) return st;
    return Ok{};
}

}  // namespace

Result<json> add_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    if (conf.port != PortMode::veth) return add_socket_attachment(env, conf, raw);
    const std::string name = attachment_name(env.container_id, env.ifname);

    auto ns = Netns::open(env.netns);
    if (!ns) return ns.error();
    auto host = Netlink::open();
    if (!host) return host.error();
    auto inner = Netlink::open_in(*ns);
    if (!inner) return inner.error();
    // The spec: an interface of that name already in the container is an error.
    if (auto l = inner->link(env.ifname); !l) return l.error();
    else if (l->has_value()) return fail("CNI_IFNAME: " + env.ifname + " already exists in " + env.netns, kInvalidEnvironment);
    if (auto l = host->link(name); !l) return l.error();
    else if (l->has_value())
        return fail("host interface " + name + " already exists: this container and ifname are attached already",
                    kSystemFailure);
    // Before anything is made: a switch that is down is "try again later", with nothing to undo.
    auto sw = SwitchPorts::connect(conf.socket);
    if (!sw) return sw.error();
    if (auto p = sw->info(name); !p) return p.error();
    else if (p->has_value()) return fail("the switch already has a port " + name, kSystemFailure);

    AddUndo undo{env, conf, raw, name, &host.value(), &sw.value()};
    IpamResult ipam;
    if (!conf.ipam_type.empty()) {
        // The spec: a delegated plugin whose ADD fails gets a DEL before we return the failure.
        undo.ipam = true;
        auto r = run_delegate(conf.ipam_type, env.path, "ADD", raw);
        if (!r) return undo(r.error());
        auto parsed = parse_ipam_result(*r);
        if (!parsed) return undo(parsed.error());
        ipam = std::move(*parsed);
    }

    VethSpec v{name, env.ifname, &ns.value(), container_mtu(conf), conf.mac};
    if (auto st = host->create_veth(v); !st) return undo(st.error());
    undo.veth = true;
    quiet_host_end(name);
    if (auto st = host->set_up(name); !st) return undo(st.error());
    LinkInfo inside;
    if (auto st = configure_inside(*inner, *ns, env.ifname, ipam, inside); !st) return undo(st.error());
    auto host_link = host->link(name);
    if (!host_link || !host_link->has_value()) return undo(fail("host interface " + name + " vanished", kSystemFailure));

    if (auto st = sw->add(veth_port_add_line(name, conf)); !st) return undo(st.error());
    undo.port = true;
    return add_result(env, conf, **host_link, inside, ipam);
}

Status del_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    if (conf.port != PortMode::veth) return del_socket_attachment(env, conf, raw);
    const std::string name = attachment_name(env.container_id, env.ifname);
    // 1. The port first, so that the switch drains it before its interface goes. A switch that
    // is down has no port to remove: a DEL must still succeed (the spec), and the rest goes.
    Status result = remove_switch_port(conf.socket, name);
    // 2. The veth, through its host end: that takes the container's end too, also when the
    // container's namespace is gone already.
    auto host = Netlink::open();
    if (!host) return host.error();
    if (auto d = host->delete_link(name); !d && result) result = d.error();
    // 3. IPAM, always: its lease outlives everything else otherwise.
    if (!conf.ipam_type.empty())
        if (auto r = run_delegate(conf.ipam_type, env.path, "DEL", raw); !r) return r.error();
    return result;
}

Status check_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw) {
    if (!conf.prev_result.is_object()) return fail("prevResult: CHECK needs the result of ADD", kInvalidConfig);
    if (conf.port != PortMode::veth) return check_socket_attachment(env, conf, raw);
    const std::string name = attachment_name(env.container_id, env.ifname);
    auto bad = [](const std::string &why) { return fail(why, kCheckFailed); };

    // The container's interface: there, up, with ADD's MAC and MTU and every address ADD gave it.
    auto ns = Netns::open(env.netns);
    if (!ns) return ns.error();
    auto inner = Netlink::open_in(*ns);
    if (!inner) return inner.error();
    auto link = inner->link(env.ifname);
    if (!link) return link.error();
    if (!link->has_value()) return bad(env.ifname + " is missing from " + env.netns);
    const LinkInfo &in = **link;
    if (!in.up) return bad(env.ifname + " in " + env.netns + " is down");
    if (in.mtu != container_mtu(conf))
        return bad(env.ifname + " has MTU " + std::to_string(in.mtu) + ", not " + std::to_string(container_mtu(conf)));
    const json &ifaces = conf.prev_result.value("interfaces", json::array());
    std::optional<size_t> index;
    for (size_t i = 0; i < ifaces.size(); ++i)
        if (ifaces[i].value("name", "") == env.ifname && ifaces[i].value("sandbox", "") == env.netns) index = i;
    if (!index) return bad("prevResult lists no interface " + env.ifname + " in " + env.netns);
    if (const std::string mac = ifaces[*index].value("mac", ""); !mac.empty() && mac != in.mac)
        return bad(env.ifname + " has MAC " + in.mac + ", not " + mac);
    auto have = inner->addresses(in.index);
    if (!have) return have.error();
    for (const json &ip : conf.prev_result.value("ips", json::array())) {
        if (ip.value("interface", json()) != json(*index)) continue;
        auto want = parse_prefix(ip.value("address", ""), "prevResult ips[].address");
        if (!want) return want.error();
        if (std::find(have->begin(), have->end(), *want) == have->end())
            return bad(env.ifname + " lacks its address " + want->text());
    }

    // The host end and the switch's port on it.
    auto host = Netlink::open();
    if (!host) return host.error();
    auto hl = host->link(name);
    if (!hl) return hl.error();
    if (!hl->has_value() || (*hl)->kind != "veth") return bad("host interface " + name + " is missing");
    if (!(*hl)->up) return bad("host interface " + name + " is down");
    auto sw = SwitchPorts::connect(conf.socket);
    if (!sw) return sw.error();
    auto port = sw->info(name);
    if (!port) return port.error();
    if (!port->has_value()) return bad("the switch has no port " + name);
    const json &p = **port;
    if (p.value("type", "") != kContainerPortKind)
        return bad("port " + name + " is " + p.value("type", "") + ", not " + kContainerPortKind);
    if (p.value("vlan", 0u) != conf.vlan)
        return bad("port " + name + " is in VLAN " + std::to_string(p.value("vlan", 0u)) + ", not " + std::to_string(conf.vlan));
    if (!p.value("link_up", false)) return bad("port " + name + " is down on the switch");

    if (!conf.ipam_type.empty())
        if (auto r = run_delegate(conf.ipam_type, env.path, "CHECK", raw); !r) return r.error();
    return Ok{};
}

}  // namespace dsw::cni
