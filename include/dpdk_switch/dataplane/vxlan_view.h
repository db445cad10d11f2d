// VxlanView: the switch's VTEP as the workers see it, part of the DataplaneView (immutable,
// published under RCU with it). Remote VTEPs are ports of the view: each holds a port index, its
// PortSlot says `vtep`, its MACs are learned behind that index in the one MAC table, and frames
// staged for it are encapsulated at TX. What changes under the workers' feet (a VTEP's
// underlay MAC) is in VtepNeighbours, not here.
#pragma once

#include <cstdint>

#include <rte_byteorder.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/tables/vtep_neighbours.h"

struct rte_ring;

namespace dsw {

inline constexpr unsigned kVxlanVlans = 4096;
// Outer Ethernet, IPv4 (no options), UDP and VXLAN headers: what encapsulation adds.
inline constexpr uint16_t kVxlanHdrLen = 8;
inline constexpr uint16_t kVxlanOuterLen = 14 + 20 + 8 + kVxlanHdrLen;   // 50
inline constexpr uint8_t kVxlanFlagI = 0x08;   // "the VNI is valid": the one flag RFC 7348 sets

struct VxlanView {
    bool enabled = false;
    bool learn_vteps = true;
    uint16_t underlay = 0;          // its port index
    uint32_t local_ip_be = 0;       // our VTEP address, network order
    uint16_t udp_port_be = 0;       // network order
    uint64_t local_mac = 0;         // the underlay port's MAC, mac_key.h's wire order
    uint16_t max_ip_len = 1500;     // the underlay's MTU: the longest outer IPv4 packet sent
    uint32_t vni_of[kVxlanVlans] = {};   // VLAN -> VNI; 0: the VLAN is not mapped

    // VNI -> VLAN, open addressing (a VNI is 24 bits: no array); at most kMaxVnis mapped.
    static constexpr unsigned kVniSlots = 2048;
    static constexpr unsigned kMaxVnis = kVniSlots / 2;
    struct VniSlot {
        uint32_t vni = 0;   // 0: empty
        uint16_t vlan = 0;
    };
    VniSlot vni_slots[kVniSlots];

    // Remote VTEPs: their addresses (network order), by the port index each holds, and the
    // address whose ARP gives each its underlay MAC (its own on the link; the gateway's else).
    uint16_t n_vteps = 0;
    uint16_t vtep_ports[kMaxPorts] = {};
    uint32_t vtep_ip_be[kMaxPorts] = {};
    uint32_t vtep_next_hop_be[kMaxPorts] = {};
    // Bit p: port p is a remote VTEP (their PortSlots' `vtep` in one word, for the split
    // horizon of decapsulated frames without a load per frame).
    uint64_t vtep_mask = 0;
    static_assert(kMaxPorts <= 64, "vtep_mask: a bit a port");
    VtepNeighbours *neigh = nullptr;
    // learn_vteps: (source address << 24 | VNI) of frames from unknown VTEPs, for the control
    // plane to add them; a full ring loses the report, not the switch's time.
    rte_ring *learn_ring = nullptr;

    static uint32_t vni_hash(uint32_t vni) noexcept { return (vni * 2654435761u) >> 21; }   // 11 bits

    // The VLAN mapped to `vni`, or -1. An empty slot ends the probe before the match: VNI 0,
    // never mapped, would match the empty slot itself.
    int vlan_of(uint32_t vni) const noexcept {
        for (uint32_t i = vni_hash(vni);; i = (i + 1) & (kVniSlots - 1)) {
            const VniSlot &s = vni_slots[i];
            if (s.vni == 0) return -1;
            if (s.vni == vni) return s.vlan;
        }
    }
    // The port index of the VTEP at `ip_be`, or -1. A few VTEPs: a scan beats hashing.
    int vtep_port(uint32_t ip_be) const noexcept {
        for (uint16_t i = 0; i < n_vteps; ++i)
            if (vtep_ip_be[vtep_ports[i]] == ip_be) return vtep_ports[i];
        return -1;
    }

    // Control plane, while building: maps a VLAN and a VNI both ways. False when full.
    bool map(uint16_t vlan, uint32_t vni) noexcept {
        unsigned used = 0;
        for (const VniSlot &s : vni_slots) used += s.vni != 0;
        if (used >= kMaxVnis || vni == 0) return false;
        uint32_t i = vni_hash(vni);
        while (vni_slots[i].vni != 0 && vni_slots[i].vni != vni) i = (i + 1) & (kVniSlots - 1);
        vni_slots[i] = {vni, vlan};
        vni_of[vlan & (kVxlanVlans - 1)] = vni;
        return true;
    }
    // `next_hop_be` 0: the VTEP is on the underlay's link.
    void add_vtep(uint16_t port, uint32_t ip_be, uint32_t next_hop_be = 0) noexcept {
        vtep_ports[n_vteps++] = port;
        vtep_mask |= uint64_t{1} << port;
        vtep_ip_be[port] = ip_be;
        vtep_next_hop_be[port] = next_hop_be != 0 ? next_hop_be : ip_be;
    }
};

}  // namespace dsw
