// Frames with offload requests for the tests: TCP/UDP over IPv4/IPv6 built byte by byte, with
// the checksum left partial as a kernel hands it over, their virtio-net headers, and checks of
// what the switch made of them (checksums by an independent ones'-complement sum).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/vnet_hdr.h"

namespace dsw::test {

using Bytes = std::vector<uint8_t>;

inline Bytes hex(const std::string &h) {
    Bytes f;
    for (size_t i = 0; i + 1 < h.size(); i += 2) f.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    return f;
}

inline uint32_t sum16(const uint8_t *p, size_t n, uint32_t s = 0) {
    for (size_t i = 0; i + 1 < n; i += 2) s += (p[i] << 8) | p[i + 1];
    if (n & 1) s += p[n - 1] << 8;
    return s;
}
inline uint16_t fold(uint32_t s) {
    while (s >> 16) s = (s & 0xffff) + (s >> 16);
    return static_cast<uint16_t>(s);
}
inline void put16(Bytes &b, size_t at, uint16_t v) { b[at] = v >> 8, b[at + 1] = v & 0xff; }
inline void put32(Bytes &b, size_t at, uint32_t v) { put16(b, at, v >> 16), put16(b, at + 2, v & 0xffff); }
inline uint16_t get16(const Bytes &b, size_t at) { return static_cast<uint16_t>((b[at] << 8) | b[at + 1]); }
inline uint32_t get32(const Bytes &b, size_t at) { return (uint32_t{get16(b, at)} << 16) | get16(b, at + 2); }

// Where a frame's layers start, and its pseudo-header sum (without the L4 length).
struct Shape { size_t l3, l4; bool v6; uint8_t proto; };

inline Shape shape_of(const Bytes &f) {
    size_t l3 = 14;
    uint16_t type = get16(f, 12);
    if (type == 0x8100) type = get16(f, 16), l3 = 18;
    const bool v6 = type == 0x86dd;
    return {l3, v6 ? l3 + 40 : l3 + (f[l3] & 0xf) * 4, v6, v6 ? f[l3 + 6] : f[l3 + 9]};
}
inline size_t l4_length(const Bytes &f, const Shape &s) {
    return s.v6 ? get16(f, s.l3 + 4) : get16(f, s.l3 + 2) - (s.l4 - s.l3);
}
inline uint32_t pseudo(const Bytes &f, const Shape &s) {
    const size_t len = l4_length(f, s);
    return s.v6 ? sum16(&f[s.l3 + 8], 32, s.proto + static_cast<uint32_t>(len))
                : sum16(&f[s.l3 + 12], 8, s.proto + static_cast<uint32_t>(len));
}
inline bool l4_csum_ok(const Bytes &f) {
    const Shape s = shape_of(f);
    return fold(sum16(&f[s.l4], l4_length(f, s), pseudo(f, s))) == 0xffff;
}
inline bool ip4_csum_ok(const Bytes &f) {
    const Shape s = shape_of(f);
    return fold(sum16(&f[s.l3], s.l4 - s.l3)) == 0xffff;
}

// What a kernel hands over with NEEDS_CSUM: the checksum field holds the pseudo-header sum.
inline void make_partial(Bytes &f) {
    const Shape s = shape_of(f);
    put16(f, s.l4 + (s.proto == 6 ? 16 : 6), fold(pseudo(f, s)));
}

inline constexpr uint8_t kFin = 0x01, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;
inline uint8_t payload_byte(size_t i) { return static_cast<uint8_t>(i * 7 + 3); }

// Ethernet [802.1Q] IPv4/IPv6, TCP with 12 bytes of options or UDP, payload, partial checksum.
inline Bytes build(bool v6, uint8_t proto, size_t payload, uint8_t tcp_flags = kAck, bool vlan = false) {
    Bytes f = hex("02000000000b02000000000a");
    if (vlan) f.insert(f.end(), {0x81, 0x00, 0x00, 0x0a});
    const size_t l3 = f.size() + 2;
    const size_t l4h = proto == 6 ? 32 : 8;
    if (!v6) {
        f.insert(f.end(), {0x08, 0x00, 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2});
        put16(f, l3 + 2, static_cast<uint16_t>(20 + l4h + payload));
        put16(f, l3 + 10, static_cast<uint16_t>(~fold(sum16(&f[l3], 20))));
    } else {
        f.insert(f.end(), {0x86, 0xdd, 0x60, 0, 0, 0, 0, 0, proto, 64});
        for (int a = 1; a <= 2; ++a) {
            f.insert(f.end(), {0xfd, 0});
            f.insert(f.end(), 13, 0);
            f.push_back(static_cast<uint8_t>(a));
        }
        put16(f, l3 + 4, static_cast<uint16_t>(l4h + payload));
    }
    const size_t l4 = f.size();
    f.resize(l4 + l4h, 0);
    put16(f, l4, 40000), put16(f, l4 + 2, 80);
    if (proto == 6) {
        put32(f, l4 + 4, 0xfffff000u);   // the sequence wraps inside the segment
        put32(f, l4 + 8, 2000);
        f[l4 + 12] = 8 << 4;             // doff 8: options included in l4_len
        f[l4 + 13] = tcp_flags;
        put16(f, l4 + 14, 502);
        f[l4 + 20] = 1, f[l4 + 21] = 1, f[l4 + 22] = 8, f[l4 + 23] = 10;   // NOP NOP timestamps
    } else {
        put16(f, l4 + 4, static_cast<uint16_t>(8 + payload));
    }
    for (size_t i = 0; i < payload; ++i) f.push_back(payload_byte(i));
    make_partial(f);
    return f;
}

inline virtio_net_hdr vnet(uint8_t flags, uint8_t gso_type, uint16_t gso_size, const Bytes &f) {
    const Shape s = shape_of(f);
    virtio_net_hdr h{};
    h.flags = flags;
    h.gso_type = gso_type;
    if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        h.csum_start = static_cast<uint16_t>(s.l4);
        h.csum_offset = s.proto == 6 ? 16 : 6;
    }
    if (gso_type != VIRTIO_NET_HDR_GSO_NONE) {
        h.gso_size = gso_size;
        h.hdr_len = static_cast<uint16_t>(s.l4 + (s.proto == 6 ? 32 : 8));
    }
    return h;
}

// A frame's bytes, whatever its segments.
inline Bytes bytes_of(const rte_mbuf *m) {
    Bytes b;
    for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
        const auto *p = rte_pktmbuf_mtod(s, const uint8_t *);
        b.insert(b.end(), p, p + s->data_len);
    }
    EXPECT_EQ(b.size(), m->pkt_len);
    return b;
}

// Checks `segs` are `orig` cut into payloads of `unit` bytes, each a frame that stands alone:
// lengths, IPv4 ID and header checksum, TCP sequence and flags, the L4 checksum computed here,
// and the payload in order.
inline void expect_segments(const Bytes &orig, const std::vector<Bytes> &segs, size_t unit, const char *what) {
    const Shape s = shape_of(orig);
    const bool tcp = s.proto == 6;
    const size_t hl = s.l4 + (tcp ? 32 : 8);
    const size_t payload = orig.size() - hl;
    ASSERT_EQ(segs.size(), (payload + unit - 1) / unit) << what;
    size_t offset = 0;
    for (size_t i = 0; i < segs.size(); ++i) {
        const Bytes &b = segs[i];
        const size_t len = b.size() - hl;
        EXPECT_EQ(len, std::min(unit, payload - offset)) << what << " segment " << i;
        if (!s.v6) {
            EXPECT_EQ(get16(b, s.l3 + 2), b.size() - s.l3) << what << " segment " << i;
            EXPECT_EQ(get16(b, s.l3 + 4), 0x1234 + i) << what << " IPv4 ID, segment " << i;
            EXPECT_TRUE(ip4_csum_ok(b)) << what << " IPv4 checksum, segment " << i;
        } else {
            EXPECT_EQ(get16(b, s.l3 + 4), b.size() - s.l4) << what << " segment " << i;
        }
        EXPECT_TRUE(l4_csum_ok(b)) << what << " L4 checksum, segment " << i;
        if (tcp) {
            EXPECT_EQ(get32(b, s.l4 + 4), static_cast<uint32_t>(get32(orig, s.l4 + 4) + offset)) << what << " seq, segment " << i;
            uint8_t flags = orig[s.l4 + 13];
            if (i + 1 < segs.size()) flags &= static_cast<uint8_t>(~(kFin | kPsh));
            if (i > 0) flags &= static_cast<uint8_t>(~kCwr);
            EXPECT_EQ(b[s.l4 + 13], flags) << what << " flags, segment " << i;
        } else {
            EXPECT_EQ(get16(b, s.l4 + 4), b.size() - s.l4) << what << " UDP length, segment " << i;
        }
        EXPECT_TRUE(std::equal(b.begin() + hl, b.end(), orig.begin() + hl + offset)) << what << " payload, segment " << i;
        offset += len;
    }
    EXPECT_EQ(offset, payload) << what;
}

inline void expect_segments(const Bytes &orig, const std::vector<rte_mbuf *> &segs, size_t unit, const char *what) {
    std::vector<Bytes> b;
    for (const rte_mbuf *m : segs) {
        EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_L4_MASK), 0u) << what;
        b.push_back(bytes_of(m));
    }
    expect_segments(orig, b, unit, what);
}

// The frame `f` in mbufs of `pool` (2 KB each, chained), with the requests its virtio-net
// header `h` makes, as a vnet port's RX sets them.
inline rte_mbuf *offloaded(rte_mempool *pool, const Bytes &f, const virtio_net_hdr &h) {
    rte_mbuf *head = nullptr;
    for (size_t at = 0; at < f.size(); at += 2048) {
        rte_mbuf *m = rte_pktmbuf_alloc(pool);
        EXPECT_NE(m, nullptr);
        if (m == nullptr) break;
        const size_t n = std::min<size_t>(2048, f.size() - at);
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), &f[at], n);
        if (head == nullptr)
            head = m;
        else
            EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
    }
    const VnetParse r = vnet_to_mbuf(h, head);
    EXPECT_TRUE(r.ok) << drop_reason_name(r.reason);
    return head;
}

}  // namespace dsw::test
