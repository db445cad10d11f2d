// Adding or removing an 802.1Q tag at the edge, without copying the payload: in place for a
// frame with one owner (moving the 12 MAC bytes), or as a new header segment chained to an
// indirect clone when the frame is shared by a flood.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

namespace dsw {

// Frame owned by the caller alone (refcnt 1, direct). Returns false if there is no headroom.
inline bool vlan_tag_in_place(rte_mbuf *m, uint16_t vlan) noexcept {
    uint8_t *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, sizeof(rte_vlan_hdr)));
    if (p == nullptr) return false;
    // The 12 MAC bytes move 4 bytes down through registers (an 8- and a 4-byte load), not a
    // memmove call; then the tag takes their old place.
    uint64_t lo;
    uint32_t hi;
    std::memcpy(&lo, p + 4, 8);
    std::memcpy(&hi, p + 12, 4);
    std::memcpy(p, &lo, 8);
    std::memcpy(p + 8, &hi, 4);
    const uint32_t tag = rte_cpu_to_be_32((uint32_t{RTE_ETHER_TYPE_VLAN} << 16) | vlan);
    std::memcpy(p + 12, &tag, 4);
    return true;
}

inline void vlan_untag_in_place(rte_mbuf *m) noexcept {
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    uint64_t lo;
    uint32_t hi;
    std::memcpy(&lo, p, 8);
    std::memcpy(&hi, p + 8, 4);
    std::memcpy(p + 4, &lo, 8);
    std::memcpy(p + 12, &hi, 4);
    rte_pktmbuf_adj(m, sizeof(rte_vlan_hdr));
}

// A second view of a shared frame with the tag added (`tag`) or removed: a fresh header segment
// (the two MACs, plus the tag when adding) chained to an indirect clone of the rest. The
// original is untouched. Null if the pool is empty.
inline rte_mbuf *vlan_variant(rte_mbuf *m, bool tag, uint16_t vlan) noexcept {
    rte_mbuf *h = rte_pktmbuf_alloc(m->pool);
    if (h == nullptr) return nullptr;
    rte_mbuf *rest = rte_pktmbuf_clone(m, m->pool);
    if (rest == nullptr) {
        rte_pktmbuf_free(h);
        return nullptr;
    }
    const uint16_t hdr_len = tag ? 2 * RTE_ETHER_ADDR_LEN + sizeof(rte_vlan_hdr) : 2 * RTE_ETHER_ADDR_LEN;
    uint8_t *p = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(h, hdr_len));
    std::memcpy(p, rte_pktmbuf_mtod(m, const uint8_t *), 2 * RTE_ETHER_ADDR_LEN);
    if (tag) {
        const uint16_t t[2] = {rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN), rte_cpu_to_be_16(vlan)};
        std::memcpy(p + 2 * RTE_ETHER_ADDR_LEN, t, sizeof t);
    }
    // The clone starts at the ethertype (adding) or at the inner ethertype (removing).
    rte_pktmbuf_adj(rest, tag ? 2 * RTE_ETHER_ADDR_LEN : 2 * RTE_ETHER_ADDR_LEN + sizeof(rte_vlan_hdr));
    h->next = rest;
    h->nb_segs = static_cast<uint16_t>(1 + rest->nb_segs);
    h->pkt_len = hdr_len + rest->pkt_len;
    return h;
}

}  // namespace dsw
