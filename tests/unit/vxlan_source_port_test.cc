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

}  // namespace
}  // namespace dsw
