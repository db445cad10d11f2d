// The virtio-net header ⇄ mbuf mapping and the software offload fallback, on real mbufs from
// real pools. Frames are built here byte by byte (the two small ones checked against scapy's),
// checksums verified by an independent ones'-complement sum, and every test ends with its
// pools full again.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/offload.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "gso_pools.h"
#include "offload_frames.h"

namespace dsw {
namespace {

using namespace test;

class OffloadTest : public GsoPoolsTest {
protected:
    // The frame as a chain of segments of at most `seg` bytes each (the headers in the first).
    rte_mbuf *to_mbuf(const Bytes &f, size_t seg = 2048) {
        rte_mbuf *head = nullptr;
        for (size_t at = 0; at < f.size(); at += seg) {
            rte_mbuf *m = rte_pktmbuf_alloc(frames_);
            EXPECT_NE(m, nullptr);
            const size_t n = std::min(seg, f.size() - at);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), &f[at], n);
            if (head == nullptr)
                head = m;
            else
                EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
        }
        return head;
    }
};


// ---- header ⇄ mbuf ----

TEST_F(OffloadTest, EveryValidHeaderSurvivesTheRoundTripThroughTheMbuf) {
    constexpr uint8_t kCsum = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    struct Case { const char *name; bool v6; uint8_t proto; uint8_t flags, gso; uint8_t tcp_flags; bool vlan; uint64_t ol; };
    const Case cases[] = {
        {"plain", false, 6, 0, 0, kAck, false, 0},
        {"data_valid", false, 17, VIRTIO_NET_HDR_F_DATA_VALID, 0, kAck, false, RTE_MBUF_F_RX_L4_CKSUM_GOOD},
        {"csum tcp4", false, 6, kCsum, 0, kAck, false, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM},
        {"csum udp4 tagged", false, 17, kCsum, 0, kAck, true, RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_UDP_CKSUM},
        {"csum tcp6", true, 6, kCsum, 0, kAck, false, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM},
        {"csum udp6", true, 17, kCsum, 0, kAck, false, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM},
        {"tso4", false, 6, kCsum, VIRTIO_NET_HDR_GSO_TCPV4, kAck, false,
         RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG},
        {"tso4 ecn tagged", false, 6, kCsum, VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, kAck | kCwr, true,
         RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG},
        {"tso6", true, 6, kCsum, VIRTIO_NET_HDR_GSO_TCPV6, kAck | kPsh, false,
         RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG},
        {"uso4", false, 17, kCsum, kVnetGsoUdpL4, 0, false,
         RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_UDP_SEG},
        {"uso6", true, 17, kCsum, kVnetGsoUdpL4, 0, false, RTE_MBUF_F_TX_IPV6 | RTE_MBUF_F_TX_UDP_CKSUM | RTE_MBUF_F_TX_UDP_SEG},
    };
    for (const Case &c : cases) {
        const Bytes f = build(c.v6, c.proto, 3000, c.tcp_flags, c.vlan);
        const virtio_net_hdr h = vnet(c.flags, c.gso, 1400, f);
        rte_mbuf *m = to_mbuf(f);
        const VnetParse r = vnet_to_mbuf(h, m);
        ASSERT_TRUE(r.ok) << c.name << ": " << drop_reason_name(r.reason);
        EXPECT_EQ(m->ol_flags, c.ol) << c.name;
        if (c.flags & kCsum) {
            EXPECT_EQ(m->l2_len, c.vlan ? 18u : 14u) << c.name;
            EXPECT_EQ(m->l3_len, c.v6 ? 40u : 20u) << c.name;
            EXPECT_EQ(m->l4_len, c.proto == 6 ? 32u : 8u) << c.name;
        }
        if (c.gso) {
            EXPECT_EQ(m->tso_segsz, 1400u) << c.name;
        }
        virtio_net_hdr back;
        mbuf_to_vnet(m, back);
        EXPECT_EQ(std::memcmp(&back, &h, sizeof h), 0)
            << c.name << ": flags " << int(back.flags) << " gso_type " << int(back.gso_type) << " hdr_len " << back.hdr_len
            << " gso_size " << back.gso_size << " csum " << back.csum_start << "+" << back.csum_offset;
        EXPECT_EQ(bytes_of(m), f) << c.name << ": the frame itself is not touched";
        rte_pktmbuf_free(m);
    }
}

TEST_F(OffloadTest, EveryMalformedHeaderIsItsOwnDropAndLeavesTheMbufAlone) {
    constexpr uint8_t kCsum = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    const Bytes tcp4 = build(false, 6, 4000), tcp6 = build(true, 6, 4000), udp4 = build(false, 17, 4000);
    Bytes ext6 = tcp6;   // a hop-by-hop extension header announced: not walked
    ext6[14 + 6] = 0;
    Bytes frag4 = tcp4;   // more fragments
    frag4[14 + 6] = 0x20;
    Bytes long4 = tcp4;   // IP says longer than the frame
    put16(long4, 14 + 2, static_cast<uint16_t>(tcp4.size()));
    const Bytes cut4(tcp4.begin(), tcp4.begin() + 14 + 20 + 10);   // TCP header cut short
    Bytes arp = tcp4;
    put16(arp, 12, 0x0806);
    Bytes padded4 = tcp4;   // bytes past the IP packet would become payload
    padded4.resize(padded4.size() + 6, 0);
    struct Case { const char *name; Bytes frame; virtio_net_hdr h; DropReason want; };
    auto h = [](const Bytes &f, uint8_t flags, uint8_t gso, uint16_t size = 1400) { return vnet(flags, gso, size, f); };
    std::vector<Case> cases = {
        {"csum past the frame", tcp4, h(tcp4, kCsum, 0), DropReason::offload_bad_csum},
        {"csum_start not at L4", tcp4, h(tcp4, kCsum, 0), DropReason::offload_bad_csum},
        {"csum_offset not the TCP checksum", tcp4, h(tcp4, kCsum, 0), DropReason::offload_bad_csum},
        {"unknown flag bit", tcp4, h(tcp4, kCsum | VIRTIO_NET_HDR_F_RSC_INFO, 0), DropReason::offload_bad_csum},
        {"gso_size 0", tcp4, h(tcp4, kCsum, VIRTIO_NET_HDR_GSO_TCPV4, 0), DropReason::offload_bad_gso},
        {"TCPV4 on IPv6", tcp6, h(tcp6, kCsum, VIRTIO_NET_HDR_GSO_TCPV4), DropReason::offload_bad_gso},
        {"TCPV6 on IPv4", tcp4, h(tcp4, kCsum, VIRTIO_NET_HDR_GSO_TCPV6), DropReason::offload_bad_gso},
        {"UDP_L4 on TCP", tcp4, h(tcp4, kCsum, kVnetGsoUdpL4), DropReason::offload_bad_gso},
        {"TCPV4 on UDP", udp4, h(udp4, kCsum, VIRTIO_NET_HDR_GSO_TCPV4), DropReason::offload_bad_gso},
        {"hdr_len past the frame", tcp4, h(tcp4, kCsum, VIRTIO_NET_HDR_GSO_TCPV4), DropReason::offload_bad_gso},
        {"unknown gso_type", tcp4, h(tcp4, kCsum, 2), DropReason::offload_bad_gso},
        {"unknown gso_type bits", tcp4, h(tcp4, kCsum, 0x41), DropReason::offload_bad_gso},
        {"ECN on UDP", udp4, h(udp4, kCsum, kVnetGsoUdpL4 | VIRTIO_NET_HDR_GSO_ECN), DropReason::offload_bad_gso},
        {"bytes past the IP packet", padded4, h(padded4, kCsum, VIRTIO_NET_HDR_GSO_TCPV4), DropReason::offload_bad_gso},
        {"legacy UFO", udp4, h(udp4, kCsum, VIRTIO_NET_HDR_GSO_UDP), DropReason::offload_unsupported},
        {"IPv6 extension header", ext6, h(tcp6, kCsum, 0), DropReason::offload_unsupported},
        {"IPv4 fragment", frag4, h(frag4, kCsum, 0), DropReason::offload_unsupported},
        {"not IP", arp, h(tcp4, kCsum, 0), DropReason::offload_unsupported},
        {"IP length past the frame", long4, h(long4, kCsum, 0), DropReason::offload_bad_headers},
        {"TCP header cut short", cut4, h(tcp4, kCsum, 0), DropReason::offload_bad_headers},
    };
    cases[0].h.csum_offset = static_cast<uint16_t>(tcp4.size());
    cases[1].h.csum_start += 2;
    cases[2].h.csum_offset = 6;
    cases[9].h.hdr_len = static_cast<uint16_t>(tcp4.size() + 1);
    for (Case &c : cases) {
        rte_mbuf *m = to_mbuf(c.frame);
        m->ol_flags = RTE_MBUF_F_RX_VLAN;   // anything: it must stay
        m->tx_offload = 0x1234;
        const VnetParse r = vnet_to_mbuf(c.h, m);
        EXPECT_FALSE(r.ok) << c.name;
        EXPECT_EQ(r.reason, c.want) << c.name << ": " << drop_reason_name(r.reason);
        EXPECT_EQ(m->ol_flags, RTE_MBUF_F_RX_VLAN) << c.name;
        EXPECT_EQ(m->tx_offload, 0x1234u) << c.name;
        EXPECT_EQ(bytes_of(m), c.frame) << c.name;
        rte_pktmbuf_free(m);   // the caller's, as vnet_to_mbuf says
    }
}

// ---- checksum completion ----

TEST_F(OffloadTest, PartialChecksumsAreCompletedToScapysBytes) {
    // scapy: Ether(dst=B, src=A)/IP(src="10.0.0.1", dst="10.0.0.2", id=0x1234, flags="DF")
    //   /TCP(sport=40000, dport=80, seq=1000, ack=2000, flags="PA", window=502)/Raw(bytes(range(32)))
    const Bytes tcp4 = hex("02000000000b02000000000a080045000048123440004006147a0a0000010a0000029c400050000003e8000007d0"
                           "501801f6006b0000000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    // scapy: Ether(dst=B, src=A)/IPv6(src="fd00::1", dst="fd00::2")/UDP(sport=5000, dport=6000)/Raw(bytes(range(20)))
    const Bytes udp6 = hex("02000000000b02000000000a86dd60000000001c1140fd000000000000000000000000000001fd000000000000000000"
                           "00000000000213881770001c8055000102030405060708090a0b0c0d0e0f10111213");
    for (const Bytes *want : {&tcp4, &udp6}) {
        Bytes partial = *want;
        make_partial(partial);
        ASSERT_NE(partial, *want);
        rte_mbuf *m = to_mbuf(partial, 70);   // split across segments mid-payload
        ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, partial), m).ok);
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        // A port that takes checksums gets the frame as it came.
        ASSERT_EQ(prepare(m, kCapCsum, out, drop), 1);
        EXPECT_EQ(out[0], m);
        EXPECT_EQ(bytes_of(m), partial);
        ASSERT_EQ(prepare(m, kCapTso | kCapUso, out, drop), 1);
        EXPECT_EQ(out[0], m);
        EXPECT_EQ(bytes_of(out[0]), *want) << "completed in place, byte-exact";
        EXPECT_TRUE(l4_csum_ok(bytes_of(out[0])));
        EXPECT_EQ(out[0]->ol_flags & (RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM), 0u);
        rte_pktmbuf_free(out[0]);
    }
    EXPECT_EQ(counters_.csum_completed.get(), 2u);
}

TEST_F(OffloadTest, ThePaddingOfAShortFrameStaysOutOfItsChecksum) {
    Bytes want = build(false, 17, 4);
    put16(want, 14 + 20 + 6, 0);
    put16(want, 14 + 20 + 6, static_cast<uint16_t>(~fold(sum16(&want[34], 12, pseudo(want, shape_of(want))))));
    want.resize(60, 0xee);   // Ethernet padding, not part of the datagram
    Bytes partial = want;
    make_partial(partial);
    rte_mbuf *m = to_mbuf(partial);
    ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, partial), m).ok);
    std::vector<rte_mbuf *> out;
    DropReason drop{};
    ASSERT_EQ(prepare(m, 0, out, drop), 1);
    EXPECT_EQ(bytes_of(out[0]), want);
    rte_pktmbuf_free(out[0]);
}

TEST_F(OffloadTest, AFrameSharedByAFloodGetsItsOwnHeadersNotAWriteIntoTheShared) {
    Bytes partial = build(false, 17, 100);
    rte_mbuf *m = to_mbuf(partial);
    ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, partial), m).ok);
    rte_mbuf_refcnt_update(m, 1);   // a second egress port holds it too
    std::vector<rte_mbuf *> out;
    DropReason drop{};
    ASSERT_EQ(prepare(m, 0, out, drop), 1);
    EXPECT_NE(out[0], m);
    EXPECT_EQ(bytes_of(m), partial) << "the other port's frame is unchanged";
    EXPECT_NE(m->ol_flags & RTE_MBUF_F_TX_UDP_CKSUM, 0u);
    EXPECT_TRUE(l4_csum_ok(bytes_of(out[0])));
    // The caller's reference went with the frame; the copy's payload clone holds one instead.
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 2);
    rte_pktmbuf_free(out[0]);
    EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
    rte_pktmbuf_free(m);
}

// ---- segmentation ----

TEST_F(OffloadTest, A64KTsoFrameLeavesAsMssFramesWithEveryChecksumRight) {
    struct Case { bool v6; uint8_t proto; uint8_t gso; size_t payload; uint16_t mss, mtu; size_t unit; bool vlan; };
    const Case cases[] = {
        {false, 6, VIRTIO_NET_HDR_GSO_TCPV4, 65535 - 20 - 32, 1448, 1500, 1448, false},   // by rte_gso
        {false, 6, VIRTIO_NET_HDR_GSO_TCPV4, 20000, 1448, 1000, 1000 - 20 - 32, false},    // the port's MTU is smaller
        {true, 6, VIRTIO_NET_HDR_GSO_TCPV6, 65535 - 32, 1428, 1500, 1428, false},          // by the splitter
        {false, 17, kVnetGsoUdpL4, 30000, 1400, 1500, 1400, false},
        {true, 17, kVnetGsoUdpL4, 30000, 1400, 1500, 1400, false},
        {false, 6, VIRTIO_NET_HDR_GSO_TCPV4, 9000, 1448, 1500, 1448, true},                // behind an 802.1Q tag
        {true, 6, VIRTIO_NET_HDR_GSO_TCPV6, 9000, 1428, 1500, 1428, true},
    };
    for (const Case &c : cases) {
        const Bytes f = build(c.v6, c.proto, c.payload, kAck | kPsh | kFin | kCwr, c.vlan);
        rte_mbuf *m = to_mbuf(f);
        const uint8_t ecn = c.proto == 6 ? VIRTIO_NET_HDR_GSO_ECN : 0;
        ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, c.gso | ecn, c.mss, f), m).ok);
        gso_.mtu = c.mtu;
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        const uint16_t n = prepare(m, kCapCsum, out, drop);
        ASSERT_GT(n, 1) << drop_reason_name(drop);
        const std::string what = std::string(c.v6 ? "v6 " : "v4 ") + (c.proto == 6 ? "tcp" : "udp");
        expect_segments(f, out, c.unit, what.c_str());
        for (rte_mbuf *s : out) rte_pktmbuf_free(s);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 7u);
}

// A UDP GSO frame's segments are the datagrams its application sized (UDP_SEGMENT): to a port
// whose MTU cannot hold one, it is a drop with its reason, never datagrams cut smaller. TCP, a
// stream, is cut to the MTU as before.
TEST_F(OffloadTest, UdpDatagramsLongerThanTheMtuAreDroppedNotCutSmaller) {
    gso_.mtu = 1000;
    for (const bool v6 : {false, true}) {
        const char *what = v6 ? "v6" : "v4";
        for (const size_t payload : {size_t{30000}, size_t{1200}}) {   // 22 datagrams of 1400; one of 1200
            const Bytes f = build(v6, 17, payload);
            rte_mbuf *m = to_mbuf(f);
            ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, kVnetGsoUdpL4, 1400, f), m).ok);
            const uint64_t flags = m->ol_flags;
            std::vector<rte_mbuf *> out;
            DropReason drop{};
            const uint16_t n = prepare(m, kCapCsum, out, drop);
            EXPECT_EQ(n, 0) << what << " payload " << payload << ": cut into " << n;
            if (n != 0) {   // cut smaller: the segments hold the payload, m's reference went
                for (rte_mbuf *s : out) rte_pktmbuf_free(s);
                continue;
            }
            EXPECT_EQ(drop, DropReason::offload_gso_mtu) << what << ": " << drop_reason_name(drop);
            // Still the caller's, untouched, to free and count.
            EXPECT_EQ(m->ol_flags, flags);
            EXPECT_EQ(bytes_of(m), f);
            rte_pktmbuf_free(m);
        }
        // A frame whose one datagram fits the MTU whole leaves as it is, its checksum done.
        const Bytes one = build(v6, 17, 900);
        rte_mbuf *m = to_mbuf(one);
        ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, kVnetGsoUdpL4, 1400, one), m).ok);
        std::vector<rte_mbuf *> out;
        DropReason drop{};
        ASSERT_EQ(prepare(m, 0, out, drop), 1) << what << ": " << drop_reason_name(drop);
        expect_segments(one, out, 900, what);
        rte_pktmbuf_free(out[0]);
        // TCP at the same sizes: a stream, cut to what the MTU leaves after its headers.
        const Bytes tcp = build(v6, 6, 30000);
        m = to_mbuf(tcp);
        ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4,
                                      1400, tcp), m).ok);
        ASSERT_GT(prepare(m, 0, out, drop), 1) << what << ": " << drop_reason_name(drop);
        expect_segments(tcp, out, 1000 - (v6 ? 40 : 20) - 32, what);
        for (rte_mbuf *s : out) rte_pktmbuf_free(s);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 2u);
    EXPECT_STREQ(drop_reason_name(DropReason::offload_gso_mtu), "offload_gso_mtu");
}

TEST_F(OffloadTest, APortThatSegmentsGetsTheWholeFrame) {
    const Bytes f = build(true, 6, 9000);
    rte_mbuf *m = to_mbuf(f);
    ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1428, f), m).ok);
    std::vector<rte_mbuf *> out;
    DropReason drop{};
    ASSERT_EQ(prepare(m, kCapTso, out, drop), 1);
    EXPECT_EQ(out[0], m);
    EXPECT_NE(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG, 0u);
    EXPECT_EQ(bytes_of(m), f);
    // A port with only USO cannot take TCP segments.
    ASSERT_GT(prepare(m, kCapUso | kCapCsum, out, drop), 1);
    for (rte_mbuf *s : out) rte_pktmbuf_free(s);
}

TEST_F(OffloadTest, ASharedTso4FrameIsSegmentedWithoutTouchingTheOtherReference) {
    const Bytes f = build(false, 6, 20000);
    rte_mbuf *m = to_mbuf(f);
    ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, f), m).ok);
    const uint64_t flags = m->ol_flags;
    rte_mbuf_refcnt_update(m, 1);
    std::vector<rte_mbuf *> out;
    DropReason drop{};
    ASSERT_GT(prepare(m, 0, out, drop), 1);
    expect_segments(f, out, 1448, "shared");
    EXPECT_EQ(m->ol_flags, flags) << "rte_gso cleared TX_TCP_SEG on a frame another port still sends";
    EXPECT_EQ(bytes_of(m), f);
    for (rte_mbuf *s : out) rte_pktmbuf_free(s);
    rte_pktmbuf_free(m);
}

TEST_F(OffloadTest, NoMbufsOrNoRoomIsACountedDropAndTheFrameStaysTheCallers) {
    for (bool v6 : {false, true}) {
        const Bytes f = build(v6, 6, 20000);
        rte_mbuf *m = to_mbuf(f);
        ASSERT_TRUE(vnet_to_mbuf(vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4, 1448, f), m).ok);
        const uint64_t flags = m->ol_flags;
        // Room for 5 frames where 14 are needed.
        rte_mbuf *out[5];
        DropReason drop{};
        EXPECT_EQ(prepare_for_tx(m, 0, gso_, out, 5, counters_, drop), 0);
        EXPECT_EQ(drop, DropReason::offload_no_mbufs);
        // The header pool empty.
        std::vector<rte_mbuf *> held(direct_->size);
        ASSERT_EQ(rte_pktmbuf_alloc_bulk(direct_, held.data(), direct_->size), 0);
        std::vector<rte_mbuf *> segs;
        drop = DropReason::count;
        EXPECT_EQ(prepare(m, 0, segs, drop), 0);
        EXPECT_EQ(drop, DropReason::offload_no_mbufs);
        for (rte_mbuf *x : held) rte_pktmbuf_free(x);
        EXPECT_EQ(m->ol_flags, flags);
        EXPECT_EQ(bytes_of(m), f);
        EXPECT_EQ(rte_mbuf_refcnt_read(m), 1);
        rte_pktmbuf_free(m);
    }
    EXPECT_EQ(counters_.gso_segmented.get(), 0u);
}

}  // namespace
}  // namespace dsw
