// The Linux virtio-net header (PACKET_VNET_HDR, tap, vhost) mapped onto the mbuf's own offload
// fields and back. Offloads travel in the mbuf (DESIGN.md §5): a port that reads or writes the
// header converts at its edge, and everything between sees only ol_flags, the header lengths
// and tso_segsz.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

// The uapi header names a field `class` (virtio_net_ctrl_hdr, unused here), a keyword in C++.
#define class class_
#include <linux/virtio_net.h>
#undef class

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/drop_reason.h"

namespace dsw {

// UDP segmentation (USO), from Linux 5.18's uapi; older headers, Debian's among them, lack it.
inline constexpr uint8_t kVnetGsoUdpL4 = 5;

struct VnetParse {
    bool ok;
    DropReason reason;   // why not, when !ok
};

// RX from a vnet port: reads the frame's own headers (Ethernet, one 802.1Q/802.1ad tag,
// IPv4/IPv6, TCP/UDP) from the first segment, bounds-checked, and checks the header against
// them: nothing the sender wrote is trusted. On success sets l2_len/l3_len/l4_len, tso_segsz
// and the TX offload flags the frame needs at egress (RX_L4_CKSUM_GOOD for DATA_VALID).
// On a drop the mbuf is left exactly as it was; the caller frees it and counts the reason.
// The header's fields are little-endian, as AF_PACKET and tap (vnet_le) write them.
VnetParse vnet_to_mbuf(const virtio_net_hdr &h, rte_mbuf *m) noexcept;

// TX to a vnet port: the header that asks the kernel for what the mbuf still needs (what its
// virtio_net_hdr_from_skb writes for a partial-checksum or GSO skb). hdr_len is the length of
// the headers; GSO_ECN is set for a TCP segment carrying CWR, the one thing the mbuf has no
// flag for. Reads l2_len/l3_len/l4_len as vnet_to_mbuf or a PMD set them.
void mbuf_to_vnet(const rte_mbuf *m, virtio_net_hdr &h) noexcept;

// RX from a virtio ethdev with offloads on (net_vhost in its compliant ol_flags mode, net_virtio
// with RX checksum/LRO): the PMD read the peer's header but kept of it only RX flags, a partial
// checksum as RX_L4_CKSUM_NONE and a GSO frame as RX_LRO with tso_segsz, and no header lengths.
// Rebuilds the header those flags stand for from the frame's own headers and maps it as
// vnet_to_mbuf does, with the same checks: the TX intent the rest of the switch reads. A frame
// with neither flag is left as it is; on a drop the mbuf is left as it was.
VnetParse virtio_rx_to_tx(rte_mbuf *m) noexcept;

// virtio_rx_to_tx over a received burst: frees the frames it refuses, each counted on `pc`
// by its reason, and keeps the rest in order. Returns how many are left; `dropped_bytes` gets
// the bytes of those taken out.
uint16_t virtio_rx_burst_to_tx(rte_mbuf **pkts, uint16_t n, PortCounters &pc, uint64_t &dropped_bytes) noexcept;

}  // namespace dsw
