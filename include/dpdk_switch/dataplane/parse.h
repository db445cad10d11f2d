// Bounds-checked L2 parse of one frame: what learning and forwarding need, never a byte past
// the first segment's data_len (a header split across segments counts as truncated).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/offload_caps.h"
#include "dpdk_switch/tables/mac_key.h"

namespace dsw {

inline constexpr uint8_t kNoDrop = 0xff;

// An ethertype, as it is on the wire, that starts a tag: 802.1Q, or 802.1ad (QinQ's outer tag).
inline bool is_tag_tpid(uint16_t ethertype_be) noexcept {
    return ethertype_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) || ethertype_be == rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ);
}
// Largest frame switched: the largest MTU a port may have plus Ethernet header and one tag.
// Anything longer is an error of the port or of the sender, not traffic.
inline constexpr uint32_t kMaxFrameLen = kMaxMtu + kFrameOverhead;

// The longest frame `m` puts on a wire, what a frame limit is held against: a TCP/UDP segment
// to split (a vnet port's 64 KB GSO frame, RTE_MBUF_F_TX_*_SEG) becomes frames of its headers
// and one segment's payload each; any other frame is itself. Read only for a frame whose
// pkt_len is past the limit, so the common frame pays nothing.
// A UDP-tunnelled segment's headers are the outer ones too, in either form it comes in: DPDK's
// (RTE_MBUF_F_TX_TUNNEL_VXLAN after encapsulation: outer_l2_len + outer_l3_len before l2_len)
// or a vnet port's (RTE_MBUF_F_TX_TUNNEL_UDP: l3_len runs to the inner L4 header and l4_len is
// 0, the inner TCP header's length read from the frame).
inline uint32_t wire_frame_len(const rte_mbuf *m) noexcept {
    const uint64_t f = m->ol_flags;
    if (!(f & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG))) return m->pkt_len;
    uint32_t hdrs = static_cast<uint32_t>(m->l2_len) + m->l3_len + m->l4_len;
    if (f & RTE_MBUF_F_TX_TUNNEL_MASK) {
        hdrs += static_cast<uint32_t>(m->outer_l2_len) + m->outer_l3_len;
        if (m->l4_len == 0) {
            uint32_t l4 = sizeof(rte_udp_hdr);
            if (f & RTE_MBUF_F_TX_TCP_SEG) {
                const uint32_t doff_at = hdrs + offsetof(rte_tcp_hdr, data_off);
                l4 = doff_at < m->data_len ? (*rte_pktmbuf_mtod_offset(m, const uint8_t *, doff_at) >> 4) * 4u
                                           : sizeof(rte_tcp_hdr);
            }
            hdrs += l4;
        }
    }
    return hdrs + m->tso_segsz;
}

struct L2Frame {
    uint64_t dst;        // 48-bit MACs, wire order in the low bytes
    uint64_t src;
    uint16_t vlan;       // VLAN id from an 802.1Q tag, 0 when untagged
    bool tagged;
    uint8_t drop;        // a DropReason, or kNoDrop
    uint16_t ethertype;  // after the tag, host order
    uint16_t l3_off;     // offset of what follows the Ethernet header (and tag)
};

inline L2Frame parse_l2(const rte_mbuf *m) noexcept {
    L2Frame f{};
    f.drop = kNoDrop;
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint16_t len = m->data_len;
    if (len < RTE_ETHER_HDR_LEN) [[unlikely]] {
        f.drop = static_cast<uint8_t>(DropReason::runt);
        return f;
    }
    // Two unaligned 8-byte loads cover both MACs; the mask drops the bytes that belong to the
    // neighbour field. Both loads stay inside the 14-byte header checked above.
    uint64_t w0, w1;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 6, 8);
    f.dst = w0 & kMacMask;
    f.src = w1 & kMacMask;
    uint16_t et_be;
    if (len >= RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr) + 2) [[likely]] {
        // Ethertype, TCI and inner ethertype in one load, chosen without a branch: a trunk's
        // tagged frames and an access port's untagged ones take the same straight path.
        uint64_t w2;
        std::memcpy(&w2, p + 12, 8);
        const uint16_t outer = static_cast<uint16_t>(w2);
        const bool tagged = is_tag_tpid(outer);
        const uint16_t inner = static_cast<uint16_t>(w2 >> 32);
        f.tagged = tagged;
        f.vlan = tagged ? static_cast<uint16_t>(rte_be_to_cpu_16(static_cast<uint16_t>(w2 >> 16)) & 0x0fff) : 0;
        f.l3_off = tagged ? RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr) : RTE_ETHER_HDR_LEN;
        et_be = tagged ? inner : outer;
        if (tagged && is_tag_tpid(inner)) [[unlikely]] {
            f.drop = static_cast<uint8_t>(DropReason::double_tagged);
            return f;
        }
    } else {
        // A short frame (a runt of 14..19 bytes): field by field, within data_len.
        std::memcpy(&et_be, p + 12, 2);
        f.l3_off = RTE_ETHER_HDR_LEN;
        if (is_tag_tpid(et_be)) {
            if (len < RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr)) {
                f.drop = static_cast<uint8_t>(DropReason::truncated_vlan);
                return f;
            }
            uint16_t tci_be;
            std::memcpy(&tci_be, p + 14, 2);
            std::memcpy(&et_be, p + 16, 2);
            f.vlan = rte_be_to_cpu_16(tci_be) & 0x0fff;
            f.tagged = true;
            f.l3_off = RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr);
            if (is_tag_tpid(et_be)) {
                f.drop = static_cast<uint8_t>(DropReason::double_tagged);
                return f;
            }
        }
    }
    f.ethertype = rte_be_to_cpu_16(et_be);
    if (mac_is_multicast(f.src)) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_multicast);
    else if (f.src == 0) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_zero);
    else if (m->pkt_len > kMaxFrameLen && wire_frame_len(m) > kMaxFrameLen) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::oversize);
    return f;
}

}  // namespace dsw
