// Commands of the VTEP: show vxlan, vxlan vtep add|del, mac add <MAC> vtep <IP>.
#include <optional>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/tables/arp_table.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

namespace {

constexpr unsigned long kMaxVni = (1ul << 24) - 1;

// `<IP> [vni N]` from a[at]: the VTEP's address and the VNI, if given.
std::optional<uint32_t> vtep_args(const Args &a, size_t at, std::optional<uint32_t> &vni, std::string &err) {
    auto ip = parse_unicast_ipv4(a[at]);
    if (!ip) {
        err = ip.error().message;
        return std::nullopt;
    }
    if (a.size() > at + 1) {
        auto n = a.size() == at + 3 && a[at + 1] == "vni" ? parse_uint(a[at + 2], kMaxVni) : std::nullopt;
        if (!n || *n == 0) {
            err = "expected 'vni <1-16777215>' after the address";
            return std::nullopt;
        }
        vni = static_cast<uint32_t>(*n);
    }
    return ip.value();
}

}  // namespace

Answer show_vxlan(Switch &sw, const Args &) {
    const VxlanState *vx = sw.vxlan();
    if (vx == nullptr) return fail("no VTEP: the config has no vxlan: section");
    json r;
    r["local_ip"] = vx->cfg.local_ip;
    // The underlay's link: remote VTEPs in it are ARPed for, the others reached by the gateway.
    r["link"] = vx->cfg.prefix_len ? json(ipv4_prefix_text(vx->local_ip, *vx->cfg.prefix_len)) : json(nullptr);
    r["gateway"] = nullptr;
    if (vx->gateway != 0) {
        // Its binding is the one every VTEP behind it holds (the workers write them together).
        json g = {{"ip", ipv4_to_string(vx->gateway)}, {"resolved", false}, {"mac", nullptr}, {"vteps", 0}};
        for (const auto &[ip, t] : vx->vteps) {
            if (!t.via_gateway) continue;
            g["vteps"] = g["vteps"].get<unsigned>() + 1;
            const uint64_t word = vx->neigh->by_port[t.index].mac.load(std::memory_order_relaxed);
            if (word & VtepNeighbour::kResolved) {
                g["resolved"] = true;
                g["mac"] = mac_to_string(word & kMacMask);
            }
        }
        r["gateway"] = std::move(g);
    }
    r["udp_port"] = vx->cfg.udp_port;
    r["underlay"] = vx->cfg.underlay;
    r["underlay_mac"] = mac_to_string(vx->local_mac);
    r["underlay_mtu"] = vx->mtu;
    // What the containers' interfaces may carry: the underlay's MTU less the outer headers.
    r["container_mtu"] = vx->mtu - kVxlanOuterLen;
    r["learn_vteps"] = vx->cfg.learn_vteps;
    r["vni_map"] = json::array();
    for (const auto &[vlan, vni] : vx->vni_of_vlan) r["vni_map"].push_back({{"vlan", vlan}, {"vni", vni}});
    r["vteps"] = json::array();
    for (const auto &[ip, t] : vx->vteps) {
        const VtepNeighbour &n = vx->neigh->by_port[t.index];
        const uint64_t word = n.mac.load(std::memory_order_relaxed);
        const PortTotals tot = sw.vtep_totals(t.index);
        json e = {{"ip", ipv4_to_string(ip)},
                  {"vnis", json(std::vector<uint32_t>(t.vnis.begin(), t.vnis.end()))},
                  {"learned", t.origin == VtepOrigin::learned},
                  {"origin", vtep_origin_name(t.origin)},
                  {"via_gateway", t.via_gateway},
                  {"resolved", (word & VtepNeighbour::kResolved) != 0},
                  {"mac", (word & VtepNeighbour::kResolved) ? json(mac_to_string(word & kMacMask)) : json(nullptr)},
                  {"macs", sw.macs().port_size(static_cast<uint16_t>(t.index))},
                  {"rx_packets", tot.rx_packets},
                  {"rx_bytes", tot.rx_bytes},
                  {"tx_packets", tot.tx_packets},
                  {"tx_bytes", tot.tx_bytes},
                  {"drops", drops_json(tot.drops)}};
        r["vteps"].push_back(std::move(e));
    }
    return r;
}

Answer vxlan_vtep_add(Switch &sw, const Args &a) {
    std::optional<uint32_t> vni;
    std::string err;
    auto ip = vtep_args(a, 3, vni, err);
    if (!ip) return fail(err);
    auto index = sw.add_vtep(*ip, vni);
    if (!index) return fail(index.error().message);
    json r = {{"ok", true}, {"ip", a[3]}, {"vni", vni ? json(*vni) : json(nullptr)}};
    return r;
}

Answer vxlan_vtep_del(Switch &sw, const Args &a) {
    std::optional<uint32_t> vni;
    std::string err;
    auto ip = vtep_args(a, 3, vni, err);
    if (!ip) return fail(err);
    if (auto st = sw.del_vtep(*ip, vni); !st) return fail(st.error().message);
    json r = {{"ok", true}, {"ip", a[3]}, {"vni", vni ? json(*vni) : json(nullptr)}};
    return r;
}

Answer mac_add_vtep(Switch &sw, const Args &a) {
    auto mac = parse_unicast_mac(a[2]);
    if (!mac) return fail(mac.error().message);
    auto ip = parse_unicast_ipv4(a[4]);
    if (!ip) return fail(ip.error().message);
    const VxlanState *vx = sw.vxlan();
    if (vx == nullptr) return fail("no VTEP: the config has no vxlan: section");
    auto it = vx->vteps.find(*ip);
    if (it == vx->vteps.end()) return fail("no remote VTEP " + a[4] + " (vxlan vtep add " + a[4] + ")");
    std::string err;
    auto vlan = vlan_arg(a, 5, err);
    if (!vlan) return fail(err);
    if (!vx->vni_of_vlan.count(*vlan)) return fail("VLAN " + std::to_string(*vlan) + " is not mapped to a VNI (vxlan.vni_map)");
    if (auto st = sw.macs().add_static(make_mac_key(*mac, *vlan), static_cast<uint16_t>(it->second.index)); !st)
        return fail(st.error().message);
    // A learned VTEP with a static MAC behind it is configured from now on, as it comes back
    // from a saved config (with the MAC, for its VNI).
    if (it->second.origin == VtepOrigin::learned) (void)sw.add_vtep(*ip, vx->vni_of_vlan.at(*vlan), VtepOrigin::static_mac);
    json r = {{"ok", true}, {"mac", mac_to_string(*mac)}, {"port", sw.port_name(it->second.index)}, {"vlan", *vlan}};
    return r;
}

}  // namespace dsw::cmd
