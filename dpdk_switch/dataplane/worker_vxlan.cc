// The worker's part of the VTEP: the underlay's RX (VXLAN decapsulated and switched as received
// on its VTEP's port, ARP for our address answered) and the split horizon between tunnels.
#include <rte_ether.h>
#include <rte_ring.h>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "worker_impl.h"

namespace dsw {

// Out of one tunnel, never into another: a frame from a VTEP to a MAC behind another VTEP is
// dropped as hairpin, as all VTEPs were one port (a kernel vxlan device is one bridge port;
// OVS marks its tunnel ports protected). The sender's VTEP reaches the other one itself;
// relaying would teach the other VTEP that the sender's MACs are behind us.
void Worker::split_horizon(const DataplaneView &v, uint16_t n, BurstDecision &d) noexcept {
    for (uint16_t i = 0; i < n; ++i)
        if (d.out[i] < kMaxPorts && v.ports[d.out[i]].vtep) d.out[i] = out_drop(DropReason::hairpin);
}

// The VTEP's underlay port: VXLAN decapsulated and switched as received on its VTEP's port
// (a burst usually comes from one VTEP: one switch_burst), ARP for our address answered.
void Worker::rx_underlay(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s) noexcept {
    const VxlanView &vx = v.vxlan;
    PortCounters &uc = c_.port[port];
    rte_mbuf *inner[kMaxBurst], *freed[kMaxBurst];
    uint32_t from[kMaxBurst];   // the VTEP's port | (the VLAN or kDecapTagged) << 16
    uint16_t k = 0, nfreed = 0;
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf *m = pkts[i];
        bytes += m->pkt_len;
        const DecapResult r = vxlan_decap(m, vx);
        if (r.verdict == kDecapped) [[likely]] {
            inner[k] = m;
            from[k++] = r.vtep_port | r.vlan << 16;
            continue;
        }
        if (r.verdict == kUnderlayArp) {
            if (vxlan_underlay_arp(m, vx, now_s)) tx_.push(port, m);
            else freed[nfreed++] = m;
            continue;
        }
        uc.drops[r.verdict].inc();
        freed[nfreed++] = m;
        if (r.verdict == static_cast<uint16_t>(DropReason::vxlan_unknown_vtep) && vx.learn_vteps &&
            vx.learn_ring != nullptr)
            rte_ring_mp_enqueue(vx.learn_ring, reinterpret_cast<void *>((uint64_t{r.src_ip_be} << 24) | r.vni));
    }
    uc.rx_packets.add(n);
    uc.rx_bytes.add(bytes);
    if (nfreed != 0) rte_pktmbuf_free_bulk(freed, nfreed);
    // One switch_burst per VTEP and VLAN, in arrival order within each.
    while (k != 0) {
        const uint32_t key = from[0];
        rte_mbuf *run[kMaxBurst];
        uint16_t nrun = 0, rest = 0;
        for (uint16_t i = 0; i < k; ++i) {
            if (from[i] == key) {
                run[nrun++] = inner[i];
            } else {
                inner[rest] = inner[i];
                from[rest++] = from[i];
            }
        }
        k = rest;
        const uint16_t vtep = static_cast<uint16_t>(key & 0xffff);
        if ((key >> 16) == kDecapTagged) [[unlikely]] {   // tagged as on the VTEP's trunk
            switch_burst(v, vtep, run, nrun, now_s, sizeof(rte_vlan_hdr));
            continue;
        }
        // Untagged frames of one VLAN: classified as from an access port of that VLAN (the
        // VTEP's slot, a trunk, would take tagged ones only); learnt and counted on the VTEP.
        decap_slot_.access_vlan = static_cast<uint16_t>(key >> 16);
        switch_burst(v, vtep, decap_slot_, run, nrun, now_s, 0);
    }
}

}  // namespace dsw
