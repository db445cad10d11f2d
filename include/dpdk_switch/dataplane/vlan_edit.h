// Adding or removing an 802.1Q tag at the edge, without copying the payload: in place for a
// frame with one owner (moving the 12 MAC bytes), or as a new header segment chained to an
// indirect clone when the frame is shared by a flood.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#if defined(__SSE4_1__)
#include <immintrin.h>
#endif

namespace dsw {

// The portable ways to move the MACs (any CPU; the only ones where the build has no SSE4.1),
// compiled everywhere so that a unit test holds them to the vector ones.
// Adding: `p` is the new start, 4 bytes below the old; the 12 MAC bytes move down through
// registers, then the tag (network order) takes their old place.
inline void vlan_tag_move_plain(uint8_t *p, uint32_t tag) noexcept {
    uint64_t lo;
    uint32_t hi;
    std::memcpy(&lo, p + 4, 8);
    std::memcpy(&hi, p + 12, 4);
    std::memcpy(p, &lo, 8);
    std::memcpy(p + 8, &hi, 4);
    std::memcpy(p + 12, &tag, 4);
}
// Removing: `p` is the tagged frame's start; the 12 MAC bytes move 4 bytes up over the tag.
inline void vlan_untag_move_plain(uint8_t *p) noexcept {
    uint64_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + 8, 4);
    std::memcpy(p + 4, &lo, 8);
    std::memcpy(p + 12, &hi, 4);
}

#if defined(__SSE4_1__)
// One 16-byte load, the tag inserted in its last 4 bytes, one store 4 bytes lower: the MACs
// land at the new start and the tag right after them; the ethertype stays put. Needs 16 bytes
// after the old start.
inline void vlan_tag_move_vector(uint8_t *p, uint32_t tag) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p + sizeof(rte_vlan_hdr)));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p), _mm_insert_epi32(v, static_cast<int>(tag), 3));
}
// One 16-byte load, shift and store: the MACs move 4 bytes up over the tag (bytes 0-3 of the
// old start become headroom, zeroed).
inline void vlan_untag_move_vector(uint8_t *p) noexcept {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i *>(p));
    _mm_storeu_si128(reinterpret_cast<__m128i *>(p), _mm_slli_si128(v, 4));
}
#endif

// Offload requests whose header lengths (l2_len, l3_len, l4_len) a port or the software
// fallback reads at egress: a vnet header's csum_start is l2_len + l3_len. A tag pushed or
// popped moves L3 by 4 bytes, so l2_len follows. Tested on ol_flags (the mbuf's first cache
// line) so that a frame without offloads never touches tx_offload in the second.
inline constexpr uint64_t kTxOffloadWithLengths =
    RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_IP_CKSUM;

// Frame owned by the caller alone (refcnt 1, direct). Returns false if there is no headroom.
inline bool vlan_tag_in_place(rte_mbuf *m, uint16_t vlan) noexcept {
    const uint32_t tag = rte_cpu_to_be_32((uint32_t{RTE_ETHER_TYPE_VLAN} << 16) | vlan);
    [[maybe_unused]] const bool wide = m->data_len >= 16;   // a 14- or 15-byte runt takes the narrow way
    uint8_t *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, sizeof(rte_vlan_hdr)));
    if (p == nullptr) return false;
    if (m->ol_flags & kTxOffloadWithLengths) m->l2_len += sizeof(rte_vlan_hdr);
#if defined(__SSE4_1__)
    if (wide) [[likely]] {
        vlan_tag_move_vector(p, tag);
        return true;
    }
#endif
    vlan_tag_move_plain(p, tag);
    return true;
}

// The caller has checked the frame is tagged (so data_len >= 18).
inline void vlan_untag_in_place(rte_mbuf *m) noexcept {
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
#if defined(__SSE4_1__)
    vlan_untag_move_vector(p);
#else
    vlan_untag_move_plain(p);
#endif
    m->data_off = static_cast<uint16_t>(m->data_off + sizeof(rte_vlan_hdr));
    m->data_len = static_cast<uint16_t>(m->data_len - sizeof(rte_vlan_hdr));
    m->pkt_len -= sizeof(rte_vlan_hdr);
    if (m->ol_flags & kTxOffloadWithLengths) m->l2_len -= sizeof(rte_vlan_hdr);
}

// A second view of a shared frame with the tag added (`tag`) or removed: a fresh header segment
// (the two MACs, plus the tag when adding) chained to an indirect clone of the rest. The
// original is untouched. Null if the pool is empty.
// A frame with offload requests keeps them on the new head, l2_len following the tag, and its
// head segment takes all its headers (L2 to L4): the checksum and segmentation fallback and a
// vnet port's header want them in the first segment.
inline rte_mbuf *vlan_variant(rte_mbuf *m, bool tag, uint16_t vlan) noexcept {
    constexpr uint16_t kMacs = 2 * RTE_ETHER_ADDR_LEN;
    // The bytes of m the head replaces: the MACs (adding), the MACs and the tag (removing), or
    // every header of an offload frame; and where in m the head's copy resumes after the MACs.
    const uint16_t skip = tag ? kMacs : kMacs + sizeof(rte_vlan_hdr);
    uint16_t cut = skip;
    const bool offload = m->ol_flags & kTxOffloadWithLengths;
    if (offload) {
        const uint32_t headers = static_cast<uint32_t>(m->l2_len) + m->l3_len + m->l4_len;
        if (headers >= skip && headers <= m->data_len) cut = static_cast<uint16_t>(headers);
    }
    rte_mbuf *h = rte_pktmbuf_alloc(m->pool);
    if (h == nullptr) return nullptr;
    rte_mbuf *rest = rte_pktmbuf_clone(m, m->pool);
    if (rest == nullptr) {
        rte_pktmbuf_free(h);
        return nullptr;
    }
    const uint16_t tag_len = tag ? sizeof(rte_vlan_hdr) : 0;
    const uint16_t hdr_len = static_cast<uint16_t>(kMacs + tag_len + (cut - skip));
    uint8_t *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(h, hdr_len));
    const uint8_t *src = rte_pktmbuf_mtod(m, const uint8_t *);
    std::memcpy(p, src, kMacs);
    if (tag) {
        const uint16_t t[2] = {rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN), rte_cpu_to_be_16(vlan)};
        std::memcpy(p + kMacs, t, sizeof t);
    }
    std::memcpy(p + kMacs + tag_len, src + skip, cut - skip);
    // The clone starts where the head's copy ends.
    rte_pktmbuf_adj(rest, cut);
    h->next = rest;
    h->nb_segs = static_cast<uint16_t>(1 + rest->nb_segs);
    h->pkt_len = hdr_len + rest->pkt_len;
    if (offload) {
        // The offload requests only: not m's own state (RTE_MBUF_F_INDIRECT, an external buffer).
        h->ol_flags = m->ol_flags & (kTxOffloadWithLengths | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 |
                                     RTE_MBUF_F_RX_L4_CKSUM_MASK | RTE_MBUF_F_TX_TUNNEL_MASK |
                                     RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6);
        h->tx_offload = m->tx_offload;
        h->l2_len = tag ? m->l2_len + sizeof(rte_vlan_hdr) : m->l2_len - sizeof(rte_vlan_hdr);
    }
    return h;
}

}  // namespace dsw
