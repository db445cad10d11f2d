// Encapsulation of one frame for a remote VTEP: outer Ethernet, IPv4 (DF set, TTL 64, checksum
// computed), UDP (source port from a hash of the inner flow, for the underlay's ECMP; checksum 0,
// as RFC 7348 allows over IPv4) and VXLAN (I flag, the VNI). No payload copy: the headers go in
// the headroom of a frame the caller owns alone, or in a header segment chained to an indirect
// reference of the payload when the frame is shared (a flood's copies for several VTEPs).
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dataplane/vxlan_view.h"

namespace dsw {

struct VxlanTarget {
    uint32_t vni;
    uint32_t dst_ip_be;
    uint64_t dst_mac;   // the VTEP's (resolved) underlay MAC, mac_key.h's wire order
};

// `m` is the inner frame; `tagged`: it carries an 802.1Q tag after its MACs (as every frame
// staged for a VTEP's trunk slot does), which encapsulation removes. Returns the frame to send on
// the underlay (m, or a header segment owning m's reference), or null with `drop` set and m
// still the caller's to free.
rte_mbuf *vxlan_encap(rte_mbuf *m, bool tagged, const VxlanTarget &to, const VxlanView &vx, DropReason &drop) noexcept;

// The outer UDP source port for an inner frame: 49152-65535 (RFC 7348), the same for every frame
// of a flow (MACs, IPv4 addresses and TCP/UDP ports). `l2` is where the inner ethertype is.
uint16_t vxlan_source_port(const rte_mbuf *m, uint32_t ethertype_off) noexcept;

// Writes the 50 outer bytes at `hdr` for an inner frame of `inner_len` bytes.
void vxlan_write_outer(uint8_t *hdr, uint32_t inner_len, uint16_t sport, const VxlanTarget &to,
                       const VxlanView &vx) noexcept;

}  // namespace dsw
