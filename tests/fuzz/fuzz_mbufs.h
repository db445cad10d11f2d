// What the fuzz target's parts share: the process-wide world (EAL, tables, pools), the input's
// frames and the mbuf chains built from them, poisoned around their bytes so that ASan reports a
// read outside a segment. Only tests/fuzz/ includes this (scripts/fuzz.sh builds it).
#pragma once

#include <sanitizer/asan_interface.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/offload.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_table.h"

namespace dsw::fuzz {

constexpr uint16_t kDataRoom = 9216;          // bytes per segment (a jumbo frame fits in one)
constexpr uint16_t kNaFrameTail = 40 + 32;    // IPv6 header + NA with one option

// Everything lives for the whole process: the EAL cannot be started twice.
struct World {
    rte_rcu_qsbr *rcu = nullptr;
    std::unique_ptr<MacTable> macs;
    std::unique_ptr<ArpTable> arp;
    rte_mempool *pool = nullptr;
    rte_mempool *gso_direct = nullptr;     // prepare_for_tx's segment headers
    rte_mempool *gso_indirect = nullptr;   // and payload references
    LcoreCounters *counters = nullptr;
};

[[noreturn]] inline void die(const char *what) {
    std::fprintf(stderr, "frame_fuzzer: %s\n", what);
    std::abort();
}

#define FUZZ_CHECK(cond)                                                                            \
    do {                                                                                            \
        if (!(cond)) {                                                                              \
            std::fprintf(stderr, "frame_fuzzer: check failed at %s:%d: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                           \
        }                                                                                           \
    } while (0)

inline uint16_t be16(const uint8_t *p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint16_t le16(const uint8_t *p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

inline bool is_tag(uint16_t et) { return et == RTE_ETHER_TYPE_VLAN || et == RTE_ETHER_TYPE_QINQ; }

// Poisons the buffer around [data_off, data_off + data_len + slack) so that any access outside a
// segment's bytes is reported. `slack` opens room the code may legitimately grow into.
inline void poison_segment(rte_mbuf *m, uint16_t slack) {
    uint8_t *buf = static_cast<uint8_t *>(m->buf_addr);
    const uint32_t start = m->data_off;
    const uint32_t end = std::min<uint32_t>(start + m->data_len + slack, m->buf_len);
    ASAN_POISON_MEMORY_REGION(buf, start);
    ASAN_POISON_MEMORY_REGION(buf + end, m->buf_len - end);
}

inline void unpoison_chain(rte_mbuf *m) {
    for (; m != nullptr; m = m->next) ASAN_UNPOISON_MEMORY_REGION(m->buf_addr, m->buf_len);
}

inline void free_chain(rte_mbuf *m) {
    unpoison_chain(m);
    rte_pktmbuf_free(m);
}

struct Frame {
    const uint8_t *bytes;   // the input's copy, to compare with after classify
    uint16_t len;
    uint8_t flags, aux;
};

// Bytes in the first segment: a split puts the header across two segments.
inline uint16_t first_len_of(const Frame &f) { return (f.flags & 8) ? std::min<uint16_t>(f.aux, f.len) : f.len; }

// Builds the mbuf chain for one frame, or null when it does not fit (skipped).
inline rte_mbuf *make_mbuf(rte_mempool *pool, const Frame &f) {
    const uint16_t headroom = static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + (f.flags & 7));
    const bool split = f.flags & 8;
    const uint16_t first_len = first_len_of(f);
    if (headroom + first_len > kDataRoom + RTE_PKTMBUF_HEADROOM || f.len - first_len > kDataRoom) return nullptr;
    rte_mbuf *m = rte_pktmbuf_alloc(pool);
    if (m == nullptr) die("mempool empty");
    // The code under test may have freed a segment it cut off (pktmbuf_trim_to) still poisoned.
    ASAN_UNPOISON_MEMORY_REGION(m->buf_addr, m->buf_len);
    m->data_off = headroom;
    std::memcpy(rte_pktmbuf_mtod(m, uint8_t *), f.bytes, first_len);
    m->data_len = first_len;
    m->pkt_len = first_len;
    rte_mbuf *last = m;
    auto chain = [&](const uint8_t *src, uint16_t len) {
        rte_mbuf *s = rte_pktmbuf_alloc(pool);
        if (s == nullptr) die("mempool empty");
        ASAN_UNPOISON_MEMORY_REGION(s->buf_addr, s->buf_len);
        if (src != nullptr)
            std::memcpy(rte_pktmbuf_mtod(s, uint8_t *), src, len);
        else
            std::memset(rte_pktmbuf_mtod(s, uint8_t *), 0, len);
        s->data_len = len;
        last->next = s;
        last = s;
        m->pkt_len += len;
        m->nb_segs++;
    };
    if (split) chain(f.bytes + first_len, static_cast<uint16_t>(f.len - first_len));
    if (f.flags & 16) {
        // Zero segments of at most kDataRoom bytes each: kMaxFrameLen is larger than one segment.
        for (uint32_t pad = kMaxFrameLen + 1 - std::min<uint32_t>(m->pkt_len, kMaxFrameLen); pad != 0;) {
            const uint16_t len = static_cast<uint16_t>(std::min<uint32_t>(pad, kDataRoom));
            chain(nullptr, len);
            pad -= len;
        }
    }
    // The ND proxy may grow a short single-segment Neighbor Solicitation into the Advertisement
    // (rte_pktmbuf_append): leave exactly the bytes it may write unpoisoned, only for frames
    // that can take that path (a payload of >= 24 bytes that is shorter than the NA).
    uint16_t slack = 0;
    if (m->nb_segs == 1 && first_len >= 14) {
        uint16_t l3 = 14, et = be16(f.bytes + 12);
        if (is_tag(et) && first_len >= 18) {
            l3 = 18;
            et = be16(f.bytes + 16);
        }
        if (et == RTE_ETHER_TYPE_IPV6 && first_len >= l3 + 40 + 24 && first_len < l3 + kNaFrameTail)
            slack = static_cast<uint16_t>(l3 + kNaFrameTail - first_len);
    }
    for (rte_mbuf *s = m; s != nullptr; s = s->next) poison_segment(s, s == m ? slack : 0);
    return m;
}

// The segments after the first are as built (nothing may write past the first segment).
inline bool tail_equals(const rte_mbuf *m, const Frame &f) {
    if (!(f.flags & 8)) return true;
    const uint16_t first_len = first_len_of(f);
    const rte_mbuf *s = m->next;
    return s != nullptr && s->data_len == f.len - first_len &&
           std::memcmp(rte_pktmbuf_mtod(s, const uint8_t *), f.bytes + first_len, s->data_len) == 0;
}

// Only a reply may change a frame.
inline bool frame_equals(const rte_mbuf *m, const Frame &f) {
    const uint16_t first_len = first_len_of(f);
    return m->data_len == first_len && std::memcmp(rte_pktmbuf_mtod(m, const uint8_t *), f.bytes, first_len) == 0 &&
           tail_equals(m, f);
}

}  // namespace dsw::fuzz
