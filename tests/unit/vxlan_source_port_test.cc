// The outer UDP source port a flow gets (vxlan_source_port_untagged, and vxlan_source_port for
// frames it cannot read straight): the underlay's ECMP spreads flows by it, so flows that differ
// get different ports, the frames of one flow the same one, whichever way it is read.
#include <gtest/gtest.h>

#include <cstring>
#include <set>
#include <vector>

#include "dpdk_switch/dataplane/vxlan_encap.h"
#include "dpdk_switch/dpdk/owners.h"
#include "frames.h"

namespace dsw {
namespace {

// A 60-byte Eth/IPv4/UDP frame from host (2:0:a:0:hi:lo, 10.a.hi.lo) to (2:0:b:0:hi:lo,
// 10.b.hi.lo), UDP 1024 -> 1024: gen_pcap.py's p1024 pairs, whose MACs and addresses all count
// up together.
std::vector<uint8_t> pair_frame(unsigned i, uint8_t a, uint8_t b, uint16_t sport = 1024) {
    const uint8_t hi = static_cast<uint8_t>(i >> 8), lo = static_cast<uint8_t>(i);
    const uint8_t head[] = {2, 0, b, 0, hi, lo, 2, 0, a, 0, hi, lo, 0x08, 0x00,
                            0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, a, hi, lo, 10, b, hi, lo,
                            static_cast<uint8_t>(sport >> 8), static_cast<uint8_t>(sport), 4, 0, 0, 26, 0, 0};
    std::vector<uint8_t> f(60, 0);
    std::memcpy(f.data(), head, sizeof head);
    return f;
}

class VxlanSourcePortTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto p = make_pktmbuf_pool("vxsport_test", 63, SOCKET_ID_ANY);
        ASSERT_TRUE(p.ok()) << p.error().message;
        pool_ = std::move(p.value());
    }
    void TearDown() override { EXPECT_TRUE(test::pool_full(pool_.get())) << "leaked mbufs"; }

    // Both ways of reading the frame's port (the second from a chain split after `split`
    // bytes, as a frame vxlan_source_port_untagged cannot read straight), which must agree.
    uint16_t port_of(const std::vector<uint8_t> &f, uint16_t split = 20) {
        rte_mbuf *m = rte_pktmbuf_alloc(pool_.get());
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
        const uint16_t straight = vxlan_source_port_untagged(m);
        rte_mbuf *head = rte_pktmbuf_alloc(pool_.get()), *tail = rte_pktmbuf_alloc(pool_.get());
        std::memcpy(rte_pktmbuf_append(head, split), f.data(), split);
        std::memcpy(rte_pktmbuf_append(tail, static_cast<uint16_t>(f.size() - split)), f.data() + split, f.size() - split);
        EXPECT_EQ(rte_pktmbuf_chain(head, tail), 0);
        EXPECT_EQ(vxlan_source_port_untagged(head), straight) << "a chained copy of the frame";
        EXPECT_EQ(vxlan_source_port(m, 12), straight);
        rte_pktmbuf_free(m);
        rte_pktmbuf_free(head);
        EXPECT_GE(straight, 49152);
        return straight;
    }

    MempoolPtr pool_;
};

TEST_F(VxlanSourcePortTest, HostPairsCountingUpTogetherEachGetTheirOwnPort) {
    // 1024 flows whose MACs, addresses and all count up together: a hash that keeps the low bits
    // of a CRC gave them 513 ports, half the flows sharing one with another.
    std::set<uint16_t> fwd, rev;
    for (unsigned i = 1; i <= 1024; ++i) {
        fwd.insert(port_of(pair_frame(i, 0, 1)));
        rev.insert(port_of(pair_frame(i, 1, 0)));
    }
    EXPECT_EQ(fwd.size(), 1024u);
    EXPECT_EQ(rev.size(), 1024u);
}

TEST_F(VxlanSourcePortTest, OneHostPairsConnectionsEachGetTheirOwnPort) {
    std::set<uint16_t> ports;
    for (unsigned p = 0; p < 1024; ++p) ports.insert(port_of(pair_frame(1, 0, 1, static_cast<uint16_t>(40000 + p))));
    EXPECT_EQ(ports.size(), 1024u);
}

TEST_F(VxlanSourcePortTest, AFlowsFramesShareOnePortAndFragmentsTheirFlowsPort) {
    std::vector<uint8_t> a = pair_frame(7, 0, 1), b = a;
    b[59] = 0x55;   // other payload, same flow
    EXPECT_EQ(port_of(a), port_of(b));
    // A later fragment has no ports where a first one has them: every fragment of a flow is
    // hashed without its ports, so they all go the same way.
    std::vector<uint8_t> first = a, later = a;
    first[14 + 6] = 0x20;                       // MF
    later[14 + 6] = 0x00, later[14 + 7] = 0x10;   // offset 16
    later[34] = 0xde, later[35] = 0xad;         // payload where the ports would be
    EXPECT_EQ(port_of(first), port_of(later));
    EXPECT_NE(port_of(first), port_of(a));
}

// The port as the hash was first written (branches for the IPv4 step and for the ports): the
// branch-free forms must give the same port for every kind of frame, so a flow keeps its port
// across versions of the switch (a VTEP's ECMP path, the peer's state).
uint16_t reference_port(const std::vector<uint8_t> &f) {
    uint64_t macs = 0, addrs = 0;
    uint32_t src_tail = 0, l4 = 0;
    std::memcpy(&macs, f.data(), 8);
    std::memcpy(&src_tail, f.data() + 8, 4);
    const uint8_t *ip = f.data() + 14;
    const bool v4 = f[12] == 0x08 && f[13] == 0x00 && ip[0] == 0x45;
    if (v4) {
        std::memcpy(&addrs, ip + 12, 8);
        if ((ip[9] == 6 || ip[9] == 17) && (ip[6] & 0x3f) == 0 && ip[7] == 0) std::memcpy(&l4, ip + 20, 4);
    }
    uint32_t h = vxlan_crc8(macs, 0x9e3779b9);
    if (v4) h = vxlan_crc8(addrs, h);
    h = vxlan_crc8(src_tail | (uint64_t{l4} << 32), h);
    return static_cast<uint16_t>(0xc000 | ((h ^ (h >> 16)) & 0x3fff));
}

TEST_F(VxlanSourcePortTest, EveryKindOfFrameGetsThePortTheHashFirstGaveIt) {
    std::vector<std::vector<uint8_t>> frames;
    for (uint8_t proto : {6, 17, 1, 47, 132, 0x46, 0x51})   // TCP, UDP, others (0x46: 6 + 64, 0x51: 17 + 64)
        for (uint8_t b6 : {0x00, 0x20, 0x40, 0x60, 0x01, 0x9f})   // flags (DF, MF) and offset bits
            for (uint8_t b7 : {0x00, 0x10}) {
                auto f = pair_frame(9, 0, 1, 5000);
                f[14 + 9] = proto;
                f[14 + 6] = b6;
                f[14 + 7] = b7;
                f[14 + 8] = 0xff;   // the TTL, not part of the test
                frames.push_back(f);
            }
    auto options = pair_frame(3, 0, 1);
    options[14] = 0x46;   // IPv4 with options: hashed as not IPv4
    frames.push_back(options);
    auto v6 = pair_frame(4, 0, 1);
    v6[12] = 0x86, v6[13] = 0xdd;
    frames.push_back(v6);
    auto arp = pair_frame(5, 0, 1);
    arp[13] = 0x06;
    frames.push_back(arp);
    auto v4_other = pair_frame(6, 0, 1);
    v4_other[14] = 0x55;   // version 5
    frames.push_back(v4_other);
    for (size_t i = 0; i < frames.size(); ++i) EXPECT_EQ(port_of(frames[i]), reference_port(frames[i])) << i;
}

}  // namespace
}  // namespace dsw
