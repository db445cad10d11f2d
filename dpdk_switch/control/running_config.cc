// running_config: read on the main lcore from the switch's own records (each port's PortConfig,
// the MAC and ARP tables' records), so that nothing is kept twice.
#include "dpdk_switch/control/running_config.h"

#include <algorithm>
#include <tuple>

#include "dpdk_switch/control/switch.h"

namespace dsw {

Config running_config(Switch &sw) {
    const Config &started = sw.config();
    Config cfg;
    cfg.source = started.source;
    cfg.path = started.path;
    cfg.eal = started.eal;
    cfg.sw = started.sw;
    cfg.sw.mac_aging_s = sw.mac_aging_s();
    cfg.sw.tx_flush_us = sw.tx_flush_us();
    for (const SwitchPort *sp : sw.ports())
        cfg.ports.push_back(sp->eth->config());
    const VxlanState *vx = sw.vxlan();
    for (const MacRecord &m : sw.macs().records()) {
        if (!m.is_static) continue;
        const std::string mac = mac_to_string(key_mac(m.key));
        if (const SwitchPort *sp = sw.port(m.port))
            cfg.static_macs.push_back(StaticMac{mac, sp->eth->config().name, key_vlan(m.key), ""});
        else if (const VtepState *t = vx ? vx->vtep_at(m.port) : nullptr)   // `mac add <MAC> vtep <IP>`
            cfg.static_macs.push_back(StaticMac{mac, "", key_vlan(m.key), ipv4_to_string(t->ip)});
        // A static entry whose port is gone has nobody to name (port del flushes them anyway).
    }
    if (ArpTable *arp = sw.arp())
        for (const ArpRecord &a : arp->records())
            if (a.binding.is_static && !a.v6)
                cfg.arp.push_back(StaticArp{ipv4_to_string(a.ip), mac_to_string(a.binding.mac), a.vlan});
    if (vx) {
        // The VNI map as configured, each VNI's remotes as they are now: those of the config and
        // of `vxlan vtep add`, by address; learned VTEPs are learned again, and those named by a
        // static MAC only come back with it.
        cfg.vxlan = vx->cfg;
        for (VniMapping &m : cfg.vxlan.vni_map) {
            m.remotes.clear();
            for (const auto &[ip, t] : vx->vteps)
                if (t.origin == VtepOrigin::listed && t.vnis.count(m.vni)) m.remotes.push_back(ipv4_to_string(ip));
        }
    }
    // In a fixed order (the tables' is their buckets'): the same switch saves the same file.
    std::sort(cfg.static_macs.begin(), cfg.static_macs.end(), [](const StaticMac &x, const StaticMac &y) {
        // Those on ports first, then those behind VTEPs (whose port is empty).
        return std::make_tuple(!x.vtep.empty(), std::cref(x.port), std::cref(x.vtep), x.vlan, std::cref(x.mac)) <
               std::make_tuple(!y.vtep.empty(), std::cref(y.port), std::cref(y.vtep), y.vlan, std::cref(y.mac));
    });
    std::sort(cfg.arp.begin(), cfg.arp.end(), [](const StaticArp &x, const StaticArp &y) {
        return std::tie(x.vlan, x.ip) < std::tie(y.vlan, y.ip);
    });
    return cfg;
}

}  // namespace dsw
