// The worker's part of the VTEP: the underlay's RX (VXLAN decapsulated and switched as received
// on its VTEP's port, ARP for our address answered) and the split horizon between tunnels.
#include <rte_ether.h>
#include <rte_ring.h>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "switch_path_kinds.h"
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

namespace {

// Every frame has frame 0's keys and kind (none dropped): one flow, which classify decides with
// one lookup. A burst of many flows leaves at frame 1.
bool one_flow(const DecappedFrames &f) noexcept {
    if (f.n < 2 || f.kind[0] == kDropped) return false;
    for (uint16_t i = 1; i < f.n; ++i)
        if (f.kind[i] != f.kind[0] || f.skey[i] != f.skey[0] || f.dkey[i] != f.dkey[0]) return false;
    return true;
}

}  // namespace

// The VTEP's underlay port: VXLAN decapsulated and switched as received on its VTEP's port
// (one classify for the burst, whatever VTEPs and VLANs its frames came from), ARP for our
// address answered.
void Worker::rx_underlay(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s) noexcept {
    const VxlanView &vx = v.vxlan;
    PortCounters &uc = c_.port[port];
    rte_mbuf *tagged[kMaxBurst], *freed[kMaxBurst];
    uint16_t tagged_vtep[kMaxBurst];
    uint16_t ntagged = 0, nfreed = 0;
    DecapBurst b;
    vxlan_decap_burst(pkts, n, vx, *s_.macs, b);
    // The untagged inner frames are sorted already; the rest, in arrival order.
    for (uint16_t i = 0; i < b.n_other; ++i) {
        rte_mbuf *m = b.other[i];
        const DecapResult &r = b.other_res[i];
        if (r.verdict == kDecapped) {   // tagged as on the VTEP's trunk (kDecapTagged)
            tagged[ntagged] = m;
            tagged_vtep[ntagged++] = static_cast<uint16_t>(r.vtep_port);
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
    uc.rx_bytes.add(b.rx_bytes);
    if (nfreed != 0) rte_pktmbuf_free_bulk(freed, nfreed);
    if (b.inner.n != 0) [[likely]] {
        if (b.inner.mixed == 0 && one_flow(b.inner)) {
            // One flow from one VTEP and VLAN: classify's one-flow burst, one parse and one
            // lookup for all, as from an access port of that VLAN (the VTEP's slot, a trunk,
            // would take tagged frames only); learnt and counted on the VTEP.
            decap_slot_.access_vlan = b.inner.vlan[0];
            switch_burst(v, b.inner.port[0], decap_slot_, b.inner.pkts, b.inner.n, now_s, 0);
        } else {
            // Any other, of one VTEP too: the decapsulation has made classify's keys already
            // (classify would parse each frame again, its second line too).
            switch_decapped(v, b, now_s);
        }
    }
    // Inner frames tagged themselves: one switch_burst per VTEP, in arrival order within each.
    while (ntagged != 0) {
        const uint16_t key = tagged_vtep[0];
        rte_mbuf *run[kMaxBurst];
        uint16_t nrun = 0, rest = 0;
        for (uint16_t i = 0; i < ntagged; ++i) {
            if (tagged_vtep[i] == key) {
                run[nrun++] = tagged[i];
            } else {
                tagged[rest] = tagged[i];
                tagged_vtep[rest++] = tagged_vtep[i];
            }
        }
        ntagged = rest;
        switch_burst(v, key, run, nrun, now_s, sizeof(rte_vlan_hdr));
    }
}

// Untagged decapsulated frames of one or several VTEPs or VLANs: classified as one burst, each
// frame as received on its VTEP's port (the split horizon in classify's hairpin test), counted on its
// VTEP (vxlan_decap_burst's counts, by VTEP: not two counter updates a frame). All VTEPs have
// the underlay's RX offload capability: one kOffl for the burst.
void Worker::switch_decapped(const DataplaneView &v, DecapBurst &b, uint32_t now_s) noexcept {
    BurstDecision d;
    DecappedFrames &f = b.inner;
    path_.classify_decapped(f, v.vxlan.vtep_mask, now_s, d, c_);
    for (uint16_t k = 0; k < b.n_vtep_rx; ++k) {
        PortCounters &pc = c_.port[b.vtep_rx[k].port];
        pc.rx_packets.add(b.vtep_rx[k].packets);
        pc.rx_bytes.add(b.vtep_rx[k].bytes);
    }
    c_.packets.add(f.n);
    dispatch_decapped(v, f.pkts, f.n, f.port, d);
}

}  // namespace dsw
