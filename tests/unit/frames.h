// Test helpers: build frames into mbufs of a pool, and check the pool is full again.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

namespace dsw::test {

inline std::vector<uint8_t> eth_frame(uint64_t dst, uint64_t src, uint16_t ethertype = 0x0800, size_t len = 60) {
    std::vector<uint8_t> f(len, 0);
    // Byte by byte, so that a runt shorter than its MACs gets what fits (and the compiler,
    // which cannot see len >= 12, no out-of-bounds copy to warn about).
    const auto *d = reinterpret_cast<const uint8_t *>(&dst), *s = reinterpret_cast<const uint8_t *>(&src);
    for (size_t i = 0; i < 6 && i < len; ++i) f[i] = d[i];
    for (size_t i = 0; i < 6 && 6 + i < len; ++i) f[6 + i] = s[i];
    if (len >= 14) {
        f[12] = static_cast<uint8_t>(ethertype >> 8);
        f[13] = static_cast<uint8_t>(ethertype);
    }
    return f;
}

// `f` with a tag inserted after its MACs: 802.1Q by default, or another TPID (0x88a8, QinQ).
inline std::vector<uint8_t> tagged(std::vector<uint8_t> f, uint16_t vlan, uint16_t tpid = 0x8100) {
    const uint8_t tag[4] = {static_cast<uint8_t>(tpid >> 8), static_cast<uint8_t>(tpid), static_cast<uint8_t>(vlan >> 8),
                            static_cast<uint8_t>(vlan)};
    // resize + memmove: GCC 12 warns falsely (-Warray-bounds) on a vector insert into a short frame.
    const size_t n = f.size();
    f.resize(n + sizeof tag);
    std::memmove(f.data() + 12 + sizeof tag, f.data() + 12, n - 12);
    std::memcpy(f.data() + 12, tag, sizeof tag);
    return f;
}

// A MAC from its six bytes in wire order, as the tables store it.
inline uint64_t mac(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t e, uint8_t f) {
    const uint8_t bytes[6] = {a, b, c, d, e, f};
    uint64_t v = 0;
    std::memcpy(&v, bytes, 6);
    return v;
}

inline rte_mbuf *to_mbuf(rte_mempool *mp, const std::vector<uint8_t> &bytes) {
    rte_mbuf *m = rte_pktmbuf_alloc(mp);
    if (m == nullptr) return nullptr;
    char *p = rte_pktmbuf_append(m, static_cast<uint16_t>(bytes.size()));
    if (p == nullptr) {
        rte_pktmbuf_free(m);
        return nullptr;
    }
    std::memcpy(p, bytes.data(), bytes.size());
    return m;
}

inline bool pool_full(rte_mempool *mp) { return rte_mempool_avail_count(mp) == mp->size; }

}  // namespace dsw::test
