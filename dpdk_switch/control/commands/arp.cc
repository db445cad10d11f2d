// Commands on the ARP/ND proxies' bindings: show arp|nd table, arp add|del.
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

namespace {
// `show arp table` (IPv4) and `show nd table` (IPv6): the proxies' bindings of one family.
Answer show_bindings(Switch &sw, bool v6) {
    if (sw.arp() == nullptr) return fail("the ARP/ND proxy is off (switch.arp_proxy: false)");
    json r;
    r["entries"] = json::array();
    for (const ArpRecord &a : sw.arp()->records()) {
        if (a.v6 != v6) continue;
        const std::string ip = v6 ? ipv6_to_string(a.ip6) : ipv4_to_string(a.ip), mac = mac_to_string(a.binding.mac);
        // A binding's port is where its MAC is now; a static binding may have none yet.
        std::string port;
        if (auto m = sw.macs().find_record(make_mac_key(a.binding.mac, a.vlan))) port = sw.port_name(m->port);
        r["entries"].push_back({{"ip", ip}, {"mac", mac}, {"vlan", a.vlan}, {"port", port},
                                     {"static", a.binding.is_static}});
    }
    return r;
}

}  // namespace

Answer show_arp_table(Switch &sw, const Args &) { return show_bindings(sw, false); }
Answer show_nd_table(Switch &sw, const Args &) { return show_bindings(sw, true); }

Answer arp_add(Switch &sw, const Args &a) {
    if (sw.arp() == nullptr) return fail("the ARP proxy is off (switch.arp_proxy: false)");
    // The checks of a config's arp: entry (validate.h), in the same words.
    auto ip = parse_unicast_ipv4(a[2]);
    if (!ip) return fail(ip.error().message);
    auto mac = parse_unicast_mac(a[3]);
    if (!mac) return fail(mac.error().message);
    std::string err;
    auto vlan = vlan_arg(a, 4, err);
    if (!vlan) return fail(err);
    if (auto st = sw.arp()->add_static(*vlan, *ip, *mac); !st) return fail(st.error().message);
    // What was added, in full: the text says it back.
    json r = {{"ok", true}, {"ip", a[2]}, {"mac", mac_to_string(*mac)}, {"vlan", *vlan}};
    return r;
}

Answer arp_del(Switch &sw, const Args &a) {
    if (sw.arp() == nullptr) return fail("the ARP proxy is off (switch.arp_proxy: false)");
    auto ip = ipv4_from_string(a[2]);
    if (!ip) return fail("bad IPv4 address '" + a[2] + "'");
    std::string err;
    auto vlan = vlan_arg(a, 3, err);
    if (!vlan) return fail(err);
    if (!sw.arp()->remove(*vlan, *ip)) return fail("no ARP binding for " + a[2]);
    json r = {{"ok", true}};
    return r;
}

}  // namespace dsw::cmd
