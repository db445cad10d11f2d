// VXLAN encapsulation that keeps the inner frame's offload requests, for an underlay that takes
// UDP-tunnel GSO: a 64 KB TCP segment crosses as one encapsulated frame (one write to a vtap)
// instead of ~44 encapsulated segments made in software (the kernel's GSO, or a NIC, cuts it).
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dataplane/vxlan_encap.h"
#include "dpdk_switch/ports/offload_caps.h"

namespace dsw {

rte_mbuf *vxlan_encap_offloaded(rte_mbuf *m, bool tagged, const VxlanOuter &outer, const VxlanView &vx,
                                DropReason &drop) noexcept {
    drop = DropReason::count;
    const uint64_t f = m->ol_flags;
    const uint32_t tag_len = tagged ? sizeof(rte_vlan_hdr) : 0;
    // The headers are written in place: m alone owns them, all in its first segment, with room
    // before them for the outer ones.
    if ((f & RTE_MBUF_F_TX_TUNNEL_MASK) || rte_mbuf_refcnt_read(m) != 1 || !RTE_MBUF_DIRECT(m) ||
        m->l2_len != RTE_ETHER_HDR_LEN + tag_len || m->data_len < m->l2_len + m->l3_len + m->l4_len ||
        rte_pktmbuf_headroom(m) < kVxlanOuterLen - tag_len)
        return nullptr;
    const uint32_t inner_len = m->pkt_len - tag_len;
    const uint32_t outer_ip_len = inner_len + kVxlanOuterLen - RTE_ETHER_HDR_LEN;
    const bool seg = f & kTxSegRequests;
    if (outer_ip_len > UINT16_MAX) return nullptr;   // split in software, each piece then fits
    if (seg) {
        // Each segment's outer IPv4 packet must fit the underlay, as its gso_size makes it;
        // else flush_vtep's software path cuts TCP to the inner MTU and drops a UDP datagram
        // that does not fit (offload_gso_mtu), never cutting it smaller.
        const uint32_t seg_ip_len = RTE_ETHER_HDR_LEN + m->l3_len + m->l4_len + m->tso_segsz + kVxlanOuterLen -
                                    RTE_ETHER_HDR_LEN;
        if (seg_ip_len > vx.max_ip_len) return nullptr;
    } else if (outer_ip_len > vx.max_ip_len) {
        drop = DropReason::vxlan_mtu;
        return nullptr;
    }
    if (tagged) vlan_untag_in_place(m);   // l2_len follows
    const uint16_t sport = vxlan_source_port(m, 2 * RTE_ETHER_ADDR_LEN);
    auto *hdr = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, kVxlanOuterLen));
    vxlan_outer_write(hdr, outer, inner_len, sport);
    m->ol_flags = (f & (kTxOffloadRequests | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6)) | RTE_MBUF_F_TX_TUNNEL_VXLAN |
                  RTE_MBUF_F_TX_OUTER_IPV4;
    m->outer_l2_len = RTE_ETHER_HDR_LEN;
    m->outer_l3_len = sizeof(rte_ipv4_hdr);
    m->l2_len = sizeof(rte_udp_hdr) + kVxlanHdrLen + RTE_ETHER_HDR_LEN;
    return m;
}

}  // namespace dsw
