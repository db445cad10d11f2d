// Checksum completion and segmentation in software, for an egress port that cannot do them.
// TCP over IPv4 is split by librte_gso. DPDK 22.11's rte_gso has no TCP over IPv6, and its UDP
// path is IP fragmentation (UFO), not the UDP segmentation (USO) a GSO_UDP_L4 frame asks for:
// those two are split here the way rte_gso splits, a header mbuf per segment chained to
// indirect mbufs over the payload. rte_gso leaves every checksum to the caller and so does the
// splitter: fix_segment writes lengths, sequence numbers, flags and checksums for both. A UDP
// tunnel's checksum and GSO frames: offload_tunnel.cc.
#include "dpdk_switch/dataplane/offload.h"

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include <netinet/in.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_gso.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "offload_impl.h"

namespace dsw {

namespace offload_detail {

// A private copy of m's headers (gathered, wherever they sit) chained to a clone of the rest.
// m keeps its reference, so that on a later failure it is still the caller's, as
// prepare_for_tx promises.
rte_mbuf *unshare_headers(rte_mbuf *m, uint32_t hl, const GsoContext &gso) noexcept {
    rte_mbuf *hdr = rte_pktmbuf_alloc(gso.direct_pool);
    if (hdr == nullptr) return nullptr;
    if (rte_pktmbuf_tailroom(hdr) < hl) {
        rte_pktmbuf_free(hdr);
        return nullptr;
    }
    rte_mbuf *rest = rte_pktmbuf_clone(m, gso.indirect_pool);
    if (rest == nullptr) {
        rte_pktmbuf_free(hdr);
        return nullptr;
    }
    auto *dst = rte_pktmbuf_append(hdr, static_cast<uint16_t>(hl));
    const void *src = rte_pktmbuf_read(m, 0, hl, dst);   // hl <= pkt_len: check_request
    if (src != dst) std::memcpy(dst, src, hl);
    hdr->port = m->port;
    hdr->ol_flags = m->ol_flags;
    hdr->tx_offload = m->tx_offload;
    hdr->packet_type = m->packet_type;
    // The clone less its first hl bytes: the segments they fill whole go.
    const uint32_t rest_len = rest->pkt_len - hl;
    uint16_t rest_segs = rest->nb_segs;
    uint32_t skip = hl;
    while (rest != nullptr && skip >= rest->data_len && (skip > 0 || rest->data_len == 0)) {
        skip -= rest->data_len;
        rte_mbuf *next = rest->next;
        rest->next = nullptr;
        rest->nb_segs = 1;
        rte_pktmbuf_free_seg(rest);
        rest = next;
        --rest_segs;
    }
    if (rest == nullptr) return hdr;   // no payload
    rest->data_off = static_cast<uint16_t>(rest->data_off + skip);
    rest->data_len = static_cast<uint16_t>(rest->data_len - skip);
    rest->pkt_len = rest_len;
    rest->nb_segs = rest_segs;
    if (rte_pktmbuf_chain(hdr, rest) != 0) {   // more segments than an mbuf chain may have
        rte_pktmbuf_free(hdr);
        rte_pktmbuf_free(rest);
        return nullptr;
    }
    return hdr;
}

// Splits m's payload into frames of `unit` bytes, each a copy of the headers chained to
// indirect mbufs over its part of the payload. Returns the count, or -ENOMEM / -EINVAL (more
// frames than max_out) with nothing left allocated.
// m's headers (its first hl bytes) are contiguous (in its first segment).
int split(rte_mbuf *m, uint32_t hl, uint32_t unit, const GsoContext &gso, rte_mbuf **out, uint16_t max_out) noexcept {
    const rte_mbuf *in = m;
    uint32_t pos = hl;   // within `in`
    int n = 0;
    auto fail = [&](int err) {
        for (int i = 0; i < n; ++i) rte_pktmbuf_free(out[i]);
        return err;
    };
    while (in != nullptr) {
        if (pos >= in->data_len) {   // an empty or used-up segment
            in = in->next;
            pos = 0;
            continue;
        }
        if (n == max_out) return fail(-EINVAL);
        rte_mbuf *hdr = rte_pktmbuf_alloc(gso.direct_pool);
        if (hdr == nullptr) return fail(-ENOMEM);
        out[n++] = hdr;
        if (rte_pktmbuf_tailroom(hdr) < hl) return fail(-ENOMEM);
        std::memcpy(rte_pktmbuf_append(hdr, static_cast<uint16_t>(hl)), rte_pktmbuf_mtod(m, const void *), hl);
        hdr->port = m->port;
        hdr->ol_flags = m->ol_flags;
        hdr->tx_offload = m->tx_offload;
        hdr->packet_type = m->packet_type;
        rte_mbuf *last = hdr;
        uint32_t want = unit;
        while (want > 0 && in != nullptr) {
            if (pos >= in->data_len) {
                in = in->next;
                pos = 0;
                continue;
            }
            rte_mbuf *piece = rte_pktmbuf_alloc(gso.indirect_pool);
            if (piece == nullptr) return fail(-ENOMEM);
            rte_pktmbuf_attach(piece, const_cast<rte_mbuf *>(in));
            const uint32_t take = std::min<uint32_t>(want, in->data_len - pos);
            piece->data_off = static_cast<uint16_t>(in->data_off + pos);
            piece->data_len = static_cast<uint16_t>(take);
            last->next = piece;
            last = piece;
            hdr->nb_segs++;
            hdr->pkt_len += take;
            pos += take;
            want -= take;
        }
    }
    return n;
}

}  // namespace offload_detail

using namespace offload_detail;

namespace {

// The L4 protocol whose checksum a frame asks for; none: the IPv4 header checksum only.
enum class L4 : uint8_t { none, tcp, udp };

uint32_t header_len(const rte_mbuf *m, L4 l4) noexcept {
    return m->l2_len + m->l3_len + (l4 == L4::none ? 0u : m->l4_len);
}

// The headers sit whole in the first segment: rte_gso, the splitter and the in-place writes
// read them there. A frame flooded across VLAN tagging (vlan_variant's header segment) is one
// whose headers do not.
bool contiguous(const rte_mbuf *m, L4 l4) noexcept { return header_len(m, l4) <= m->data_len; }

// What m's request says of its L4 and whether the lengths and the frame's own headers agree
// with it: the lengths came from vnet_to_mbuf or a PMD, and every write below goes through
// them. Reads the headers wherever they sit (rte_pktmbuf_read), so that checking needs no copy.
bool check_request(const rte_mbuf *m, bool seg, L4 &l4, DropReason &drop) noexcept {
    const uint64_t f = m->ol_flags;
    const uint64_t l4_req = f & RTE_MBUF_F_TX_L4_MASK;
    const uint64_t segs = f & kTxSegRequests;
    auto refuse = [&](DropReason r) {
        drop = r;
        return false;
    };
    if (l4_req == RTE_MBUF_F_TX_SCTP_CKSUM) return refuse(DropReason::offload_unsupported);
    if (segs == kTxSegRequests || (segs == RTE_MBUF_F_TX_TCP_SEG && l4_req == RTE_MBUF_F_TX_UDP_CKSUM) ||
        (segs == RTE_MBUF_F_TX_UDP_SEG && l4_req == RTE_MBUF_F_TX_TCP_CKSUM))
        return refuse(DropReason::offload_bad_gso);   // segmentation of the other protocol
    l4 = (segs == RTE_MBUF_F_TX_TCP_SEG || l4_req == RTE_MBUF_F_TX_TCP_CKSUM)   ? L4::tcp
         : (segs == RTE_MBUF_F_TX_UDP_SEG || l4_req == RTE_MBUF_F_TX_UDP_CKSUM) ? L4::udp
                                                                                : L4::none;
    if (seg && m->tso_segsz == 0) return refuse(DropReason::offload_bad_gso);
    const uint64_t ip = f & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
    const bool v4 = ip == RTE_MBUF_F_TX_IPV4;
    if ((ip != RTE_MBUF_F_TX_IPV4 && ip != RTE_MBUF_F_TX_IPV6) || ((f & RTE_MBUF_F_TX_IP_CKSUM) && !v4) ||
        m->l2_len < sizeof(rte_ether_hdr) || m->l3_len < (v4 ? sizeof(rte_ipv4_hdr) : sizeof(rte_ipv6_hdr)) ||
        (l4 == L4::tcp && m->l4_len < sizeof(rte_tcp_hdr)) || (l4 == L4::udp && m->l4_len != sizeof(rte_udp_hdr)))
        return refuse(DropReason::offload_bad_headers);
    // Where the checksum would be written, or the payload start: past the frame.
    const uint32_t hl = header_len(m, l4);
    if (hl > m->pkt_len) return refuse(seg ? DropReason::offload_bad_gso : DropReason::offload_bad_csum);

    uint8_t buf[128 + 512 + 256];   // the most l2_len (7 bits), l3_len (9) and l4_len (8) say
    const auto *h = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, hl, buf));
    uint16_t type_be;
    std::memcpy(&type_be, h + m->l2_len - 2, 2);
    if (type_be != rte_cpu_to_be_16(v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6))
        return refuse(DropReason::offload_bad_headers);
    const uint8_t *l3 = h + m->l2_len;
    const uint8_t want_proto = l4 == L4::tcp ? IPPROTO_TCP : IPPROTO_UDP;
    uint32_t ip_end;   // where the IP packet ends, by its own length field
    if (v4) {
        rte_ipv4_hdr ih;
        std::memcpy(&ih, l3, sizeof ih);
        if ((ih.version_ihl >> 4) != 4 || rte_ipv4_hdr_len(&ih) != m->l3_len)
            return refuse(DropReason::offload_bad_headers);
        if (rte_be_to_cpu_16(ih.fragment_offset) & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))
            return refuse(DropReason::offload_unsupported);
        if (l4 != L4::none && ih.next_proto_id != want_proto) return refuse(DropReason::offload_bad_headers);
        ip_end = m->l2_len + rte_be_to_cpu_16(ih.total_length);
    } else {
        rte_ipv6_hdr ih;
        std::memcpy(&ih, l3, sizeof ih);
        if ((rte_be_to_cpu_32(ih.vtc_flow) >> 28) != 6) return refuse(DropReason::offload_bad_headers);
        // Extension headers are not walked: l3_len beyond the fixed header, or a next header
        // that is neither TCP nor UDP.
        if (m->l3_len != sizeof(rte_ipv6_hdr) || (ih.proto != IPPROTO_TCP && ih.proto != IPPROTO_UDP))
            return refuse(DropReason::offload_unsupported);
        if (ih.proto != want_proto) return refuse(DropReason::offload_bad_headers);
        ip_end = m->l2_len + sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ih.payload_len);
    }
    if (l4 == L4::tcp && (l3[m->l3_len + 12] >> 4) * 4u != m->l4_len) return refuse(DropReason::offload_bad_headers);
    // The checksum covers the IP packet by its length, which must hold the headers and fit the
    // frame (Ethernet padding may follow a short one). A segment's payload is the frame's rest:
    // bytes past the IP packet would become payload of its last segment.
    if (ip_end < hl || ip_end > m->pkt_len) return refuse(DropReason::offload_bad_headers);
    if (seg && ip_end != m->pkt_len) return refuse(DropReason::offload_bad_gso);
    return true;
}

// Completes the TCP/UDP checksum (and the IPv4 header's) over the lengths the IP header holds,
// so Ethernet padding stays out of it. The field is zeroed first: the sender left a
// pseudo-header sum there, and rte_*_udptcp_cksum_mbuf sums the whole L4 header. L4::none: a
// frame that asked for its IPv4 header checksum alone.
void write_checksums(rte_mbuf *s, L4 l4) noexcept {
    auto *l3 = rte_pktmbuf_mtod_offset(s, uint8_t *, s->l2_len);
    const uint16_t l4_off = s->l2_len + s->l3_len;
    auto *th = reinterpret_cast<rte_tcp_hdr *>(l3 + s->l3_len);
    auto *uh = reinterpret_cast<rte_udp_hdr *>(l3 + s->l3_len);
    if (l4 == L4::tcp)
        th->cksum = 0;
    else if (l4 == L4::udp)
        uh->dgram_cksum = 0;
    uint16_t cksum = 0;
    if (s->ol_flags & RTE_MBUF_F_TX_IPV4) {
        auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        if (l4 != L4::none) cksum = rte_ipv4_udptcp_cksum_mbuf(s, ip, l4_off);
    } else if (l4 != L4::none) {
        cksum = rte_ipv6_udptcp_cksum_mbuf(s, reinterpret_cast<const rte_ipv6_hdr *>(l3), l4_off);
    }
    if (l4 == L4::tcp)
        th->cksum = cksum;
    else if (l4 == L4::udp)
        uh->dgram_cksum = cksum;
    s->ol_flags &= ~kTxOffloadRequests;
}

// Makes segment `index` of `count` (its payload `offset` bytes after the original's first) a
// frame of its own: lengths, IPv4 ID, TCP sequence and flags, then its checksums.
void fix_segment(rte_mbuf *s, bool tcp, uint16_t index, uint16_t count, uint32_t seq0, uint16_t id0,
                 uint32_t offset) noexcept {
    auto *l3 = rte_pktmbuf_mtod_offset(s, uint8_t *, s->l2_len);
    const uint16_t l4_off = s->l2_len + s->l3_len;
    auto *l4 = l3 + s->l3_len;
    if (tcp) {
        auto *th = reinterpret_cast<rte_tcp_hdr *>(l4);
        th->sent_seq = rte_cpu_to_be_32(seq0 + offset);
        // FIN and PSH belong to the last byte, CWR to the first segment only (as Linux's
        // tcp_gso_segment): the receiver must see each once.
        if (index + 1 < count) th->tcp_flags &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
        if (index > 0) th->tcp_flags &= static_cast<uint8_t>(~kTcpCwr);
    } else {
        reinterpret_cast<rte_udp_hdr *>(l4)->dgram_len = rte_cpu_to_be_16(static_cast<uint16_t>(s->pkt_len - l4_off));
    }
    if (s->ol_flags & RTE_MBUF_F_TX_IPV4) {
        auto *ip = reinterpret_cast<rte_ipv4_hdr *>(l3);
        ip->total_length = rte_cpu_to_be_16(static_cast<uint16_t>(s->pkt_len - s->l2_len));
        ip->packet_id = rte_cpu_to_be_16(static_cast<uint16_t>(id0 + index));
    } else {
        reinterpret_cast<rte_ipv6_hdr *>(l3)->payload_len = rte_cpu_to_be_16(static_cast<uint16_t>(s->pkt_len - l4_off));
    }
    write_checksums(s, tcp ? L4::tcp : L4::udp);
}

// m's request checked (check_request): split into segments of the port's size, or, when its
// payload fits one, its checksums completed.
uint16_t segment(rte_mbuf *m, L4 l4, const GsoContext &gso, rte_mbuf **out, uint16_t max_out,
                 OffloadCounters &counters, DropReason &drop) noexcept {
    const bool tcp = l4 == L4::tcp;
    const uint32_t hl = header_len(m, l4);
    const uint32_t l3_room = gso.mtu > m->l3_len + m->l4_len ? gso.mtu - m->l3_len - m->l4_len : 0;
    const uint32_t unit = std::min<uint32_t>(m->tso_segsz, l3_room);
    if (unit == 0) {   // the port's MTU holds no payload after these headers
        drop = DropReason::offload_bad_gso;
        return 0;
    }
    if (!tcp && datagrams_exceed(m->tso_segsz, m->pkt_len - hl, l3_room)) [[unlikely]] {
        drop = DropReason::offload_gso_mtu;
        return 0;
    }
    const bool small = m->pkt_len - hl <= unit;
    const bool by_rte_gso = !small && tcp && (m->ol_flags & RTE_MBUF_F_TX_IPV4);
    // The splitter only reads m (its headers in one piece); rte_gso clears TX_TCP_SEG in its
    // input, and a frame too small to split gets its checksums written: both only on headers m
    // alone owns.
    rte_mbuf *work = m;
    if (((small || by_rte_gso) ? !headers_private(m) || !contiguous(m, l4) : !contiguous(m, l4)) &&
        (work = unshare_headers(m, header_len(m, l4), gso)) == nullptr) {
        drop = DropReason::offload_no_mbufs;
        return 0;
    }
    if (small) {
        write_checksums(work, l4);
        if (work != m) rte_pktmbuf_free(m);
        counters.csum_completed.inc();
        out[0] = work;
        return 1;
    }
    const uint8_t *l4h = rte_pktmbuf_mtod_offset(work, const uint8_t *, work->l2_len + work->l3_len);
    const uint32_t seq0 = tcp ? rte_be_to_cpu_32(reinterpret_cast<const rte_tcp_hdr *>(l4h)->sent_seq) : 0;
    const uint16_t id0 = (work->ol_flags & RTE_MBUF_F_TX_IPV4)
                             ? rte_be_to_cpu_16(rte_pktmbuf_mtod_offset(work, const rte_ipv4_hdr *, work->l2_len)->packet_id)
                             : 0;
    int n;
    if (by_rte_gso) {
        rte_gso_ctx ctx{gso.direct_pool, gso.indirect_pool, 0, RTE_ETH_TX_OFFLOAD_TCP_TSO,
                        static_cast<uint16_t>(hl + unit)};
        n = rte_gso_segment(work, &ctx, out, max_out);
        if (n == 0) n = -ENOTSUP;   // refused: rte_gso found it fragmented or without payload
    } else {
        n = split(work, header_len(work, l4), unit, gso, out, max_out);
    }
    if (n < 0) return split_failed(m, work, n, drop);
    uint32_t offset = 0;
    for (int i = 0; i < n; ++i) {
        fix_segment(out[i], tcp, static_cast<uint16_t>(i), static_cast<uint16_t>(n), seq0, id0, offset);
        offset += out[i]->pkt_len - hl;
    }
    return split_done(m, work, n, counters);
}

}  // namespace

uint16_t prepare_for_tx(rte_mbuf *m, uint8_t port_caps, const GsoContext &gso, rte_mbuf **out, uint16_t max_out,
                        OffloadCounters &counters, DropReason &drop) noexcept {
    const uint64_t f = m->ol_flags;
    if (!(f & kTxOffloadRequests)) [[likely]] {
        out[0] = m;
        return 1;
    }
    if ((f & RTE_MBUF_F_TX_TUNNEL_MASK) && max_out != 0) [[unlikely]] {
        if (!(f & kTxSegRequests)) return complete_tunnel_csum(m, gso, out, counters, drop);
        // A vtap (Linux 6.17+) takes it whole, with the tunnel header mbuf_to_vnet_tunnel
        // writes from the layout: checked here, as segmenting would.
        if ((port_caps & kCapUdpTunnelTso) && (f & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_UDP) {
            UdpTunnelLayout t;
            if (!udp_tunnel_layout(m, t, drop)) return 0;
            out[0] = m;
            return 1;
        }
        return segment_tunnel(m, gso, out, max_out, counters, drop);
    }
    const bool seg = f & kTxSegRequests;
    const uint8_t need = seg ? ((f & RTE_MBUF_F_TX_TCP_SEG) ? kCapTso : kCapUso) : kCapCsum;
    if (port_caps & need) {
        out[0] = m;
        return 1;
    }
    if (max_out == 0) [[unlikely]] {
        drop = DropReason::offload_no_mbufs;
        return 0;
    }
    L4 l4;
    if (!check_request(m, seg, l4, drop)) [[unlikely]]
        return 0;
    if (seg) return segment(m, l4, gso, out, max_out, counters, drop);
    rte_mbuf *work = m;
    if ((!headers_private(m) || !contiguous(m, l4)) && (work = unshare_headers(m, header_len(m, l4), gso)) == nullptr) {
        drop = DropReason::offload_no_mbufs;
        return 0;
    }
    write_checksums(work, l4);
    if (work != m) rte_pktmbuf_free(m);
    counters.csum_completed.inc();
    out[0] = work;
    return 1;
}

}  // namespace dsw
