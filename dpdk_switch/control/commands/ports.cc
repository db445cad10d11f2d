// Commands on ports: show port info|stats, clear port stats, port add|del.
#include <optional>

#include <rte_ethdev.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/offload_caps.h"
#include "dpdk_switch/ports/port_kind.h"
#include "../config_fields.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

std::variant<std::vector<const SwitchPort *>, Error> select_ports(Switch &sw, const std::string &which) {
    if (which == "all") return sw.ports();
    if (const SwitchPort *sp = sw.port(which)) return std::vector<const SwitchPort *>{sp};
    return fail("no port named '" + which + "'");
}

namespace {

// Ports whose link is a software peer: link up means the peer is connected (vhost: a
// virtio-user/VM attached its rings; memif: the other side connected; virtio_user: the backend
// accepted us). Other kinds have no peer to show.
const char *peer_state(PortType t, bool link_up) {
    if (!port_kind(t).peer) return nullptr;
    return link_up ? "connected" : "disconnected";
}

std::string attached_to(const PortConfig &pc) {
    const PortKind &k = port_kind(pc.type);
    return k.peer_of != nullptr ? k.peer_of(pc) : "";
}

// The remote VTEPs `which` names: all of them for "all", the one called `vtep:<IP>` (its name in
// `show mac table`), or none.
std::vector<const VtepState *> vteps_named(const Switch &sw, const std::string &which) {
    std::vector<const VtepState *> out;
    if (const VxlanState *vx = sw.vxlan())
        for (const auto &[ip, t] : vx->vteps)
            if (which == "all" || which == "vtep:" + ipv4_to_string(ip)) out.push_back(&t);
    return out;
}

// A remote VTEP's row, after the ports' as OVS lists its tunnel ports among a bridge's: the
// inner frames it sent and received and its drops, as `show vxlan` counts them. No rates, PMD
// or kernel counters: it is no device (the underlay port's row counts the outer packets).
json vtep_stats(Switch &sw, const VtepState &t) {
    const PortTotals p = sw.vtep_totals(t.index);
    return {{"name", sw.port_name(t.index)},
            {"vtep", true},
            {"rx_packets", p.rx_packets},
            {"tx_packets", p.tx_packets},
            {"rx_bytes", p.rx_bytes},
            {"tx_bytes", p.tx_bytes},
            {"csum_completed", p.csum_completed},
            {"gso_segmented", p.gso_segmented},
            {"drops", drops_json(p.drops)}};
}

// The ports `which` names (a VTEP's name names no port), or why none.
std::variant<std::vector<const SwitchPort *>, Error> ports_and_vteps(Switch &sw, const std::string &which,
                                                                    const std::vector<const VtepState *> &vteps) {
    if (!vteps.empty() && which != "all") return std::vector<const SwitchPort *>{};
    return select_ports(sw, which);
}

}  // namespace

Answer show_port_stats(Switch &sw, const Args &a) {
    const std::vector<const VtepState *> vteps = vteps_named(sw, a[3]);
    auto sel = ports_and_vteps(sw, a[3], vteps);
    if (auto *err = std::get_if<Error>(&sel)) return *err;
    json r;
    r["ports"] = json::array();
    for (const SwitchPort *sp : std::get<0>(sel)) {
        const Switch::PortSnapshot s = sw.port_snapshot(sp->index);
        const PortTotals &p = s.totals;
        const Switch::PortRates &rate = s.rates;
        r["ports"].push_back({{"name", s.name},
                              {"rx_packets", p.rx_packets},
                              {"tx_packets", p.tx_packets},
                              {"rx_bytes", p.rx_bytes},
                              {"tx_bytes", p.tx_bytes},
                              {"rx_pps", static_cast<uint64_t>(rate.rx_pps)},
                              {"tx_pps", static_cast<uint64_t>(rate.tx_pps)},
                              {"rx_bps", static_cast<uint64_t>(rate.rx_bps)},
                              {"tx_bps", static_cast<uint64_t>(rate.tx_bps)},
                              // Frames this port could not take as they were (checksum left
                              // partial, a TSO/USO segment), completed or split by the worker.
                              {"csum_completed", p.csum_completed},
                              {"gso_segmented", p.gso_segmented},
                              {"drops", drops_json(p.drops)}});
        // What the PMD lost before the switch saw it (ring overruns, an empty mbuf pool, errors):
        // counted by the device, shown here so that no loss goes unseen.
        if (s.pmd)
            r["ports"].back()["pmd"] = {{"imissed", s.pmd->imissed},
                                        {"ierrors", s.pmd->ierrors},
                                        {"rx_nombuf", s.pmd->rx_nombuf},
                                        {"oerrors", s.pmd->oerrors}};
        // The kernel's own counters of the port's interface and, of those, the frames it dropped
        // because the socket's RX ring was full (af_packet, af_xdp): the PMD counts none of them.
        json kernel = nullptr;
        if (s.kernel)
            kernel = {{"rx_packets", s.kernel->rx_packets},
                      {"rx_dropped", s.kernel->rx_dropped},
                      {"tx_packets", s.kernel->tx_packets},
                      {"tx_dropped", s.kernel->tx_dropped}};
        if (s.rx_ring_full) {
            if (kernel.is_null()) kernel = json::object();
            kernel["rx_ring_full"] = *s.rx_ring_full;
        }
        if (!kernel.is_null()) r["ports"].back()["kernel"] = kernel;
    }
    for (const VtepState *t : vteps) r["ports"].push_back(vtep_stats(sw, *t));
    return r;
}

Answer clear_port_stats(Switch &sw, const Args &a) {
    const std::vector<const VtepState *> vteps = vteps_named(sw, a[3]);
    auto sel = ports_and_vteps(sw, a[3], vteps);
    if (auto *err = std::get_if<Error>(&sel)) return *err;
    for (const SwitchPort *sp : std::get<0>(sel)) sw.clear_port_stats(sp->index);
    for (const VtepState *t : vteps) sw.clear_vtep_stats(t->index);
    json r = {{"ok", true}};
    return r;
}

Answer show_port_info(Switch &sw, const Args &a) {
    auto sel = select_ports(sw, a[3]);
    if (auto *err = std::get_if<Error>(&sel)) return *err;
    json r;
    r["ports"] = json::array();
    for (const SwitchPort *sp : std::get<0>(sel)) {
        const Port &e = *sp->eth;
        rte_eth_link link{};
        std::optional<IfaceWhere> where;   // asked with the link: one look at a tap for both
        e.link(link, &where);
        rte_ether_addr addr{};
        e.mac_addr(addr);
        const std::string mac = mac_to_string(mac_from_bytes(addr.addr_bytes));
        const PortConfig &pc = e.config();
        const bool up = link.link_status == RTE_ETH_LINK_UP;
        const char *peer = peer_state(pc.type, up);
        r["ports"].push_back({{"name", pc.name},
                                   {"type", port_type_name(pc.type)},
                                   {"port_id", e.id()},
                                   {"lcore", sp->lcore},
                                   {"link_up", link.link_status == RTE_ETH_LINK_UP && !sp->iface_gone},
                                   {"link_speed_mbps", link.link_speed},
                                   {"mac", mac},
                                   {"vlan", pc.vlan},
                                   {"devargs", e.devargs()},
                                   {"rx_desc", e.rx_desc()},
                                   {"tx_desc", e.tx_desc()}});
        // Shown in the text beside link and peer: why the link is down, where the peer attaches.
        if (sp->iface_gone) r["ports"].back()["iface_gone"] = true;
        // The kernel interface it sits on (a veth port has no devargs to say it): for a port that
        // follows its interface (a tap a container runtime moved into its namespace and renamed),
        // its name now and whether it is in another namespace, not the name it was made with,
        // which may be another interface's by now. Gone: the configured name.
        if (port_kind(pc.type).kernel_iface && !pc.iface.empty()) {
            const std::optional<IfaceWhere> &w = where;
            r["ports"].back()["iface"] = w && !w->name.empty() ? w->name : pc.iface;
            if (w && w->elsewhere) r["ports"].back()["iface_in_other_netns"] = true;
        }
        // What the worker leaves to the port at TX (a vhost port: what its guest negotiated
        // now), for the ports that carry offloads at all.
        if (const uint8_t caps = e.offload_caps(); caps != kCapNone) {
            json tx = json::array();
            if (caps & kCapCsum) tx.push_back("csum");
            if (caps & kCapTso) tx.push_back("tso");
            if (caps & kCapUso) tx.push_back("uso");
            if (caps & kCapUdpTunnelTso) tx.push_back("udp_tunnel_tso");
            r["ports"].back()["tx_offloads"] = tx;
        }
        if (peer != nullptr) {
            r["ports"].back()["peer"] = peer;
            r["ports"].back()["attached_to"] = attached_to(pc);
        }
        // Whether the peer must show a secret (memif), never the secret itself.
        if (config_detail::kind_takes(port_kind(pc.type), "secret")) r["ports"].back()["secret_set"] = !pc.secret.empty();
    }
    return r;
}

// port add <name> <type> key=value...: the keys and checks of a config port (port_from_words).
Answer port_add(Switch &sw, const Args &a) {
    auto pc = port_from_words(a[2], a[3], Args(a.begin() + 4, a.end()));
    if (!pc) return fail(pc.error().message);
    auto index = sw.add_port(pc.value());
    if (!index) return fail(index.error().message);
    const SwitchPort *sp = sw.port(index.value());
    json r = {{"ok", true}, {"name", a[2]}, {"type", port_type_name(pc->type)}, {"port_id", sp->eth->id()}, {"lcore", sp->lcore}};
    return r;
}

Answer port_del(Switch &sw, const Args &a) {
    if (auto st = sw.del_port(a[2]); !st) return fail(st.error().message);
    json r = {{"ok", true}};
    return r;
}

}  // namespace dsw::cmd
