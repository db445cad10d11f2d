// Private to prepare_for_tx's two files: offload.cc (checksums and segments of plain frames,
// the splitter) and offload_tunnel.cc (a UDP tunnel's frames switched as they are).
#pragma once

#include <cerrno>
#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/offload.h"

namespace dsw::offload_detail {

inline constexpr uint8_t kTcpFin = 0x01, kTcpPsh = 0x08, kTcpCwr = 0x80;
// What says "a tunnel, its outer headers so": cleared once a frame is one a port sends as it is.
inline constexpr uint64_t kTunnelTxFlags = RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IPV4 |
                                           RTE_MBUF_F_TX_OUTER_IPV6 | RTE_MBUF_F_TX_OUTER_IP_CKSUM |
                                           RTE_MBUF_F_TX_OUTER_UDP_CKSUM;

// Writing into a buffer another mbuf also points at (a flood's extra reference, an indirect
// clone) would change the frame other ports are sending, maybe at this moment on another lcore.
inline bool headers_private(const rte_mbuf *m) noexcept { return RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1; }

// Whether a UDP GSO frame's datagrams (gso_size bytes of payload each, the last what remains)
// would not fit `room`, what the egress MTU leaves after their IP and UDP headers. Unlike a TCP
// stream's segments, each is a datagram its application sized (UDP_SEGMENT: QUIC's packets,
// say), so it is never cut smaller: the receiver would get other datagrams than were sent. Such
// a frame is a drop (DropReason::offload_gso_mtu). Linux does not cut them either: a router
// drops the frame (ip_forward: skb_gso_validate_network_len), a bridge's software GSO makes
// datagrams of gso_size that the smaller link then refuses. A payload that fits room whole is
// one datagram, which fits.
inline bool datagrams_exceed(uint32_t gso_size, uint32_t payload, uint32_t room) noexcept {
    return gso_size > room && payload > room;
}

// A private copy of m's first hl bytes chained to a clone of the rest (offload.cc).
rte_mbuf *unshare_headers(rte_mbuf *m, uint32_t hl, const GsoContext &gso) noexcept;
// m's payload after its first hl bytes (contiguous) in frames of `unit` bytes (offload.cc).
int split(rte_mbuf *m, uint32_t hl, uint32_t unit, const GsoContext &gso, rte_mbuf **out, uint16_t max_out) noexcept;

// The end of a split of m (its headers maybe copied into `work`) into n segments, as split or
// rte_gso answered: on failure (n < 0) the copy freed, m still the caller's, the drop's reason
// (a pool ran dry, or the splitter refused the frame); on success m and the copy freed (the
// segments hold their own references to the payload) and counted.
inline uint16_t split_failed(rte_mbuf *m, rte_mbuf *work, int n, DropReason &drop) noexcept {
    if (work != m) rte_pktmbuf_free(work);
    drop = n == -ENOMEM || n == -EINVAL ? DropReason::offload_no_mbufs : DropReason::offload_unsupported;
    return 0;
}
inline uint16_t split_done(rte_mbuf *m, rte_mbuf *work, int n, OffloadCounters &counters) noexcept {
    if (work != m) rte_pktmbuf_free(work);
    rte_pktmbuf_free(m);
    counters.gso_segmented.inc();
    return static_cast<uint16_t>(n);
}

// A UDP tunnel's frames in vnet_to_mbuf's tunnel form (offload_tunnel.cc): the inner checksum
// completed; a GSO frame segmented. prepare_for_tx's contract: 0 is a drop, m still the caller's.
uint16_t complete_tunnel_csum(rte_mbuf *m, const GsoContext &gso, rte_mbuf **out, OffloadCounters &counters,
                              DropReason &drop) noexcept;
uint16_t segment_tunnel(rte_mbuf *m, const GsoContext &gso, rte_mbuf **out, uint16_t max_out,
                        OffloadCounters &counters, DropReason &drop) noexcept;

}  // namespace dsw::offload_detail
