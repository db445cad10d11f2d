// The virtio-net header with UDP-tunnel GSO (Linux 6.17: struct virtio_net_hdr_v1_hash_tunnel, what
// a tap with TUN_F_UDP_TUNNEL_GSO reads and writes once its header size is 24) mapped onto the
// mbuf and back. The frame is an outer Ethernet/IP/UDP packet (VXLAN, Geneve) whose inner TCP or
// UDP segment the kernel segments and checksums whole: the tunnel fields say where the outer UDP
// header and the inner IP header start. Debian 12's uapi headers predate it: it is defined here,
// checked against the kernel's include/uapi/linux/virtio_net.h.
#pragma once

#include <cstddef>
#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/vnet_hdr.h"

namespace dsw {

struct VnetTunnelHdr {
    virtio_net_hdr hdr;         // flags, gso_type, hdr_len, gso_size, csum_start, csum_offset
    uint16_t num_buffers;       // virtio_net_hdr_v1's; a tap writes 0 and ignores it
    uint16_t hash_value_lo, hash_value_hi, hash_report, padding;   // RSS hash report: unused, 0
    uint16_t outer_th_offset;   // the outer UDP header (little-endian, as every field)
    uint16_t inner_nh_offset;   // the inner IP header
};
static_assert(sizeof(VnetTunnelHdr) == 24 && offsetof(VnetTunnelHdr, outer_th_offset) == 20);

// gso_type bits beside the inner GSO type: the outer IP version of a UDP-tunnel GSO frame.
inline constexpr uint8_t kVnetGsoUdpTunnelIpv4 = 0x20;
inline constexpr uint8_t kVnetGsoUdpTunnelIpv6 = 0x40;
inline constexpr uint8_t kVnetGsoUdpTunnel = kVnetGsoUdpTunnelIpv4 | kVnetGsoUdpTunnelIpv6;
// flags: the outer UDP checksum is to be computed per segment too (SKB_GSO_UDP_TUNNEL_CSUM).
inline constexpr uint8_t kVnetFlagUdpTunnelCsum = 8;

// RX: a header without tunnel bits is vnet_to_mbuf's. A UDP-tunnel GSO header is checked as the
// kernel's virtio_net_hdr_tnl_to_skb checks it (one outer IP version, an inner TCP or UDP_L4 GSO
// type, NEEDS_CSUM, offsets in order) and against the frame's own headers (the outer UDP header
// and the inner IP header where the offsets say, of the versions the type says), and lands in
// vnet_to_mbuf's tunnel form (RTE_MBUF_F_TX_TUNNEL_UDP, l2_len + l3_len at the inner L4 header,
// the inner segmentation request): what a veth port makes of the kernel's UDP-tunnel frames, and
// what vxlan_decap reads. On a drop the mbuf is left as it was.
VnetParse vnet_tunnel_to_mbuf(const VnetTunnelHdr &h, rte_mbuf *m) noexcept;

// Where the layers of a UDP-tunnel GSO frame in vnet_to_mbuf's tunnel form (RTE_MBUF_F_TX_TUNNEL_UDP
// with TX_TCP_SEG or TX_UDP_SEG) start, read from its own bytes: the form keeps only the outer L2 length and
// the inner L4 offset (l2_len + l3_len), and a veth's plain header never said more. What both
// software segmentation (prepare_for_tx) and a vtap's TX header need.
struct UdpTunnelLayout {
    uint32_t outer_th;   // the outer UDP header
    uint32_t inner_nh;   // the inner IP header
    uint32_t inner_th;   // the inner TCP or UDP header
    uint32_t hl;         // all the headers: where the payload starts
    bool outer_v4, inner_v4, tcp;
    bool outer_csum;     // each segment's outer UDP checksum asked for
};
// False, with the reason to count, for a frame whose headers disagree with the request.
bool udp_tunnel_layout(const rte_mbuf *m, UdpTunnelLayout &t, DropReason &drop) noexcept;

// TX: a frame in DPDK's tunnel form (RTE_MBUF_F_TX_TUNNEL_VXLAN, outer_l2_len/outer_l3_len, l2_len
// from the outer UDP header to the inner IP header, the inner l3_len/l4_len) asking for inner
// segmentation gets the tunnel header; one asking only for the inner checksum gets a plain header
// at the inner L4 checksum (the kernel takes tunnel bits with GSO only). A tunnel GSO frame in
// vnet_to_mbuf's tunnel form (a container's own vxlan switched as it is) gets the tunnel header
// its sender's kernel wrote, from its layout, the outer checksum flag as it asked. Any other
// frame: as mbuf_to_vnet, tunnel fields 0.
void mbuf_to_vnet_tunnel(const rte_mbuf *m, VnetTunnelHdr &h) noexcept;

// TX to a tap that took TUN_F_UDP_TUNNEL_CSUM, after mbuf_to_vnet_tunnel: a UDP-tunnel GSO frame
// over IPv4 gets its outer UDP checksum asked for, as the kernel's vxlan sends it by default
// (udpcsum): UDP_TUNNEL_CSUM in the header, and the outer UDP checksum field set to the sum of
// the outer pseudo-header (the kernel's udp_set_csum for a GSO skb), from which the kernel's
// segmentation makes each segment's. Writes that field in the frame, so only a frame the caller
// alone owns (its headers written by vxlan_encap_offloaded): a shared one keeps checksum 0.
// Returns whether it asked.
bool vnet_tunnel_ask_outer_csum(rte_mbuf *m, VnetTunnelHdr &h) noexcept;

// The same for a frame in DPDK's tunnel form over IPv4 that asks only for its inner TCP/UDP
// checksum (which goes to the kernel as a plain header: one csum_start), done here: the outer UDP
// checksum written whole, by local checksum offload (the kernel's lco_csum): once the kernel
// has completed the inner checksum, the inner L4 segment sums to the complement of the inner
// pseudo-header sum its checksum field holds now, so the outer sum needs the headers from the
// outer UDP header to the inner L4 one only. Only a frame the caller alone owns, its headers in
// the first segment. Returns whether it wrote it.
bool vnet_tunnel_outer_csum_lco(rte_mbuf *m) noexcept;

}  // namespace dsw
