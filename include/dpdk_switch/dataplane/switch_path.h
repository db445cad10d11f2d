// The switching decision for a burst received on one port: parse, check the VLAN, learn the
// sources, look up the destinations, answer ARP for known bindings, decide. No TX here, so
// bench/ can measure exactly this path.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_table.h"

namespace dsw {

// Decision per frame: a port index (< kMaxPorts), flood its domain, send back out of the
// ingress port (an ARP reply the switch wrote), or drop with a reason.
inline constexpr uint16_t kOutFlood = 0x8000;
inline constexpr uint16_t kOutReply = 0x8001;
inline constexpr uint16_t kOutDrop = 0x4000;   // | DropReason
inline constexpr uint16_t out_drop(DropReason r) { return kOutDrop | static_cast<uint16_t>(r); }

struct Ingress {
    uint16_t port;            // switch port index
    const PortSlot *slot;     // its VLAN membership
};

// Decapsulated untagged frames of a burst, from one or several VTEPs, in arrival order: frame i
// received on port[i] (its VTEP's port) as an untagged frame of vlan[i] (its VNI's). What
// classify's first pass reads from each frame's Ethernet header is here too: the decapsulation
// (vxlan_decap_burst) takes it while it holds the frame's first line, and starts the MAC table's
// fetches as early as it knows the keys (a pass of classify_decapped's own read every frame's
// mbuf and data again).
struct DecappedFrames {
    rte_mbuf *pkts[kMaxBurst];
    uint16_t port[kMaxBurst];
    uint16_t vlan[kMaxBurst];
    MacKey skey[kMaxBurst], dkey[kMaxBurst];   // source and destination in vlan[i]
    uint32_t shash[kMaxBurst], dhash[kMaxBurst];   // their MacTable hashes, the buckets' fetch started
    // What classify does with frame i (switch_path_kinds.h): a drop (drop[i] the reason), or the
    // kind of its destination and ethertype.
    uint8_t kind[kMaxBurst];
    uint8_t drop[kMaxBurst];
    uint16_t n;
    uint64_t bytes;   // the frames' pkt_len, summed
    uint32_t mixed;   // non-zero: the frames came from more than one VTEP or VLAN
};

struct BurstDecision {
    uint16_t out[kMaxBurst];
    uint16_t vlan[kMaxBurst];   // the frame's broadcast domain
    // Every frame classify lets through arrived tagged if and only if the ingress port is a
    // trunk (the VLAN check drops the others), so tagging is the burst's, not each frame's.
    bool tagged;
    // Every frame has frame 0's decision and VLAN (classify decided the burst as one flow), so
    // dispatch need not compare them.
    bool same_decision;
    // The bytes of all n frames (pkt_len), counted where classify reads the lengths anyway.
    uint64_t rx_bytes;
    uint8_t flood_kind[kMaxBurst];   // FloodKind, for frames whose out is kOutFlood
};

class SwitchPath {
public:
    // `arp` null: ARP proxy off (ARP is switched like any frame).
    SwitchPath(MacTable &macs, ArpTable *arp) : macs_(macs), arp_(arp) {}
    // n <= kMaxBurst. Counts learning events and RX drops in `c`.
    void classify(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                  LcoreCounters &c) noexcept;

    // The same for decapsulated frames, of one or several VTEPs and VLANs at once (one call for
    // the burst, not one per VTEP), the split horizon included: a frame for a port of `vteps`
    // (bit p: port p is a VTEP, VxlanView::vtep_mask) is hairpin. Frames of several VTEPs or
    // VLANs (f.mixed): a destination an earlier frame of the burst taught is looked up again (as
    // when each VTEP's frames were classified in turn); else they are classified as classify
    // would, as received on an access port of their VLAN. d.tagged is false; rx_bytes the
    // frames' bytes.
    void classify_decapped(const DecappedFrames &f, uint64_t vteps, uint32_t now_s, BurstDecision &d,
                           LcoreCounters &c) noexcept;

private:
    bool classify_one_flow(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                           LcoreCounters &c) noexcept;
    uint16_t handle_arp(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port, SwitchCounters &c) noexcept;
    uint16_t handle_nd(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port, LcoreCounters &c) noexcept;

    MacTable &macs_;
    ArpTable *arp_;
};

}  // namespace dsw
