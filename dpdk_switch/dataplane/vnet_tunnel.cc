// The UDP-tunnel virtio-net header ⇄ mbuf. RX reuses vnet_to_mbuf for everything a plain header
// says (the inner checksum, the inner GSO type and size, against the outer headers it walks) and
// checks here only what the tunnel fields add, against the frame's bytes: the switch decapsulates
// what it accepts and forwards the inner segment whole, so the offsets must be where the frame's
// own headers are, not merely in order as the kernel asks.
#include "dpdk_switch/dataplane/vnet_tunnel.h"

#include <algorithm>
#include <cstddef>
#include <cstring>

#include <netinet/in.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/ports/offload_caps.h"

namespace dsw {

namespace {

constexpr uint8_t kTcpCwr = 0x80;

// The IP header length at `off` of the first segment if it is of IP `version` (IPv6: the fixed
// header; an extension header would put the L4 header elsewhere), else 0.
uint32_t ip_header_len(const rte_mbuf *m, uint32_t off, unsigned version) noexcept {
    if (off + 1 > m->data_len) return 0;
    const uint8_t b = *rte_pktmbuf_mtod_offset(m, const uint8_t *, off);
    if ((b >> 4) != version) return 0;
    return version == 4 ? (b & 0x0f) * 4u : sizeof(rte_ipv6_hdr);
}

}  // namespace

VnetParse vnet_tunnel_to_mbuf(const VnetTunnelHdr &t, rte_mbuf *m) noexcept {
    const virtio_net_hdr &h = t.hdr;
    const uint8_t tnl = h.gso_type & kVnetGsoUdpTunnel;
    // Without tunnel GSO the tail of the header says nothing (the kernel writes tunnel offsets
    // for tunnel GSO only); a tunnel checksum flag without it is refused there as any unknown
    // flag, and counted as the malformed tunnel header it is.
    if (tnl == 0) [[likely]] {
        VnetParse r = vnet_to_mbuf(h, m);
        if (!r.ok && (h.flags & kVnetFlagUdpTunnelCsum)) [[unlikely]]
            r.reason = DropReason::offload_bad_tunnel;
        return r;
    }
    const uint8_t inner = h.gso_type & ~(kVnetGsoUdpTunnel | VIRTIO_NET_HDR_GSO_ECN);
    // One outer IP version; an inner TCP or UDP segment (not legacy UFO, not none); the inner
    // checksum asked for, as every segment needs it.
    if (tnl == kVnetGsoUdpTunnel ||
        (inner != VIRTIO_NET_HDR_GSO_TCPV4 && inner != VIRTIO_NET_HDR_GSO_TCPV6 && inner != kVnetGsoUdpL4) ||
        !(h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))
        return {false, DropReason::offload_bad_tunnel};
    const bool outer_v6 = tnl == kVnetGsoUdpTunnelIpv6;
    const uint32_t outer_th = rte_le_to_cpu_16(t.outer_th_offset), inner_nh = rte_le_to_cpu_16(t.inner_nh_offset),
                   inner_th = rte_le_to_cpu_16(h.csum_start);
    // The tunnel header and the inner Ethernet header at least between the outer UDP header and
    // the inner IP header.
    if (outer_th < RTE_ETHER_HDR_LEN + (outer_v6 ? sizeof(rte_ipv6_hdr) : sizeof(rte_ipv4_hdr)) ||
        inner_nh < outer_th + sizeof(rte_udp_hdr) + RTE_ETHER_HDR_LEN)
        return {false, DropReason::offload_bad_tunnel};
    // The inner IP header: of the version the GSO type says (UDP_L4 names none), and ending
    // where the inner checksum starts.
    const unsigned inner_version = inner == VIRTIO_NET_HDR_GSO_TCPV4 ? 4 : inner == VIRTIO_NET_HDR_GSO_TCPV6 ? 6 : 0;
    uint32_t inner_l3 = 0;
    if (inner_version != 0) {
        inner_l3 = ip_header_len(m, inner_nh, inner_version);
    } else if ((inner_l3 = ip_header_len(m, inner_nh, 4)) == 0) {
        inner_l3 = ip_header_len(m, inner_nh, 6);
    }
    if (inner_l3 < sizeof(rte_ipv4_hdr) || inner_nh + inner_l3 != inner_th) return {false, DropReason::offload_bad_tunnel};

    // The rest as a plain header pointing into the tunnel: vnet_to_mbuf's tunnel form, its
    // outer headers walked there. Undone if the tunnel fields then disagree with them.
    const uint64_t flags = m->ol_flags, tx_offload = m->tx_offload;   // the lengths and tso_segsz
    virtio_net_hdr plain = h;
    plain.gso_type = static_cast<uint8_t>(h.gso_type & ~kVnetGsoUdpTunnel);
    plain.flags = static_cast<uint8_t>(h.flags & ~kVnetFlagUdpTunnelCsum);
    if (const VnetParse r = vnet_to_mbuf(plain, m); !r.ok) return r;
    const bool tunnel_form = (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_UDP;
    const bool v6_outer = m->ol_flags & RTE_MBUF_F_TX_OUTER_IPV6;
    if (!tunnel_form || v6_outer != outer_v6 ||
        m->l2_len + ip_header_len(m, m->l2_len, outer_v6 ? 6 : 4) != outer_th) {
        m->ol_flags = flags;
        m->tx_offload = tx_offload;
        return {false, DropReason::offload_bad_tunnel};
    }
    // Each segment's outer UDP checksum asked for: kept for segmentation, or the header on TX.
    if (h.flags & kVnetFlagUdpTunnelCsum) m->ol_flags |= RTE_MBUF_F_TX_OUTER_UDP_CKSUM;
    return {true, DropReason::count};
}

// m a tunnel GSO frame: its layout, checked against its own headers as skb_udp_tunnel_segment
// would need them: outer IP (no fragment) carrying UDP to the frame's end, its UDP length that
// of the rest, an inner IP header (of the version a TCP request says; either for UDP_L4, which
// names none) ending at the inner TCP/UDP header and also running to the frame's end. The inner
// IPv4 header's start is found by its length (IHL at that start, and a total length ending the
// frame): nothing else marks it.
bool udp_tunnel_layout(const rte_mbuf *m, UdpTunnelLayout &t, DropReason &drop) noexcept {
    auto refuse = [&](DropReason r) {
        drop = r;
        return false;
    };
    const uint64_t f = m->ol_flags;
    const uint64_t inner_ip = f & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
    const uint64_t outer_ip = f & (RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6);
    const uint64_t seg = f & kTxSegRequests, l4 = f & RTE_MBUF_F_TX_L4_MASK;
    t.tcp = seg == RTE_MBUF_F_TX_TCP_SEG;
    if (!(t.tcp ? l4 == RTE_MBUF_F_TX_TCP_CKSUM : seg == RTE_MBUF_F_TX_UDP_SEG && l4 == RTE_MBUF_F_TX_UDP_CKSUM) ||
        (t.tcp && inner_ip != RTE_MBUF_F_TX_IPV4 && inner_ip != RTE_MBUF_F_TX_IPV6) ||
        (outer_ip != RTE_MBUF_F_TX_OUTER_IPV4 && outer_ip != RTE_MBUF_F_TX_OUTER_IPV6) || m->tso_segsz == 0)
        return refuse(DropReason::offload_bad_gso);
    t.outer_v4 = outer_ip == RTE_MBUF_F_TX_OUTER_IPV4;
    t.inner_th = m->l2_len + m->l3_len;
    const uint32_t len = m->pkt_len;
    if (m->l2_len < sizeof(rte_ether_hdr) || t.inner_th + (t.tcp ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr)) > len)
        return refuse(DropReason::offload_bad_headers);
    uint8_t buf[128 + 512 + 64];   // l2_len (7 bits), l3_len (9 bits), a TCP header
    const uint32_t want = std::min<uint32_t>(len, t.inner_th + 60);
    const auto *h = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, want, buf));
    const uint8_t *ip = h + m->l2_len;
    auto be16 = [](const uint8_t *p) { return static_cast<uint32_t>(p[0] << 8 | p[1]); };
    if (t.outer_v4) {
        const uint32_t ihl = (ip[0] & 0x0f) * 4u;
        if (ip[0] >> 4 != 4 || ihl < sizeof(rte_ipv4_hdr) || ip[9] != IPPROTO_UDP)
            return refuse(DropReason::offload_bad_headers);
        if (be16(ip + 6) & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)) return refuse(DropReason::offload_unsupported);
        if (m->l2_len + be16(ip + 2) != len) return refuse(DropReason::offload_bad_gso);
        t.outer_th = m->l2_len + ihl;
    } else {
        if (ip[0] >> 4 != 6 || ip[6] != IPPROTO_UDP) return refuse(DropReason::offload_bad_headers);
        if (m->l2_len + sizeof(rte_ipv6_hdr) + be16(ip + 4) != len) return refuse(DropReason::offload_bad_gso);
        t.outer_th = m->l2_len + sizeof(rte_ipv6_hdr);
    }
    // The outer UDP header, a tunnel header of 8 bytes at least (VXLAN's, Geneve's) and the inner
    // Ethernet header before the inner IP header.
    const uint32_t least_nh = t.outer_th + sizeof(rte_udp_hdr) + 8 + sizeof(rte_ether_hdr);
    if (least_nh + sizeof(rte_ipv4_hdr) > t.inner_th || be16(h + t.outer_th + 4) != len - t.outer_th)
        return refuse(DropReason::offload_bad_headers);
    const uint8_t proto = t.tcp ? IPPROTO_TCP : IPPROTO_UDP;
    t.inner_nh = 0;
    if (inner_ip != RTE_MBUF_F_TX_IPV6) {
        for (uint32_t ihl = 5; ihl <= 15 && t.inner_nh == 0; ++ihl) {
            const uint32_t nh = t.inner_th - ihl * 4;
            if (nh < least_nh) break;
            const uint8_t *in = h + nh;
            if (in[0] == (0x40 | ihl) && in[9] == proto && nh + be16(in + 2) == len) t.inner_nh = nh;
        }
        if (t.inner_nh != 0 && (be16(h + t.inner_nh + 6) & (RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG)))
            return refuse(DropReason::offload_unsupported);
    }
    t.inner_v4 = t.inner_nh != 0;
    if (inner_ip != RTE_MBUF_F_TX_IPV4 && t.inner_nh == 0 && t.inner_th >= least_nh + sizeof(rte_ipv6_hdr)) {
        const uint32_t nh = t.inner_th - sizeof(rte_ipv6_hdr);
        const uint8_t *in = h + nh;
        if (in[0] >> 4 == 6 && in[6] == proto && nh + sizeof(rte_ipv6_hdr) + be16(in + 4) == len) t.inner_nh = nh;
    }
    if (t.inner_nh == 0 || be16(h + t.inner_nh - 2) != (t.inner_v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6))
        return refuse(DropReason::offload_bad_headers);
    const uint32_t l4_len = t.tcp ? (h[t.inner_th + 12] >> 4) * 4u : sizeof(rte_udp_hdr);
    t.hl = t.inner_th + l4_len;
    if (l4_len < (t.tcp ? sizeof(rte_tcp_hdr) : sizeof(rte_udp_hdr)) || t.hl > len) return refuse(DropReason::offload_bad_headers);
    // The sender asked for an outer UDP checksum per segment: in its header (a vtap's
    // UDP_TUNNEL_CSUM, RTE_MBUF_F_TX_OUTER_UDP_CKSUM here), or by the pseudo-header sum it left in
    // the field (a veth's plain header has no bit for it); a tunnel without one sends 0 there.
    t.outer_csum = (f & RTE_MBUF_F_TX_OUTER_UDP_CKSUM) || be16(h + t.outer_th + 6) != 0;
    return true;
}

namespace {

// A tunnel GSO frame in the tunnel form a vtap's or a veth's RX made, passed on whole (the
// egress takes it): the header the kernel wrote for it, back from the frame's own layout.
void tunnel_form_to_vnet(const rte_mbuf *m, VnetTunnelHdr &t) noexcept {
    t = VnetTunnelHdr{};
    UdpTunnelLayout l;
    DropReason why;
    if (!udp_tunnel_layout(m, l, why)) return;   // prepare_for_tx checked it: it sends none such
    virtio_net_hdr &h = t.hdr;
    h.flags = static_cast<uint8_t>(VIRTIO_NET_HDR_F_NEEDS_CSUM | (l.outer_csum ? kVnetFlagUdpTunnelCsum : 0));
    uint8_t type = !l.tcp ? kVnetGsoUdpL4 : l.inner_v4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
    type |= l.outer_v4 ? kVnetGsoUdpTunnelIpv4 : kVnetGsoUdpTunnelIpv6;
    uint8_t buf;
    const auto *tcp_flags = static_cast<const uint8_t *>(rte_pktmbuf_read(m, l.inner_th + 13, 1, &buf));
    if (l.tcp && tcp_flags != nullptr && (*tcp_flags & kTcpCwr)) type |= VIRTIO_NET_HDR_GSO_ECN;
    h.gso_type = type;
    h.gso_size = rte_cpu_to_le_16(m->tso_segsz);
    h.hdr_len = rte_cpu_to_le_16(static_cast<uint16_t>(l.hl));
    h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(l.inner_th));
    h.csum_offset = rte_cpu_to_le_16(l.tcp ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum));
    t.outer_th_offset = rte_cpu_to_le_16(static_cast<uint16_t>(l.outer_th));
    t.inner_nh_offset = rte_cpu_to_le_16(static_cast<uint16_t>(l.inner_nh));
}

}  // namespace

void mbuf_to_vnet_tunnel(const rte_mbuf *m, VnetTunnelHdr &t) noexcept {
    const uint64_t f = m->ol_flags;
    if ((f & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_UDP && (f & kTxSegRequests)) [[unlikely]] {
        tunnel_form_to_vnet(m, t);
        return;
    }
    if ((f & RTE_MBUF_F_TX_TUNNEL_MASK) != RTE_MBUF_F_TX_TUNNEL_VXLAN) [[likely]] {
        t = VnetTunnelHdr{};
        mbuf_to_vnet(m, t.hdr);
        return;
    }
    t = VnetTunnelHdr{};
    virtio_net_hdr &h = t.hdr;
    const uint64_t l4 = f & RTE_MBUF_F_TX_L4_MASK;
    const bool seg = f & kTxSegRequests;
    if (!seg && l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM) return;
    const bool tcp = (f & RTE_MBUF_F_TX_TCP_SEG) || l4 == RTE_MBUF_F_TX_TCP_CKSUM;
    const uint32_t outer_th = m->outer_l2_len + m->outer_l3_len;
    const uint32_t inner_nh = outer_th + m->l2_len, inner_th = inner_nh + m->l3_len;
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(inner_th));
    h.csum_offset = rte_cpu_to_le_16(tcp ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum));
    if (!seg) return;
    uint8_t type = !tcp ? kVnetGsoUdpL4 : (f & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    type |= (f & RTE_MBUF_F_TX_OUTER_IPV6) ? kVnetGsoUdpTunnelIpv6 : kVnetGsoUdpTunnelIpv4;
    const uint32_t hdr_len = inner_th + m->l4_len;
    if (tcp && hdr_len <= m->data_len &&
        (rte_pktmbuf_mtod_offset(m, const rte_tcp_hdr *, inner_th)->tcp_flags & kTcpCwr))
        type |= VIRTIO_NET_HDR_GSO_ECN;
    h.gso_type = type;
    h.gso_size = rte_cpu_to_le_16(m->tso_segsz);
    h.hdr_len = rte_cpu_to_le_16(static_cast<uint16_t>(hdr_len));
    t.outer_th_offset = rte_cpu_to_le_16(static_cast<uint16_t>(outer_th));
    t.inner_nh_offset = rte_cpu_to_le_16(static_cast<uint16_t>(inner_nh));
}

bool vnet_tunnel_ask_outer_csum(rte_mbuf *m, VnetTunnelHdr &t) noexcept {
    const uint32_t outer_th = rte_le_to_cpu_16(t.outer_th_offset);
    if ((t.hdr.gso_type & kVnetGsoUdpTunnel) != kVnetGsoUdpTunnelIpv4 || rte_mbuf_refcnt_read(m) != 1 ||
        !RTE_MBUF_DIRECT(m) || outer_th < m->outer_l2_len + sizeof(rte_ipv4_hdr) ||
        outer_th + sizeof(rte_udp_hdr) > m->data_len)
        return false;
    const auto *ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr *, m->outer_l2_len);
    auto *udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr *, outer_th);
    // The pseudo-header's sum with the UDP length the IP header gives, not complemented: what
    // the kernel takes back out (less its length) before it adds each segment's.
    udp->dgram_cksum = rte_ipv4_phdr_cksum(ip, 0);
    t.hdr.flags = static_cast<uint8_t>(t.hdr.flags | kVnetFlagUdpTunnelCsum);
    return true;
}

bool vnet_tunnel_outer_csum_lco(rte_mbuf *m) noexcept {
    const uint64_t f = m->ol_flags;
    const uint64_t l4 = f & RTE_MBUF_F_TX_L4_MASK;
    if ((f & RTE_MBUF_F_TX_TUNNEL_MASK) != RTE_MBUF_F_TX_TUNNEL_VXLAN || !(f & RTE_MBUF_F_TX_OUTER_IPV4) ||
        (f & kTxSegRequests) || (l4 != RTE_MBUF_F_TX_TCP_CKSUM && l4 != RTE_MBUF_F_TX_UDP_CKSUM) ||
        rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m))
        return false;
    const uint32_t outer_th = m->outer_l2_len + m->outer_l3_len;
    const uint32_t inner_th = outer_th + m->l2_len + m->l3_len;
    const uint32_t field =
        inner_th + (l4 == RTE_MBUF_F_TX_TCP_CKSUM ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum));
    if (m->outer_l3_len < sizeof(rte_ipv4_hdr) || field + 2 > m->data_len) return false;
    const auto *ip = rte_pktmbuf_mtod_offset(m, const rte_ipv4_hdr *, m->outer_l2_len);
    auto *udp = rte_pktmbuf_mtod_offset(m, rte_udp_hdr *, outer_th);
    uint16_t inner;
    std::memcpy(&inner, rte_pktmbuf_mtod_offset(m, const uint8_t *, field), sizeof inner);
    udp->dgram_cksum = 0;
    // Ones' complement sums in the frame's byte order throughout (rte_raw_cksum's).
    uint32_t sum = rte_ipv4_phdr_cksum(ip, 0);
    sum += rte_raw_cksum(udp, inner_th - outer_th);
    sum += static_cast<uint16_t>(~inner);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    const uint16_t cksum = static_cast<uint16_t>(~sum);
    udp->dgram_cksum = cksum == 0 ? 0xffff : cksum;   // 0 would say "no checksum"
    return true;
}

}  // namespace dsw
