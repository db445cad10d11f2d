// Commands on the MAC table: show mac table, mac add|del|flush, set mac aging.
#include <optional>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

std::optional<uint16_t> vlan_arg(const Args &a, size_t at, std::string &err) {
    if (a.size() <= at) return uint16_t{0};
    if (a[at] != "vlan" || a.size() != at + 2) {
        err = "expected 'vlan <0-4094>' after the arguments";
        return std::nullopt;
    }
    auto v = parse_uint(a[at + 1], 4094);
    if (!v) err = "bad VLAN id '" + a[at + 1] + "' (0-4094)";
    return v ? std::optional<uint16_t>(static_cast<uint16_t>(*v)) : std::nullopt;
}

Answer show_mac_table(Switch &sw, const Args &a) {
    std::string err;
    std::optional<uint16_t> only_vlan;
    if (a.size() > 3) {
        only_vlan = vlan_arg(a, 3, err);
        if (!only_vlan) return fail(err);
    }
    json r;
    r["entries"] = json::array();
    for (const MacRecord &m : sw.macs().records()) {
        if (only_vlan && key_vlan(m.key) != *only_vlan) continue;
        const std::string mac = mac_to_string(key_mac(m.key)), port = sw.port_name(m.port);
        r["entries"].push_back({{"mac", mac},
                                     {"vlan", key_vlan(m.key)},
                                     {"port", port},
                                     {"static", m.is_static},
                                     {"age_s", m.age_s}});
    }
    return r;
}

// The checks of a config's static_macs: entry (validate.h), in the same words.
Answer mac_add(Switch &sw, const Args &a) {
    // `vtep <IP>` (a port of that name, if there is one, wins: it was there first).
    if (a.size() >= 5 && a[3] == "vtep" && sw.port(a[3]) == nullptr) return mac_add_vtep(sw, a);
    if (a.size() > 6) return fail("usage: mac add <MAC> <port>|vtep <IP> [vlan <N>]");
    auto mac = parse_unicast_mac(a[2]);
    if (!mac) return fail(mac.error().message);
    const SwitchPort *sp = sw.port(a[3]);
    if (sp == nullptr) return fail("no port named '" + a[3] + "'");
    std::string err;
    std::optional<uint16_t> given;
    if (a.size() > 4) {
        given = vlan_arg(a, 4, err);
        if (!given) return fail(err);
    }
    auto vlan = static_mac_vlan(sp->eth->config(), given);
    if (!vlan) return fail(vlan.error().message);
    if (auto st = sw.macs().add_static(make_mac_key(*mac, *vlan), static_cast<uint16_t>(sp->index)); !st)
        return fail(st.error().message);
    // What was added, in full (the VLAN may come from the port): the text says it back.
    json r = {{"ok", true}, {"mac", mac_to_string(*mac)}, {"port", a[3]}, {"vlan", *vlan}};
    return r;
}

Answer mac_del(Switch &sw, const Args &a) {
    auto mac = mac_from_string(a[2]);
    if (!mac) return fail("bad MAC address '" + a[2] + "'");
    std::string err;
    auto vlan = vlan_arg(a, 3, err);
    if (!vlan) return fail(err);
    if (!sw.macs().remove(make_mac_key(*mac, *vlan))) return fail("MAC " + a[2] + " is not in the table");
    json r = {{"ok", true}};
    return r;
}

Answer mac_flush(Switch &sw, const Args &a) {
    int port = -1;
    if (a.size() == 3) {
        const SwitchPort *sp = sw.port(a[2]);
        if (sp == nullptr) return fail("no port named '" + a[2] + "'");
        port = static_cast<int>(sp->index);
    }
    const unsigned n = sw.macs().flush(port);
    json r = {{"ok", true}, {"flushed", n}};
    return r;
}

Answer set_mac_aging(Switch &sw, const Args &a) {
    auto s = parse_uint(a[3], 1000000);
    if (!s) return fail("bad aging time '" + a[3] + "' (seconds, 0 = never)");
    sw.set_mac_aging(static_cast<unsigned>(*s));
    json r = {{"ok", true}, {"mac_aging_s", *s}};
    return r;
}

}  // namespace dsw::cmd
