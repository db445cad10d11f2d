// parse_l2 on good, malformed and truncated frames: every bad one gets its drop reason and
// nothing is read past data_len.
#include <gtest/gtest.h>

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/tables/arp_table.h"
#include "frames.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::mac;

class ParseTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto p = make_pktmbuf_pool("parse_test", 255, SOCKET_ID_ANY);
        ASSERT_TRUE(p.ok()) << p.error().message;
        pool_ = std::move(p.value());
    }
    void TearDown() override { EXPECT_TRUE(test::pool_full(pool_.get())) << "leaked mbufs"; }

    L2Frame parse(const std::vector<uint8_t> &bytes) {
        rte_mbuf *m = test::to_mbuf(pool_.get(), bytes);
        EXPECT_NE(m, nullptr);
        const L2Frame f = parse_l2(m);
        rte_pktmbuf_free(m);
        return f;
    }
    MempoolPtr pool_;
};

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 1);
const uint64_t kB = mac(0x02, 0, 0, 0, 0, 2);

TEST_F(ParseTest, TakesBothMacsOfAnUntaggedFrame) {
    const L2Frame f = parse(eth_frame(kB, kA));
    EXPECT_EQ(f.drop, kNoDrop);
    EXPECT_EQ(f.dst, kB);
    EXPECT_EQ(f.src, kA);
    EXPECT_FALSE(f.tagged);
    EXPECT_EQ(mac_to_string(f.src), "02:00:00:00:00:01");
}

TEST_F(ParseTest, FourteenBytesIsEnough) { EXPECT_EQ(parse(eth_frame(kB, kA, 0x0800, 14)).drop, kNoDrop); }

TEST_F(ParseTest, RuntIsDropped) {
    for (size_t len : {0, 1, 6, 12, 13}) {
        std::vector<uint8_t> f = eth_frame(kB, kA, 0x0800, 60);
        f.resize(len);
        EXPECT_EQ(parse(f).drop, static_cast<uint8_t>(DropReason::runt)) << "length " << len;
    }
}

TEST_F(ParseTest, ReadsTheVlanTag) {
    std::vector<uint8_t> f = eth_frame(kB, kA, 0x8100, 64);
    f[14] = 0x20;   // PCP 1, VID 0x00a = 10
    f[15] = 0x0a;
    const L2Frame p = parse(f);
    EXPECT_EQ(p.drop, kNoDrop);
    EXPECT_TRUE(p.tagged);
    EXPECT_EQ(p.vlan, 10);
}

TEST_F(ParseTest, TruncatedVlanTagIsDropped) {
    for (size_t len : {14, 15, 16, 17}) {
        std::vector<uint8_t> f = eth_frame(kB, kA, 0x8100, 64);
        f.resize(len);
        EXPECT_EQ(parse(f).drop, static_cast<uint8_t>(DropReason::truncated_vlan)) << "length " << len;
    }
}

TEST_F(ParseTest, MulticastOrZeroSourceIsDropped) {
    EXPECT_EQ(parse(eth_frame(kB, mac(0x01, 0, 0x5e, 0, 0, 1))).drop, static_cast<uint8_t>(DropReason::src_mac_multicast));
    EXPECT_EQ(parse(eth_frame(kB, mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).drop,
              static_cast<uint8_t>(DropReason::src_mac_multicast));
    EXPECT_EQ(parse(eth_frame(kB, 0)).drop, static_cast<uint8_t>(DropReason::src_mac_zero));
}

TEST_F(ParseTest, BroadcastDestinationIsGroup) {
    const L2Frame f = parse(eth_frame(mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), kA));
    EXPECT_EQ(f.drop, kNoDrop);
    EXPECT_TRUE(mac_is_multicast(f.dst));
    EXPECT_FALSE(mac_is_multicast(f.src));
}

// A UDP-tunnelled TCP segment becomes frames of the outer headers, the inner ones and one
// segment's payload: in DPDK's form (after encapsulation) the outer Ethernet and IP headers are
// outer_l2_len + outer_l3_len before l2_len; in a vnet port's form the inner TCP header's length
// is the frame's own (l4_len 0).
TEST_F(ParseTest, ATunnelledSegmentIsAsLongAsAllItsHeadersAndOneSegment) {
    std::vector<uint8_t> bytes = eth_frame(kB, kA, 0x0800, 200);
    constexpr uint16_t kInnerTcpAt = 14 + 20 + 8 + 8 + 14 + 20;   // outer Eth/IPv4/UDP/VXLAN, inner Eth/IPv4
    bytes[kInnerTcpAt + 12] = 0x80;                                 // data offset: 32 bytes (timestamps)
    rte_mbuf *m = test::to_mbuf(pool_.get(), bytes);
    ASSERT_NE(m, nullptr);
    const uint32_t pkt_len = m->pkt_len;

    m->ol_flags = RTE_MBUF_F_TX_TUNNEL_VXLAN | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG |
                  RTE_MBUF_F_TX_TCP_CKSUM;
    m->outer_l2_len = 14;
    m->outer_l3_len = 20;
    m->l2_len = 8 + 8 + 14;
    m->l3_len = 20;
    m->l4_len = 32;
    m->tso_segsz = 1398;
    EXPECT_EQ(wire_frame_len(m), 1514u) << "DPDK's tunnel form";
    // Past the largest frame by its outer headers alone: oversize.
    m->tso_segsz = static_cast<uint16_t>(kMaxFrameLen - (8 + 8 + 14 + 20 + 32) - 10);
    m->pkt_len = 60000;
    EXPECT_EQ(parse_l2(m).drop, static_cast<uint8_t>(DropReason::oversize));
    m->pkt_len = pkt_len;

    m->ol_flags = RTE_MBUF_F_TX_TUNNEL_UDP | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_SEG |
                  RTE_MBUF_F_TX_TCP_CKSUM;
    m->tx_offload = 0;
    m->l2_len = 14;
    m->l3_len = kInnerTcpAt - 14;
    m->tso_segsz = 1398;
    EXPECT_EQ(wire_frame_len(m), 1514u) << "a vnet port's tunnel form";
    m->ol_flags = (m->ol_flags & ~(RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM)) | RTE_MBUF_F_TX_UDP_SEG |
                  RTE_MBUF_F_TX_UDP_CKSUM;
    EXPECT_EQ(wire_frame_len(m), kInnerTcpAt + 8u + 1398) << "an inner UDP segment";
    rte_pktmbuf_free(m);
}

TEST(MacString, RoundTripsAndRejectsGarbage) {
    auto m = mac_from_string("02:42:ac:11:00:02");
    ASSERT_TRUE(m);
    EXPECT_EQ(mac_to_string(*m), "02:42:ac:11:00:02");
    for (const char *bad : {"", "02:42:ac:11:00", "02:42:ac:11:00:02:03", "zz:42:ac:11:00:02", "02-42-ac-11-00-02"})
        EXPECT_FALSE(mac_from_string(bad)) << bad;
}

// The one parser (on rte_ether_unformat_addr) keeps the documented form: xx:xx:xx:xx:xx:xx of
// either case, nothing looser (DPDK's xxxx:xxxx:xxxx, sscanf's signs and spaces), no NUL.
TEST(MacString, TheDocumentedFormOnly) {
    auto upper = mac_from_string("02:42:AC:11:00:0F");
    ASSERT_TRUE(upper);
    EXPECT_EQ(mac_to_string(*upper), "02:42:ac:11:00:0f");
    EXPECT_EQ(mac_to_string(0), "00:00:00:00:00:00");
    for (const std::string &bad : {std::string("0242:ac11:0002"), std::string("+2:42:ac:11:00:02"),
                                  std::string("02:42:ac:11:00: 2"), std::string(" 2:42:ac:11:00:02"),
                                  std::string("0242:ac11:0002\0xyz", 17), std::string("02:42:ac:11:00:0\0", 17)})
        EXPECT_FALSE(mac_from_string(bad)) << bad;
}

TEST(IpString, Ipv4ParsesDottedQuadOnly) {
    EXPECT_EQ(ipv4_from_string("10.0.0.1").value_or(0), 0x0a000001u);
    EXPECT_EQ(ipv4_to_string(0x0a000001u), "10.0.0.1");
    for (const std::string &bad : {std::string("10.0.0"), std::string("10.0.0.01"), std::string("10.0.0.1\0junk", 13)})
        EXPECT_FALSE(ipv4_from_string(bad)) << bad;
}

}  // namespace
}  // namespace dsw
