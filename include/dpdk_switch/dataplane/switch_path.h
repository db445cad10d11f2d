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

// Decapsulated untagged frames from several VTEPs (n frames): each classified as received on its
// VTEP's port, as an untagged frame of its VNI's VLAN.
struct DecapIngress {
    const uint16_t *port;        // each frame's VTEP port
    const uint16_t *vlan;        // each frame's VLAN
    uint64_t vteps;              // VxlanView::vtep_mask: a frame for a VTEP is dropped as hairpin
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

    // The same for decapsulated frames of several VTEPs or VLANs at once (one call for the burst,
    // not one per VTEP), the split horizon included: a frame for a VTEP is hairpin. d.tagged is
    // false; rx_bytes the frames' bytes.
    void classify_decapped(rte_mbuf *const *pkts, uint16_t n, const DecapIngress &in, uint32_t now_s,
                           BurstDecision &d, LcoreCounters &c) noexcept;

private:
    bool classify_one_flow(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                           LcoreCounters &c) noexcept;
    uint16_t handle_arp(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port, SwitchCounters &c) noexcept;
    uint16_t handle_nd(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port, LcoreCounters &c) noexcept;

    MacTable &macs_;
    ArpTable *arp_;
};

}  // namespace dsw
