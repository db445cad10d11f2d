#include "dpdk_switch/control/vxlan_state.h"

#include <algorithm>
#include <cstring>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "dpdk_switch/tables/mac_key.h"

namespace dsw {

const char *vtep_origin_name(VtepOrigin o) {
    switch (o) {
        case VtepOrigin::listed: return "config";
        case VtepOrigin::static_mac: return "static_mac";
        case VtepOrigin::learned: return "learned";
    }
    return "?";
}

std::optional<uint16_t> VxlanState::vlan_of(uint32_t vni) const {
    for (const auto &[vlan, v] : vni_of_vlan)
        if (v == vni) return vlan;
    return std::nullopt;
}

const VtepState *VxlanState::vtep_at(unsigned index) const {
    for (const auto &[ip, t] : vteps)
        if (t.index == index) return &t;
    return nullptr;
}

void VxlanState::fill_view(DataplaneView &v) const {
    VxlanView &x = v.vxlan;
    x.enabled = true;
    x.learn_vteps = cfg.learn_vteps;
    x.underlay = static_cast<uint16_t>(underlay);
    x.local_ip_be = rte_cpu_to_be_32(local_ip);
    x.udp_port_be = rte_cpu_to_be_16(cfg.udp_port);
    x.local_mac = local_mac;
    x.max_ip_len = mtu;
    x.neigh = neigh.get();
    x.learn_ring = learn_ring.get();
    for (const auto &[vlan, vni] : vni_of_vlan) x.map(vlan, vni);

    // The underlay's frames are not switched: out of every flood domain, in no VLAN.
    PortSlot &u = v.ports[underlay];
    u.underlay = true;
    std::fill(std::begin(u.allowed), std::end(u.allowed), 0);
    for (uint16_t d = 0; d < v.n_domains; ++d) {
        FloodDomain &dom = v.domains[d];
        dom.n = static_cast<uint16_t>(std::remove(dom.members, dom.members + dom.n, underlay) - dom.members);
        dom.n_local = dom.n;   // the VTEPs go after the local ports
    }
    for (const auto &[ip, t] : vteps) {
        PortSlot &s = v.ports[t.index];
        s.present = true;
        s.vtep = true;
        s.trunk = true;
        s.io = nullptr;
        // An underlay that takes UDP-tunnel GSO (a vtap) is given the inner frame's checksum
        // and TSO/USO requests with the encapsulated frame (flush_vtep). Any other is given
        // none: the worker's fallback (push_offloaded) completes checksums and cuts segments to
        // the inner MTU before the frames reach the VTEP's batch, once, as for any port that
        // takes no offload. What comes out of the tunnel may carry requests when the underlay's
        // RX does (a veth port: a kernel VTEP's inner checksums left partial, carried through
        // vxlan_decap).
        s.offload_caps = u.offload_caps & kCapRxOffloads;
        if (u.offload_caps & kCapUdpTunnelTso) s.offload_caps |= u.offload_caps & kCapTx;
        s.gso_mtu = static_cast<uint16_t>(mtu - kVxlanOuterLen);
        // Every mapped VLAN is admitted from it (its MACs may be learned in any VNI), but it
        // takes floods only for its own VNIs.
        for (const auto &[vlan, vni] : vni_of_vlan) s.allowed[vlan >> 6] |= 1ULL << (vlan & 63);
        for (uint32_t vni : t.vnis)
            if (auto vlan = vlan_of(vni)) v.add_member(*vlan, static_cast<uint16_t>(t.index));
        x.add_vtep(static_cast<uint16_t>(t.index), rte_cpu_to_be_32(ip), rte_cpu_to_be_32(next_hop(t)));
    }
}

rte_mbuf *vxlan_arp_request(rte_mempool *pool, const VxlanState &vx, uint32_t target_ip) {
    rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) return nullptr;
    constexpr uint16_t kLen = 60;   // the shortest Ethernet frame, padding included
    auto *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(m, kLen));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    std::memset(p, 0, kLen);
    std::memset(p, 0xff, RTE_ETHER_ADDR_LEN);
    mac_to_bytes(vx.local_mac, p + 6);
    const uint16_t et = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
    std::memcpy(p + 12, &et, 2);
    rte_arp_hdr a{};
    a.arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    a.arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    a.arp_hlen = RTE_ETHER_ADDR_LEN;
    a.arp_plen = 4;
    a.arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    mac_to_bytes(vx.local_mac, a.arp_data.arp_sha.addr_bytes);
    a.arp_data.arp_sip = rte_cpu_to_be_32(vx.local_ip);
    a.arp_data.arp_tip = rte_cpu_to_be_32(target_ip);
    std::memcpy(p + RTE_ETHER_HDR_LEN, &a, sizeof a);
    return m;
}

}  // namespace dsw
