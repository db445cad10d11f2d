// prepare_for_tx's UDP-tunnel frames switched as they are (vnet_to_mbuf's tunnel form: a
// container's own vxlan behind a veth or a vtap port, not our VTEP's): the inner checksum
// completed, a tunnel GSO frame segmented in software as a Linux bridge's egress would.
#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include <rte_ethdev.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "offload_impl.h"

namespace dsw::offload_detail {

namespace {

// Makes segment `index` of `count` (its payload `offset` bytes after the original's first) of a
// tunnel GSO frame a frame of its own, as skb_udp_tunnel_segment and tcp_gso_segment leave it:
// both IP headers' lengths, IPv4 IDs and header checksums, the outer UDP length, the TCP sequence
// and flags and checksum (inner UDP, as __udp_gso_segment: its length and checksum), then the
// outer UDP checksum over all that when the sender asked for one (t.outer_csum), else the 0 it
// sent. Its headers are its own (a header mbuf per segment).
void fix_tunnel_segment(rte_mbuf *s, const UdpTunnelLayout &t, uint16_t index, uint16_t count, uint32_t seq0,
                        uint16_t outer_id0, uint16_t inner_id0, uint32_t offset) noexcept {
    auto *p = rte_pktmbuf_mtod(s, uint8_t *);
    const uint32_t len = s->pkt_len;
    auto *inner = p + t.inner_nh;
    auto *th = reinterpret_cast<rte_tcp_hdr *>(p + t.inner_th);
    auto *iuh = reinterpret_cast<rte_udp_hdr *>(p + t.inner_th);
    // Both checksum fields are zeroed first: rte_*_udptcp_cksum_mbuf sums the whole L4 header.
    if (t.tcp) {
        th->sent_seq = rte_cpu_to_be_32(seq0 + offset);
        if (index + 1 < count) th->tcp_flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
        if (index > 0) th->tcp_flags &= static_cast<uint8_t>(~kTcpCwr);
        th->cksum = 0;
    } else {
        iuh->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - t.inner_th));
        iuh->dgram_cksum = 0;
    }
    uint16_t l4_cksum;
    if (t.inner_v4) {
        auto *ih = reinterpret_cast<rte_ipv4_hdr *>(inner);
        ih->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - t.inner_nh));
        ih->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(inner_id0 + index));
        ih->hdr_checksum = 0;
        ih->hdr_checksum = rte_ipv4_cksum(ih);
        l4_cksum = rte_ipv4_udptcp_cksum_mbuf(s, ih, static_cast<uint16_t>(t.inner_th));
    } else {
        auto *ih = reinterpret_cast<rte_ipv6_hdr *>(inner);
        ih->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - t.inner_nh - sizeof(rte_ipv6_hdr)));
        l4_cksum = rte_ipv6_udptcp_cksum_mbuf(s, ih, static_cast<uint16_t>(t.inner_th));
    }
    if (t.tcp)
        th->cksum = l4_cksum;
    else
        iuh->dgram_cksum = l4_cksum;   // 0xffff for a sum of 0, as UDP needs
    auto *uh = reinterpret_cast<rte_udp_hdr *>(p + t.outer_th);
    uh->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - t.outer_th));
    uh->dgram_cksum = 0;
    auto *outer = p + s->l2_len;
    if (t.outer_v4) {
        auto *oh = reinterpret_cast<rte_ipv4_hdr *>(outer);
        oh->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(len - s->l2_len));
        oh->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(outer_id0 + index));
        oh->hdr_checksum = 0;
        oh->hdr_checksum = rte_ipv4_cksum(oh);
        if (t.outer_csum) uh->dgram_cksum = rte_ipv4_udptcp_cksum_mbuf(s, oh, static_cast<uint16_t>(t.outer_th));
    } else {
        auto *oh = reinterpret_cast<rte_ipv6_hdr *>(outer);
        oh->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(len - s->l2_len - sizeof(rte_ipv6_hdr)));
        if (t.outer_csum) uh->dgram_cksum = rte_ipv6_udptcp_cksum_mbuf(s, oh, static_cast<uint16_t>(t.outer_th));
    }
    s->ol_flags &= ~(kTxOffloadRequests | kTunnelTxFlags);
}

}  // namespace

// A UDP-tunnel GSO frame switched as it is (a container's own vxlan behind a vtap or a veth
// port) to a port that cannot take it whole: segmented here, as a Linux bridge's egress does in
// software (skb_udp_tunnel_segment), into frames of the inner MSS or the port's MTU. Outer IPv4
// around inner TCP/IPv4 goes to rte_gso (RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO: any UDP tunnel, it
// reads only the lengths), in DPDK's tunnel form for the call. rte_gso has no outer or inner
// IPv6, and its VXLAN UDP path fragments the inner IP packet (UFO) where UDP_L4 asks for
// datagrams: those go to the splitter. Either way fix_tunnel_segment then writes every field,
// for rte_gso writes no checksum and keeps CWR on every segment.
uint16_t segment_tunnel(rte_mbuf *m, const GsoContext &gso, rte_mbuf **out, uint16_t max_out,
                        OffloadCounters &counters, DropReason &drop) noexcept {
    UdpTunnelLayout t;
    if (!udp_tunnel_layout(m, t, drop)) return 0;
    const uint32_t ip_hdrs = t.hl - m->l2_len;   // the outer IP packet's headers
    const uint32_t room = gso.mtu > ip_hdrs ? gso.mtu - ip_hdrs : 0;
    const uint32_t unit = std::min<uint32_t>(m->tso_segsz, room);
    if (unit == 0) {
        drop = DropReason::offload_bad_gso;
        return 0;
    }
    if (!t.tcp && datagrams_exceed(m->tso_segsz, m->pkt_len - t.hl, room)) [[unlikely]] {   // inner UDP_L4
        drop = DropReason::offload_gso_mtu;
        return 0;
    }
    const bool small = m->pkt_len - t.hl <= unit;
    // rte_gso's l2_len (7 bits) spans the outer UDP header to the inner IP header.
    const bool by_rte_gso = !small && t.tcp && t.outer_v4 && t.inner_v4 && t.inner_nh - t.outer_th <= 127;
    rte_mbuf *work = m;
    const bool in_place = small || by_rte_gso;   // writes m's headers or its offload fields
    if (((in_place && !headers_private(m)) || t.hl > m->data_len) && (work = unshare_headers(m, t.hl, gso)) == nullptr) {
        drop = DropReason::offload_no_mbufs;
        return 0;
    }
    const auto *p = rte_pktmbuf_mtod(work, const uint8_t *);
    const uint32_t seq0 = t.tcp ? rte_be_to_cpu_32(reinterpret_cast<const rte_tcp_hdr *>(p + t.inner_th)->sent_seq) : 0;
    const uint16_t outer_id0 = t.outer_v4 ? rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr *>(p + work->l2_len)->packet_id) : 0;
    const uint16_t inner_id0 = t.inner_v4 ? rte_be_to_cpu_16(reinterpret_cast<const rte_ipv4_hdr *>(p + t.inner_nh)->packet_id) : 0;
    if (small) {
        fix_tunnel_segment(work, t, 0, 1, seq0, outer_id0, inner_id0, 0);
        if (work != m) rte_pktmbuf_free(m);
        counters.csum_completed.inc();
        out[0] = work;
        return 1;
    }
    int n;
    if (by_rte_gso) {
        const uint64_t flags = work->ol_flags, tx_offload = work->tx_offload;
        work->ol_flags = (flags & ~(kTxOffloadRequests | kTunnelTxFlags | RTE_MBUF_F_TX_IPV6)) | RTE_MBUF_F_TX_TCP_SEG |
                         RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TUNNEL_VXLAN;
        work->outer_l2_len = work->l2_len;
        work->outer_l3_len = t.outer_th - work->l2_len;
        work->l2_len = t.inner_nh - t.outer_th;
        work->l3_len = t.inner_th - t.inner_nh;
        work->l4_len = t.hl - t.inner_th;
        rte_gso_ctx ctx{gso.direct_pool, gso.indirect_pool, 0, RTE_ETH_TX_OFFLOAD_VXLAN_TNL_TSO,
                        static_cast<uint16_t>(t.hl + unit)};
        n = rte_gso_segment(work, &ctx, out, max_out);
        if (n == 0) n = -ENOTSUP;
        work->ol_flags = flags;
        work->tx_offload = tx_offload;
        // The segments' l2_len is the outer Ethernet header again, as fix_tunnel_segment reads it.
        for (int i = 0; i < n; ++i) out[i]->tx_offload = tx_offload;
    } else {
        n = split(work, t.hl, unit, gso, out, max_out);
    }
    if (n < 0) return split_failed(m, work, n, drop);
    uint32_t offset = 0;
    for (int i = 0; i < n; ++i) {
        fix_tunnel_segment(out[i], t, static_cast<uint16_t>(i), static_cast<uint16_t>(n), seq0, outer_id0, inner_id0,
                           offset);
        offset += out[i]->pkt_len - t.hl;
    }
    return split_done(m, work, n, counters);
}

// A checksum inside a UDP tunnel's payload (vnet_to_mbuf's tunnel form, on a frame switched as
// it is: a container's own vxlan behind a veth port) is completed for every egress, as the
// kernel's skb_checksum_help does: the sum from its start to the end of the outer IP packet,
// the sender's pseudo-header sum already in the field. No port here is given the inner checksum
// of a tunnel (a tunnel's GSO frame: segment_tunnel).
uint16_t complete_tunnel_csum(rte_mbuf *m, const GsoContext &gso, rte_mbuf **out, OffloadCounters &counters,
                              DropReason &drop) noexcept {
    const bool tcp = (m->ol_flags & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;
    const uint32_t start = m->l2_len + m->l3_len;
    const uint32_t field = start + (tcp ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum));
    const bool v4 = m->ol_flags & RTE_MBUF_F_TX_OUTER_IPV4;
    uint8_t buf[6];
    const auto *ip = static_cast<const uint8_t *>(rte_pktmbuf_read(m, m->l2_len, sizeof buf, buf));
    if (ip == nullptr || ip[0] >> 4 != (v4 ? 4 : 6)) {
        drop = DropReason::offload_bad_headers;
        return 0;
    }
    const uint32_t ip_len = v4 ? (uint32_t{ip[2]} << 8 | ip[3]) : sizeof(rte_ipv6_hdr) + (uint32_t{ip[4]} << 8 | ip[5]);
    const uint32_t end = m->l2_len + ip_len;
    if (end > m->pkt_len || field + 2 > end) {
        drop = DropReason::offload_bad_csum;
        return 0;
    }
    rte_mbuf *work = m;
    if ((!headers_private(m) || field + 2 > m->data_len) && (work = unshare_headers(m, field + 2, gso)) == nullptr) {
        drop = DropReason::offload_no_mbufs;
        return 0;
    }
    uint16_t sum = 0;
    if (rte_raw_cksum_mbuf(work, start, end - start, &sum) != 0) {
        if (work != m) rte_pktmbuf_free(work);
        drop = DropReason::offload_bad_csum;
        return 0;
    }
    uint16_t cksum = static_cast<uint16_t>(~sum);
    if (!tcp && cksum == 0) cksum = 0xffff;   // a UDP checksum of 0 means "none"
    std::memcpy(rte_pktmbuf_mtod_offset(work, uint8_t *, field), &cksum, 2);
    work->ol_flags &= ~(kTxOffloadRequests | kTunnelTxFlags);
    if (work != m) rte_pktmbuf_free(m);
    counters.csum_completed.inc();
    out[0] = work;
    return 1;
}

}  // namespace dsw::offload_detail
