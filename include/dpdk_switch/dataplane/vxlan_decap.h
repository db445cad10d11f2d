// What arrives on the VTEP's underlay port: VXLAN to our address, decapsulated in place; ARP
// for our address, answered; ARP from a remote VTEP, its MAC learned. Anything else is a counted
// drop with its own reason (drop_reason.h, vxlan_*).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/vxlan_view.h"
#include "dpdk_switch/tables/mac_table.h"

namespace dsw {

// DecapResult::verdict besides a DropReason.
inline constexpr uint16_t kDecapped = 0xffff;     // m is now the inner frame (DecapResult::vlan)
inline constexpr uint16_t kUnderlayArp = 0xfffe;  // an ARP frame: vxlan_underlay_arp's

// Four 32-bit fields: returned in two registers. With 16-bit verdict and port, GCC assembled the
// result on the stack and read it back across two stores, a store-forwarding stall on every
// frame (BENCHMARKS.md, "2026-12-06 (evening) VXLAN cycles").
struct DecapResult {
    uint32_t verdict;     // a DropReason, kDecapped or kUnderlayArp
    uint32_t vtep_port;   // kDecapped: the port index of the VTEP it came from
    union {
        uint32_t src_ip_be;   // vxlan_unknown_vtep: who sent it, and in which VNI (for learn_vteps)
        // kDecapped: the VNI's VLAN, which the frame does not carry (the worker classifies it as
        // an untagged frame of that VLAN), or kDecapTagged.
        uint32_t vlan;
    };
    uint32_t vni;
};

// DecapResult::vlan of an inner frame that carries a tag of its own: it got the VNI's VLAN as an
// outer tag (as the VTEP's trunk would carry it), so it is switched by that VLAN as before.
inline constexpr uint32_t kDecapTagged = 0x8000;   // above any VLAN

// Checks one underlay frame (headers in its first segment, as every RX frame here) and, when it
// is VXLAN for a known VNI from a known VTEP, strips the outer headers in place: from there on the
// inner frame is switched as received on the VTEP's port in the VNI's VLAN. Its VLAN goes back in
// the result, not into the frame: a tag pushed here would only be classified and popped again on
// the (usually untagged) local port (BENCHMARKS.md, "2026-12-06 (evening) VXLAN cycles"). An
// inner frame tagged itself gets the tag (kDecapTagged). The frame must be the caller's alone.
DecapResult vxlan_decap(rte_mbuf *m, const VxlanView &vx) noexcept;

// A VTEP's share of a burst's decapsulated untagged frames, for its port's RX counters (inner
// bytes): added once a burst, not frame by frame. A VTEP may have more than one.
struct VtepRx {
    uint16_t port;
    uint32_t packets;
    uint64_t bytes;
};

// A burst from the underlay, sorted by vxlan_decap_burst as it decapsulates it.
struct DecapBurst {
    // The untagged decapsulated frames, in arrival order, with what classify reads of each.
    DecappedFrames inner;
    VtepRx vtep_rx[kMaxBurst];   // inner's frames, counted by VTEP
    uint16_t n_vtep_rx;
    // Every other frame (an inner frame tagged itself, ARP, a drop), in arrival order, with its
    // result.
    rte_mbuf *other[kMaxBurst];
    DecapResult other_res[kMaxBurst];
    uint16_t n_other;
    uint64_t rx_bytes;   // every frame's bytes as received (before decapsulation): the underlay's
};

// vxlan_decap for a burst, each frame sorted into `out` in the same pass: no array of results
// read back in another. The common packet (IPv4 without options, a known VNI from a known VTEP,
// no offload request, an untagged inner frame) is checked with a few wide compares against what
// it must hold, and each frame's first line is fetched ahead. For each untagged inner frame,
// classify's first pass is done here too, on the line at hand (DecappedFrames), its keys'
// buckets fetched from `macs`.
void vxlan_decap_burst(rte_mbuf *const *pkts, uint16_t n, const VxlanView &vx, const MacTable &macs,
                       DecapBurst &out) noexcept;

// An ARP frame on the underlay. Learns the sender's MAC when the sender is a remote VTEP (a reply
// to our request, its own request, a gratuitous ARP after it moved). True when it was a request
// for our VTEP address: m now holds the reply, to be sent back out of the underlay. False: m is
// the caller's to free (consumed: not a drop).
bool vxlan_underlay_arp(rte_mbuf *m, const VxlanView &vx, uint32_t now_s) noexcept;

}  // namespace dsw
