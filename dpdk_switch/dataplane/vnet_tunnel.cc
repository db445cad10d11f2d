// The UDP-tunnel virtio-net header ⇄ mbuf. RX reuses vnet_to_mbuf for everything a plain header
// says (the inner checksum, the inner GSO type and size, against the outer headers it walks) and
// checks here only what the tunnel fields add, against the frame's bytes: the switch decapsulates
// what it accepts and forwards the inner segment whole, so the offsets must be where the frame's
// own headers are, not merely in order as the kernel asks.
#include "dpdk_switch/dataplane/vnet_tunnel.h"

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
    return {true, DropReason::count};
}

void mbuf_to_vnet_tunnel(const rte_mbuf *m, VnetTunnelHdr &t) noexcept {
    const uint64_t f = m->ol_flags;
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
