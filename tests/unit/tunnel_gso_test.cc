// A UDP-tunnel GSO frame switched as it is (a container's own kernel vxlan behind a vtap or a veth
// port, not our VTEP's) to a port that cannot take it whole: segmented in software, as a Linux
// bridge's egress would (skb_udp_tunnel_segment + tcp_gso_segment). Frames are built byte by
// byte, each segment's outer and inner checksums verified by an independent ones'-complement
// sum, and every test ends with its pools full again.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/offload.h"
#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "gso_pools.h"
#include "offload_frames.h"

namespace dsw {
namespace {

using namespace test;

constexpr uint16_t kMss = 1398;
constexpr uint16_t kOuterId = 0x5000;

// Where the tunnel's layers start in a frame built by around().
struct Outer {
    bool v6;
    size_t th() const { return v6 ? 54 : 34; }    // the outer UDP header
    size_t len() const { return th() + 16; }      // UDP + VXLAN: where the inner frame starts
};

// The payload each segment carries: the MSS, or what a port's MTU leaves after both headers.
size_t unit_for(bool outer_v6, bool inner_v6, size_t mtu = 1500, uint8_t proto = 6) {
    return std::min<size_t>(kMss, mtu - ((outer_v6 ? 40 : 20) + 16 + 14 + (inner_v6 ? 40 : 20) + (proto == 6 ? 32 : 8)));
}

inline uint32_t outer_pseudo(const Bytes &f, const Outer &o, uint32_t udp_len) {
    return o.v6 ? sum16(&f[22], 32, 17u + udp_len) : sum16(&f[26], 8, 17u + udp_len);
}

// Ethernet/IPv4 or IPv6/UDP/VXLAN around `inner`, as a kernel vxlan device sends a GSO skb: the
// outer UDP checksum field 0 (no checksum) or, when one is to be computed per segment, the
// outer pseudo-header's sum (udp_set_csum for a GSO skb).
Bytes around(const Bytes &inner, const Outer &o, bool outer_csum) {
    Bytes f = hex("02aa0000000102bb00000002");
    if (!o.v6) {
        const Bytes ip = hex("0800" "4500000050004000401100000a0909020a090901");
        f.insert(f.end(), ip.begin(), ip.end());
        put16(f, 16, static_cast<uint16_t>(20 + 16 + inner.size()));
        put16(f, 18, kOuterId);
        put16(f, 24, static_cast<uint16_t>(~fold(sum16(&f[14], 20))));
    } else {
        const Bytes ip = hex("86dd" "6000000000001140" "fd090000000000000000000000000002"
                             "fd090000000000000000000000000001");
        f.insert(f.end(), ip.begin(), ip.end());
        put16(f, 18, static_cast<uint16_t>(16 + inner.size()));
    }
    const Bytes udp_vxlan = hex("c00112b500000000" "0800000000" "03f200");
    f.insert(f.end(), udp_vxlan.begin(), udp_vxlan.end());
    const auto udp_len = static_cast<uint16_t>(16 + inner.size());
    put16(f, o.th() + 4, udp_len);
    f.insert(f.end(), inner.begin(), inner.end());
    if (outer_csum) put16(f, o.th() + 6, fold(outer_pseudo(f, o, udp_len)));
    return f;
}

// What a tap with UDP-tunnel GSO writes for the frame: the tunnel header.
VnetTunnelHdr tunnel_hdr(const Bytes &inner, const Outer &o, bool outer_csum, uint16_t mss = kMss) {
    const Shape s = shape_of(inner);
    VnetTunnelHdr t{};
    t.hdr.flags = static_cast<uint8_t>(VIRTIO_NET_HDR_F_NEEDS_CSUM | (outer_csum ? kVnetFlagUdpTunnelCsum : 0));
    const bool tcp = s.proto == 6;
    const uint8_t inner_gso = !tcp ? kVnetGsoUdpL4 : s.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
    t.hdr.gso_type = static_cast<uint8_t>(inner_gso | (o.v6 ? kVnetGsoUdpTunnelIpv6 : kVnetGsoUdpTunnelIpv4));
    t.hdr.gso_size = mss;
    t.hdr.csum_start = static_cast<uint16_t>(o.len() + s.l4);
    t.hdr.csum_offset = tcp ? 16 : 6;
    t.hdr.hdr_len = static_cast<uint16_t>(o.len() + s.l4 + (tcp ? 32 : 8));
    t.outer_th_offset = static_cast<uint16_t>(o.th());
    t.inner_nh_offset = static_cast<uint16_t>(o.len() + s.l3);
    return t;
}

// What a veth's packet socket says of the same skb: a plain header, the inner GSO type and the
// inner checksum's start, not a word of the tunnel.
virtio_net_hdr plain_hdr(const Bytes &inner, const Outer &o, uint16_t mss = kMss) {
    const VnetTunnelHdr t = tunnel_hdr(inner, o, false, mss);
    virtio_net_hdr h = t.hdr;
    h.gso_type = static_cast<uint8_t>(h.gso_type & ~kVnetGsoUdpTunnel);
    return h;
}

// Checks `segs` are `orig` cut as the kernel cuts it: the inner frames as expect_segments checks
// a plain TSO frame's (lengths, IPv4 IDs and checksums, TCP sequence, flags and checksum, the
// payload in order), the outer headers the original's but for their lengths, the outer IPv4 ID
// counting up with a right header checksum, and the outer UDP checksum right where the sender
// asked for one, else 0.
void expect_tunnel_segments(const Bytes &orig, const Outer &o, bool outer_csum, const std::vector<rte_mbuf *> &segs,
                            size_t unit, const std::string &what) {
    std::vector<Bytes> inner;
    for (size_t i = 0; i < segs.size(); ++i) {
        const rte_mbuf *m = segs[i];
        EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG | RTE_MBUF_F_TX_L4_MASK |
                                 RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_UDP_CKSUM),
                  0u)
            << what;
        const Bytes b = bytes_of(m);
        const std::string at = what + ", segment " + std::to_string(i);
        ASSERT_GT(b.size(), o.len()) << at;
        EXPECT_TRUE(std::equal(b.begin(), b.begin() + 14, orig.begin())) << at << ": outer Ethernet";
        if (!o.v6) {
            EXPECT_EQ(get16(b, 16), b.size() - 14) << at << ": outer IPv4 length";
            EXPECT_EQ(get16(b, 18), kOuterId + i) << at << ": outer IPv4 ID";
            EXPECT_EQ(fold(sum16(&b[14], 20)), 0xffff) << at << ": outer IPv4 checksum";
            EXPECT_TRUE(std::equal(b.begin() + 26, b.begin() + 34, orig.begin() + 26)) << at << ": outer addresses";
        } else {
            EXPECT_EQ(get16(b, 18), b.size() - 54) << at << ": outer IPv6 payload length";
            EXPECT_TRUE(std::equal(b.begin() + 22, b.begin() + 54, orig.begin() + 22)) << at << ": outer addresses";
        }
        const size_t th = o.th();
        const uint16_t udp_len = get16(b, th + 4);
        EXPECT_EQ(udp_len, b.size() - th) << at << ": outer UDP length";
        EXPECT_EQ(get32(b, th), get32(orig, th)) << at << ": outer UDP ports";
        EXPECT_TRUE(std::equal(b.begin() + th + 8, b.begin() + o.len(), orig.begin() + th + 8)) << at << ": VXLAN header";
        if (outer_csum) {
            EXPECT_NE(get16(b, th + 6), 0) << at;
            EXPECT_EQ(fold(sum16(&b[th], udp_len, outer_pseudo(b, o, udp_len))), 0xffff) << at << ": outer UDP checksum";
        } else {
            EXPECT_EQ(get16(b, th + 6), 0) << at << ": outer UDP checksum, none as the sender sent";
        }
        inner.emplace_back(b.begin() + o.len(), b.end());
    }
    expect_segments(Bytes(orig.begin() + o.len(), orig.end()), inner, unit, what.c_str());
}

class TunnelGsoTest : public GsoPoolsTest {
protected:
    // `f` in 2 KB mbufs, chained, its request as a vtap's RX (tunnel header) or a veth's (plain
    // header) sets it.
    rte_mbuf *from_vtap(const Bytes &f, const VnetTunnelHdr &t) {
        rte_mbuf *m = offloaded(frames_, f, virtio_net_hdr{});
        const VnetParse r = vnet_tunnel_to_mbuf(t, m);
        EXPECT_TRUE(r.ok) << drop_reason_name(r.reason);
        return m;
    }
    rte_mbuf *from_veth(const Bytes &f, const virtio_net_hdr &h) {
        rte_mbuf *m = offloaded(frames_, f, virtio_net_hdr{});
        const VnetParse r = vnet_to_mbuf(h, m);
        EXPECT_TRUE(r.ok) << drop_reason_name(r.reason);
        return m;
    }
};

TEST_F(TunnelGsoTest, A64KTunnelSegmentLeavesAPortWithoutTunnelGsoAsFramesWithEveryChecksumRight) {
    struct Case {
        bool outer_v6, inner_v6, outer_csum, vtap;
        uint8_t caps;
        size_t payload;
        uint8_t proto = 6;
        uint16_t mss = kMss;
    };
    const Case cases[] = {
        {false, false, true, true, 0, 30000, 17},               // inner UDP_L4 (a QUIC sender): the splitter
        // Its datagrams sized to fit IPv6 in IPv6 at 1500 (1382): UDP is never cut smaller.
        {true, true, false, false, kCapTx, 20000, 17, 1382},
        {false, false, true, true, 0, 65000 - 50 - 52},        // rte_gso; a veth, a pcap port
        {false, false, false, true, kCapTx, 65000 - 50 - 52},  // a port with plain TSO only
        {false, true, true, true, kCapCsum, 40000},           // inner IPv6: the splitter
        {true, false, true, true, 0, 30000},                  // outer IPv6
        {true, true, false, true, 0, 30000},
        {false, false, true, false, 0, 30000},                // from a veth: a plain header
        {false, true, false, false, kCapTx, 30000},
    };
    unsigned segmented = 0;
    for (const Case &c : cases) {
        const Outer o{c.outer_v6};
        const Bytes inner = build(c.inner_v6, c.proto, c.payload, kAck | kPsh | kFin | kCwr);
        const Bytes f = around(inner, o, c.outer_csum);
        rte_mbuf *m = c.vtap ? from_vtap(f, tunnel_hdr(inner, o, c.outer_csum, c.mss))
                             : from_veth(f, plain_hdr(inner, o, c.mss));
        ASSERT_NE(m, nullptr);
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        const std::string what = std::string(c.outer_v6 ? "outer v6" : "outer v4") + (c.inner_v6 ? " inner v6" : " inner v4") +
                                 (c.proto == 6 ? " tcp" : " udp") +
                                 (c.outer_csum ? " outer csum" : "") + (c.vtap ? " from a vtap" : " from a veth") +
                                 " caps " + std::to_string(c.caps);
        ASSERT_GT(prepare(m, c.caps, out, drop), 1) << what << ": " << drop_reason_name(drop);
        ++segmented;
        expect_tunnel_segments(f, o, c.outer_csum, out, unit_for(c.outer_v6, c.inner_v6, 1500, c.proto), what);
        for (rte_mbuf *s : out) rte_pktmbuf_free(s);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), segmented);
}

TEST_F(TunnelGsoTest, AShortOneLeavesWholeWithItsChecksumsAndAPortsSmallerMtuCutsSmaller) {
    const Outer o{false};
    // Its payload within one MSS: one frame, checksums complete.
    const Bytes inner = build(false, 6, 1000, kAck | kPsh);
    const Bytes f = around(inner, o, true);
    std::vector<rte_mbuf *> out;
    DropReason drop{};
    ASSERT_EQ(prepare(from_vtap(f, tunnel_hdr(inner, o, true)), 0, out, drop), 1) << drop_reason_name(drop);
    expect_tunnel_segments(f, o, true, out, kMss, "short");
    rte_pktmbuf_free(out[0]);
    EXPECT_EQ(counters_.csum_completed.get(), 1u);
    // A port of MTU 1000: segments of what its MTU leaves after both headers.
    const Bytes big = build(false, 6, 9000, kAck);
    const Bytes g = around(big, o, false);
    gso_.mtu = 1000;
    ASSERT_GT(prepare(from_vtap(g, tunnel_hdr(big, o, false)), 0, out, drop), 1) << drop_reason_name(drop);
    expect_tunnel_segments(g, o, false, out, unit_for(false, false, 1000), "MTU 1000");
    for (rte_mbuf *s : out) rte_pktmbuf_free(s);
}

// Inner UDP_L4 (a container's QUIC inside its own vxlan): each inner datagram is its sender's,
// so a port whose MTU cannot hold one with both headers drops the frame with its reason, and
// never cuts the datagrams smaller; inner TCP is cut (above).
TEST_F(TunnelGsoTest, InnerUdpDatagramsLongerThanTheMtuAreDroppedNotCutSmaller) {
    gso_.mtu = 1000;
    for (const bool vtap : {true, false}) {
        const Outer o{false};
        const Bytes inner = build(false, 17, 20000);
        const Bytes f = around(inner, o, vtap);
        rte_mbuf *m = vtap ? from_vtap(f, tunnel_hdr(inner, o, true)) : from_veth(f, plain_hdr(inner, o));
        ASSERT_NE(m, nullptr);
        const uint64_t flags = m->ol_flags;
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        const uint16_t n = prepare(m, 0, out, drop);
        EXPECT_EQ(n, 0) << (vtap ? "from a vtap" : "from a veth") << ": cut into " << n;
        if (n != 0) {   // cut smaller: the segments hold the payload, m's reference went
            for (rte_mbuf *s : out) rte_pktmbuf_free(s);
            continue;
        }
        EXPECT_EQ(drop, DropReason::offload_gso_mtu) << drop_reason_name(drop);
        EXPECT_EQ(m->ol_flags, flags);
        EXPECT_EQ(bytes_of(m), f);
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 0u);
}

TEST_F(TunnelGsoTest, ASharedOneIsSegmentedWithoutTouchingTheOtherReference) {
    for (const bool inner_v6 : {false, true}) {
        const Outer o{false};
        const Bytes inner = build(inner_v6, 6, 20000, kAck);
        const Bytes f = around(inner, o, true);
        rte_mbuf *m = from_vtap(f, tunnel_hdr(inner, o, true));
        const uint64_t flags = m->ol_flags, tx_offload = m->tx_offload;
        rte_mbuf_refcnt_update(m, 1);   // a flood's other port still sends it
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        ASSERT_GT(prepare(m, 0, out, drop), 1) << drop_reason_name(drop);
        expect_tunnel_segments(f, o, true, out, unit_for(false, inner_v6), inner_v6 ? "shared, inner v6" : "shared");
        EXPECT_EQ(m->ol_flags, flags);
        EXPECT_EQ(m->tx_offload, tx_offload);
        EXPECT_EQ(bytes_of(m), f);
        for (rte_mbuf *s : out) rte_pktmbuf_free(s);
        rte_pktmbuf_free(m);
    }
}

TEST_F(TunnelGsoTest, NoMbufsIsACountedDropAndTheFrameStaysTheCallers) {
    for (const bool inner_v6 : {false, true}) {
        const Outer o{false};
        const Bytes inner = build(inner_v6, 6, 20000, kAck);
        const Bytes f = around(inner, o, true);
        rte_mbuf *m = from_vtap(f, tunnel_hdr(inner, o, true));
        const uint64_t flags = m->ol_flags, tx_offload = m->tx_offload;
        // Room for 5 frames where 15 are needed.
        rte_mbuf *out[5];
        DropReason drop{};
        EXPECT_EQ(prepare_for_tx(m, 0, gso_, out, 5, counters_, drop), 0);
        EXPECT_EQ(drop, DropReason::offload_no_mbufs);
        // The header pool empty, then the payload references' pool.
        for (rte_mempool *p : {direct_, indirect_}) {
            std::vector<rte_mbuf *> held(p->size);
            ASSERT_EQ(rte_pktmbuf_alloc_bulk(p, held.data(), p->size), 0);
            std::vector<rte_mbuf *> segs;
            drop = DropReason::count;
            EXPECT_EQ(prepare(m, 0, segs, drop), 0) << p->name;
            EXPECT_EQ(drop, DropReason::offload_no_mbufs) << p->name;
            for (rte_mbuf *x : held) rte_pktmbuf_free(x);
        }
        EXPECT_EQ(m->ol_flags, flags);
        EXPECT_EQ(m->tx_offload, tx_offload);
        EXPECT_EQ(bytes_of(m), f);
        EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 0u);
}

TEST_F(TunnelGsoTest, AFrameWhoseHeadersLieIsACountedDropNeverACrash) {
    const Outer o{false};
    const Bytes inner = build(false, 6, 5000, kAck);
    const Bytes good = around(inner, o, false);
    struct Case { const char *what; size_t at; uint16_t value; DropReason want; };
    const Case cases[] = {
        {"outer IPv4 length past the frame", 16, static_cast<uint16_t>(good.size()), DropReason::offload_bad_gso},
        {"outer IPv4 a fragment", 20, 0x2000, DropReason::offload_unsupported},
        {"outer UDP length", 38, 100, DropReason::offload_bad_headers},
        {"inner IPv4 length", 50 + 14 + 2, 300, DropReason::offload_bad_headers},
        {"inner ethertype", 50 + 12, 0x86dd, DropReason::offload_bad_headers},
        {"TCP data offset under 20", 50 + 34 + 12, 0x4010, DropReason::offload_bad_headers},
    };
    for (const Case &c : cases) {
        rte_mbuf *m = from_veth(good, plain_hdr(inner, o));   // checked at RX against the outer headers only
        Bytes bad = good;
        put16(bad, c.at, c.value);
        std::memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, c.at), &bad[c.at], 2);
        std::vector<rte_mbuf *> out;
        DropReason drop = DropReason::count;
        EXPECT_EQ(prepare(m, 0, out, drop), 0) << c.what;
        EXPECT_EQ(drop, c.want) << c.what << ": " << drop_reason_name(drop);
        rte_pktmbuf_free(m);
    }
    // Lengths in the mbuf that lie: the inner TCP header past the frame, or inside the outer one.
    for (const uint16_t l3_len : {uint16_t{500}, uint16_t{10}}) {
        rte_mbuf *m = from_veth(good, plain_hdr(inner, o));
        m->l3_len = l3_len;
        std::vector<rte_mbuf *> out;
        DropReason drop = DropReason::count;
        EXPECT_EQ(prepare(m, 0, out, drop), 0) << "l3_len " << l3_len;
        EXPECT_EQ(drop, DropReason::offload_bad_headers) << "l3_len " << l3_len;
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 0u);
}

TEST_F(TunnelGsoTest, AVtapEgressTakesItWholeWithTheTunnelHeaderItsSenderWrote) {
    struct Case { bool outer_v6, inner_v6, outer_csum, vtap; uint8_t proto = 6; };
    const Case cases[] = {
        {false, false, true, true}, {false, true, false, true}, {true, false, true, true}, {true, true, false, true},
        {false, false, true, false}, {false, true, false, false},   // from a veth: no tunnel fields at RX
        {false, false, true, true, 17}, {true, true, false, false, 17},   // inner UDP_L4
    };
    for (const Case &c : cases) {
        const Outer o{c.outer_v6};
        const Bytes inner = build(c.inner_v6, c.proto, 30000, kAck | kCwr);
        const Bytes f = around(inner, o, c.outer_csum);
        const VnetTunnelHdr sent = tunnel_hdr(inner, o, c.outer_csum);
        rte_mbuf *m = c.vtap ? from_vtap(f, sent) : from_veth(f, plain_hdr(inner, o));
        ASSERT_NE(m, nullptr);
        const std::string what = std::string(c.outer_v6 ? "outer v6" : "outer v4") + (c.inner_v6 ? " inner v6" : " inner v4") +
                                 (c.proto == 6 ? " tcp" : " udp") + (c.outer_csum ? " outer csum" : "") +
                                 (c.vtap ? " from a vtap" : " from a veth");
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        ASSERT_EQ(prepare(m, kCapTx | kCapUdpTunnelTso | kCapRxOffloads, out, drop), 1) << what << ": " << drop_reason_name(drop);
        ASSERT_EQ(out[0], m) << what;
        EXPECT_EQ(bytes_of(m), f) << what;
        VnetTunnelHdr t{};
        mbuf_to_vnet_tunnel(m, t);
        EXPECT_EQ(t.hdr.flags, sent.hdr.flags) << what;
        EXPECT_EQ(t.hdr.gso_type, sent.hdr.gso_type | (c.proto == 6 ? VIRTIO_NET_HDR_GSO_ECN : 0))
            << what << ": CWR in the first TCP segment";
        EXPECT_EQ(t.hdr.gso_size, sent.hdr.gso_size) << what;
        EXPECT_EQ(t.hdr.hdr_len, sent.hdr.hdr_len) << what;
        EXPECT_EQ(t.hdr.csum_start, sent.hdr.csum_start) << what;
        EXPECT_EQ(t.hdr.csum_offset, sent.hdr.csum_offset) << what;
        EXPECT_EQ(t.outer_th_offset, sent.outer_th_offset) << what;
        EXPECT_EQ(t.inner_nh_offset, sent.inner_nh_offset) << what;
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(counters_.gso_segmented.get() + counters_.csum_completed.get(), 0u);
    // One whose headers lie is dropped there too, not handed to the kernel.
    const Outer o{false};
    const Bytes inner = build(false, 6, 5000, kAck);
    Bytes bad = around(inner, o, false);
    put16(bad, o.th() + 4, 100);   // the outer UDP length
    rte_mbuf *m = from_veth(bad, plain_hdr(inner, o));
    std::vector<rte_mbuf *> out;
    DropReason drop = DropReason::count;
    EXPECT_EQ(prepare(m, kCapTx | kCapUdpTunnelTso, out, drop), 0);
    EXPECT_EQ(drop, DropReason::offload_bad_headers) << drop_reason_name(drop);
    rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace dsw
