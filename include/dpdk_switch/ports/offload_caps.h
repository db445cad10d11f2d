// What a port does for the frames it sends (checksum, segmentation), and whether the frames it
// receives may ask for it. Said once per port at setup: by its kind (PortKind::offloads) for a
// port whose I/O is our own, by EthPort from what it enabled on the device for an ethdev. The
// dataplane view carries it (PortSlot::offload_caps) and the worker reads it per burst.
#pragma once

#include <cstdint>

#include <rte_mbuf_core.h>

namespace dsw {

enum OffloadCaps : uint8_t {
    kCapNone = 0,
    // What an egress port takes. TSO/USO imply the port also completes the checksums of what it
    // segments; a frame asking for one a port lacks is completed or split by the worker
    // (dataplane/offload.h).
    kCapCsum = 1,   // TCP/UDP and IPv4 header checksums
    kCapTso = 2,    // TCP segmentation (IPv4 and IPv6)
    kCapUso = 4,    // UDP segmentation
    kCapTx = kCapCsum | kCapTso | kCapUso,
    // It takes a UDP-tunnelled frame whose inner TCP/UDP segment and checksum are still to do,
    // whole (a vtap with TUN_F_UDP_TUNNEL_GSO: the kernel segments it): as a VXLAN underlay, the
    // inner frame's TSO/USO and checksum requests then survive encapsulation (vxlan_tx_offload.cc)
    // instead of being done before it.
    kCapUdpTunnelTso = 8,
    // Its TX sends a frame's first mbuf only (an ethdev without RTE_ETH_TX_OFFLOAD_MULTI_SEGS:
    // net_af_xdp 22.11 copies pkt_len bytes from it): the frames the worker makes for it (a
    // header mbuf chained to the payload) are made linear first.
    kCapTxLinear = 0x40,
    // Not a TX capability: the port's RX may hand over frames that carry TX offload requests
    // (ol_flags, l2/l3/l4_len, tso_segsz: a checksum left partial, a TSO/USO segment). Only the
    // bursts of such a port are looked at for them, so that every other port's frames pay
    // nothing for offloads.
    kCapRxOffloads = 0x80,
};

// The ol_flags by which a frame asks its egress for work: segmentation, and the checksums.
inline constexpr uint64_t kTxSegRequests = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG;
inline constexpr uint64_t kTxOffloadRequests = kTxSegRequests | RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM;

}  // namespace dsw
