// virtio_net_hdr ⇄ mbuf offload fields. The checks follow the kernel's virtio_net_hdr_to_skb
// (which refuses a checksum that ends past the frame and a GSO type it does not know) but go
// further: the switch forwards what it accepts to other hosts and ports, so the header must
// agree with the frame's own headers, not just fit inside it.
#include "dpdk_switch/dataplane/vnet_hdr.h"

#include <cstddef>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/ports/offload_caps.h"

namespace dsw {
namespace {

constexpr uint16_t kTcpCsumOffset = offsetof(rte_tcp_hdr, cksum);
constexpr uint16_t kUdpCsumOffset = offsetof(rte_udp_hdr, dgram_cksum);
constexpr uint8_t kTcpCwr = 0x80;

struct FrameHeaders {
    uint16_t l2_len, l3_len, l4_len;
    uint32_t l3_end;   // where the IP packet ends, by its own length field
    bool ipv4;
    uint8_t proto;   // IPPROTO_TCP or IPPROTO_UDP
};

// Walks Ethernet, one tag, IP and TCP/UDP in the first segment: rte_gso and the checksum
// fallback both need the headers there, so a frame that splits them is not one to offload.
VnetParse parse_headers(const rte_mbuf *m, FrameHeaders &fh) noexcept {
    const auto *p = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint32_t len = m->data_len;
    if (len < sizeof(rte_ether_hdr)) return {false, DropReason::offload_bad_headers};
    // rte_ether_hdr is 2-aligned and a frame need not be (an odd headroom): the ethertype by
    // bytes. The IP, TCP and UDP headers are packed structs, read in place.
    uint16_t type_be;
    std::memcpy(&type_be, p + offsetof(rte_ether_hdr, ether_type), sizeof type_be);
    uint16_t type = rte_be_to_cpu_16(type_be);
    uint32_t off = sizeof(rte_ether_hdr);
    if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
        if (len < off + sizeof(rte_vlan_hdr)) return {false, DropReason::offload_bad_headers};
        type = rte_be_to_cpu_16(reinterpret_cast<const rte_vlan_hdr *>(p + off)->eth_proto);
        off += sizeof(rte_vlan_hdr);
    }
    fh.l2_len = static_cast<uint16_t>(off);
    if (type == RTE_ETHER_TYPE_IPV4) {
        if (len < off + sizeof(rte_ipv4_hdr)) return {false, DropReason::offload_bad_headers};
        const auto *ip = reinterpret_cast<const rte_ipv4_hdr *>(p + off);
        const uint32_t ihl = rte_ipv4_hdr_len(ip);
        const uint32_t total = rte_be_to_cpu_16(ip->total_length);
        // total_length must cover the IP header and not run past the frame: checksum and
        // segmentation both read it as the L4 length.
        if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || len < off + ihl || total < ihl ||
            off + total > m->pkt_len)
            return {false, DropReason::offload_bad_headers};
        if (rte_be_to_cpu_16(ip->fragment_offset) & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))
            return {false, DropReason::offload_unsupported};
        fh.ipv4 = true;
        fh.proto = ip->next_proto_id;
        fh.l3_len = static_cast<uint16_t>(ihl);
        fh.l3_end = off + total;
    } else if (type == RTE_ETHER_TYPE_IPV6) {
        if (len < off + sizeof(rte_ipv6_hdr)) return {false, DropReason::offload_bad_headers};
        const auto *ip = reinterpret_cast<const rte_ipv6_hdr *>(p + off);
        if ((rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
            off + sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len) > m->pkt_len)
            return {false, DropReason::offload_bad_headers};
        fh.ipv4 = false;
        fh.proto = ip->proto;   // an extension header is not walked: refused below
        fh.l3_len = sizeof(rte_ipv6_hdr);
        fh.l3_end = off + sizeof(rte_ipv6_hdr) + rte_be_to_cpu_16(ip->payload_len);
    } else {
        return {false, DropReason::offload_unsupported};
    }
    off += fh.l3_len;
    if (fh.proto == IPPROTO_TCP) {
        if (len < off + sizeof(rte_tcp_hdr)) return {false, DropReason::offload_bad_headers};
        const uint32_t doff = (reinterpret_cast<const rte_tcp_hdr *>(p + off)->data_off >> 4) * 4u;
        if (doff < sizeof(rte_tcp_hdr) || len < off + doff) return {false, DropReason::offload_bad_headers};
        fh.l4_len = static_cast<uint16_t>(doff);
    } else if (fh.proto == IPPROTO_UDP) {
        if (len < off + sizeof(rte_udp_hdr)) return {false, DropReason::offload_bad_headers};
        fh.l4_len = sizeof(rte_udp_hdr);
    } else {
        return {false, DropReason::offload_unsupported};
    }
    return {true, DropReason::count};
}

// The header's own fields, before anything of the frame is read.
VnetParse check_header(const virtio_net_hdr &h, const rte_mbuf *m) noexcept {
    const uint8_t gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    const bool ecn = h.gso_type & VIRTIO_NET_HDR_GSO_ECN;
    if (h.flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID))
        return {false, DropReason::offload_bad_csum};   // RSC_INFO and later bits: never sent to a host
    // Legacy UFO means IP fragmentation of one datagram: no Linux since 4.14 sends it.
    if (gso == VIRTIO_NET_HDR_GSO_UDP) return {false, DropReason::offload_unsupported};
    if (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6 &&
        gso != kVnetGsoUdpL4)
        return {false, DropReason::offload_bad_gso};
    if (ecn && gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6)
        return {false, DropReason::offload_bad_gso};
    const uint16_t gso_size = rte_le_to_cpu_16(h.gso_size);
    if (gso != VIRTIO_NET_HDR_GSO_NONE && (gso_size == 0 || rte_le_to_cpu_16(h.hdr_len) > m->pkt_len))
        return {false, DropReason::offload_bad_gso};
    return {true, DropReason::count};
}

// A checksum to complete inside a UDP packet's payload: a tunnel's inner TCP/UDP checksum, as
// the kernel's vxlan (or geneve) leaves it when its underlay is a veth. virtio_net_hdr_from_skb
// writes csum_start at the inner L4 header and, for a UDP-tunnel GSO skb, the inner GSO type
// (TCPV4, TCPV6, UDP_L4) without a word of the tunnel: the legacy header has no bit for it.
// The inner headers are not walked here; the request is kept as one for an L4 checksum starting
// at l2_len + l3_len (so that a tag edit moves it as it moves any), with RTE_MBUF_F_TX_TUNNEL_UDP
// saying that l3_len spans the outer IP and UDP, the tunnel header and the inner L2 and L3,
// TX_OUTER_IPV4/6 the outer IP version and, for a GSO frame, TX_TCP_SEG/UDP_SEG, tso_segsz and
// TX_IPV4/6 the inner segmentation the header asked for. vxlan_decap turns it into the inner
// frame's own request; on any other path prepare_for_tx completes a checksum and refuses a
// segment (nothing here splits inside a tunnel).
VnetParse apply_tunnel_csum(const virtio_net_hdr &h, const FrameHeaders &fh, rte_mbuf *m) noexcept {
    const uint32_t start = rte_le_to_cpu_16(h.csum_start), offset = rte_le_to_cpu_16(h.csum_offset);
    const uint32_t in_udp = start - (fh.l2_len + fh.l3_len);   // start > the UDP header's: the caller's test
    const uint8_t gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    const bool tcp = offset == kTcpCsumOffset;
    if (fh.proto != IPPROTO_UDP || in_udp < sizeof(rte_udp_hdr) + sizeof(rte_ether_hdr) ||
        start - fh.l2_len > 511 ||   // l3_len: 9 bits
        (!tcp && offset != kUdpCsumOffset) || start + offset + 2 > fh.l3_end)
        return {false, DropReason::offload_bad_csum};
    if (gso != VIRTIO_NET_HDR_GSO_NONE && (tcp != (gso != kVnetGsoUdpL4) || fh.l3_end != m->pkt_len))
        return {false, DropReason::offload_bad_gso};
    uint64_t f = m->ol_flags & ~(kTxOffloadRequests | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 |
                                 RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6);
    f |= RTE_MBUF_F_TX_TUNNEL_UDP | (fh.ipv4 ? RTE_MBUF_F_TX_OUTER_IPV4 : RTE_MBUF_F_TX_OUTER_IPV6);
    f |= tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        f |= tcp ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG;
        if (gso == VIRTIO_NET_HDR_GSO_TCPV6) f |= RTE_MBUF_F_TX_IPV6;
        if (gso == VIRTIO_NET_HDR_GSO_TCPV4) f |= RTE_MBUF_F_TX_IPV4;
        m->tso_segsz = rte_le_to_cpu_16(h.gso_size);
    }
    m->ol_flags = f;
    m->l2_len = fh.l2_len;
    m->l3_len = static_cast<uint16_t>(start - fh.l2_len);
    m->l4_len = 0;
    return {true, DropReason::count};
}

// The header against the frame's own headers `fh`, then the mbuf's offload fields from both.
VnetParse apply_header(const virtio_net_hdr &h, const FrameHeaders &fh, rte_mbuf *m) noexcept {
    const uint8_t gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
    const bool needs_csum = h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM;
    const uint16_t l4_off = fh.l2_len + fh.l3_len;
    const bool tcp = fh.proto == IPPROTO_TCP;
    if (needs_csum) {
        const uint32_t start = rte_le_to_cpu_16(h.csum_start), offset = rte_le_to_cpu_16(h.csum_offset);
        if (start + offset + 2 > m->pkt_len) return {false, DropReason::offload_bad_csum};
        // The mbuf can say "TCP/UDP checksum to complete", not "a sum from any byte into any
        // other": a checksum anywhere else is one the switch could not carry or complete.
        if (start > l4_off) return apply_tunnel_csum(h, fh, m);
        if (start != l4_off || offset != (tcp ? kTcpCsumOffset : kUdpCsumOffset))
            return {false, DropReason::offload_bad_csum};
    }
    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        const bool match = gso == VIRTIO_NET_HDR_GSO_TCPV4   ? tcp && fh.ipv4
                           : gso == VIRTIO_NET_HDR_GSO_TCPV6 ? tcp && !fh.ipv4
                                                             : !tcp;
        // Bytes past the IP packet would become payload of the last segment.
        if (!match || fh.l3_end != m->pkt_len) return {false, DropReason::offload_bad_gso};
        // A GSO frame's checksum is partial whatever the flags say (virtio_net_hdr_to_skb
        // sets it up the same way): the segments need theirs computed.
    }

    uint64_t f = m->ol_flags & ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK |
                                 RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG);
    f |= fh.ipv4 ? RTE_MBUF_F_TX_IPV4 : RTE_MBUF_F_TX_IPV6;
    f |= tcp ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM;
    if (gso != VIRTIO_NET_HDR_GSO_NONE) {
        f |= tcp ? RTE_MBUF_F_TX_TCP_SEG : RTE_MBUF_F_TX_UDP_SEG;
        // Each segment gets a new total length, so a new IPv4 header checksum.
        if (fh.ipv4) f |= RTE_MBUF_F_TX_IP_CKSUM;
        m->tso_segsz = rte_le_to_cpu_16(h.gso_size);
    }
    if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) f = (f & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
    m->ol_flags = f;
    m->l2_len = fh.l2_len;
    m->l3_len = fh.l3_len;
    m->l4_len = fh.l4_len;
    return {true, DropReason::count};
}

}  // namespace

VnetParse vnet_to_mbuf(const virtio_net_hdr &h, rte_mbuf *m) noexcept {
    if (const VnetParse checked = check_header(h, m); !checked.ok) return checked;
    if (!(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && (h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_NONE) {
        // Nothing to carry but, maybe, that the checksum was already checked.
        if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID)
            m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_RX_L4_CKSUM_MASK) | RTE_MBUF_F_RX_L4_CKSUM_GOOD;
        return {true, DropReason::count};
    }
    FrameHeaders fh{};
    if (const VnetParse parsed = parse_headers(m, fh); !parsed.ok) return parsed;
    return apply_header(h, fh, m);
}

VnetParse virtio_rx_to_tx(rte_mbuf *m) noexcept {
    const uint64_t f = m->ol_flags;
    const bool lro = f & RTE_MBUF_F_RX_LRO;
    if (!lro && (f & RTE_MBUF_F_RX_L4_CKSUM_MASK) != RTE_MBUF_F_RX_L4_CKSUM_NONE) return {true, DropReason::count};
    FrameHeaders fh{};
    if (const VnetParse parsed = parse_headers(m, fh); !parsed.ok) return parsed;
    // The header the peer must have written, rebuilt from what the PMD kept of it: the PMD
    // checked that the checksum starts within the headers and the GSO type matches the L4
    // protocol, not more, so it goes through the same checks as a vnet port's header.
    const bool tcp = fh.proto == IPPROTO_TCP;
    virtio_net_hdr h{};
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(fh.l2_len + fh.l3_len));
    h.csum_offset = rte_cpu_to_le_16(tcp ? kTcpCsumOffset : kUdpCsumOffset);
    if (lro) {
        // An RX_LRO UDP frame is legacy UFO (net_vhost marks GSO_UDP so): IP fragments, refused.
        h.gso_type = !tcp ? VIRTIO_NET_HDR_GSO_UDP : fh.ipv4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
        h.gso_size = rte_cpu_to_le_16(m->tso_segsz);
        h.hdr_len = rte_cpu_to_le_16(static_cast<uint16_t>(fh.l2_len + fh.l3_len + fh.l4_len));
    }
    if (const VnetParse checked = check_header(h, m); !checked.ok) return checked;
    const VnetParse applied = apply_header(h, fh, m);
    // RX_LRO said "a segment to be split", which the TX flags now say: it must not be read
    // as more later (mbuf_to_vnet reads RX_L4_CKSUM_GOOD only).
    if (applied.ok) m->ol_flags &= ~RTE_MBUF_F_RX_LRO;
    return applied;
}

uint16_t virtio_rx_burst_to_tx(rte_mbuf **pkts, uint16_t n, PortCounters &pc, uint64_t &dropped_bytes) noexcept {
    uint16_t kept = 0;
    dropped_bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf *m = pkts[i];
        const VnetParse r = virtio_rx_to_tx(m);
        if (r.ok) [[likely]] {
            pkts[kept++] = m;
        } else {
            pc.drops[static_cast<unsigned>(r.reason)].inc();
            dropped_bytes += m->pkt_len;
            rte_pktmbuf_free(m);
        }
    }
    return kept;
}

void mbuf_to_vnet(const rte_mbuf *m, virtio_net_hdr &h) noexcept {
    h = virtio_net_hdr{};
    const uint64_t f = m->ol_flags;
    const uint64_t l4 = f & RTE_MBUF_F_TX_L4_MASK;
    const bool seg = f & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG);
    const bool tcp = (f & RTE_MBUF_F_TX_TCP_SEG) || l4 == RTE_MBUF_F_TX_TCP_CKSUM;
    if (seg || l4 == RTE_MBUF_F_TX_TCP_CKSUM || l4 == RTE_MBUF_F_TX_UDP_CKSUM) {
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(m->l2_len + m->l3_len));
        h.csum_offset = rte_cpu_to_le_16(tcp ? kTcpCsumOffset : kUdpCsumOffset);
    } else if ((f & RTE_MBUF_F_RX_L4_CKSUM_MASK) == RTE_MBUF_F_RX_L4_CKSUM_GOOD) {
        h.flags = VIRTIO_NET_HDR_F_DATA_VALID;
    }
    if (!seg) return;
    const uint32_t hdr_len = m->l2_len + m->l3_len + m->l4_len;
    if (!tcp) {
        h.gso_type = kVnetGsoUdpL4;
    } else {
        h.gso_type = (f & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
        const auto *th = rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr *, m->l2_len + m->l3_len);
        if (hdr_len <= m->data_len && (th->tcp_flags & kTcpCwr)) h.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
    }
    h.gso_size = rte_cpu_to_le_16(m->tso_segsz);
    h.hdr_len = rte_cpu_to_le_16(static_cast<uint16_t>(hdr_len));
}

}  // namespace dsw
