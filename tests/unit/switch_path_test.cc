// SwitchPath::classify called directly, burst after burst from one caller (as a worker does), for
// what the whole-switch tests cannot aim at: the one-flow path (a burst whose frames share their L2
// header) against frames that differ only where it does not look, and against the frame arrays
// the burst before left on the stack.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dpdk/owners.h"
#include "frames.h"
#include "mac_table_rig.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::mac;
using test::tagged;

class SwitchPathTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(rig_.make("sp_macs", 1024));
        auto p = make_pktmbuf_pool("sp_pool", 256, SOCKET_ID_ANY);
        ASSERT_TRUE(p.ok()) << p.error().message;
        pool_ = std::move(p.value());
        slot_.allowed[0] |= 1;   // an access port of the default VLAN
        path_ = std::make_unique<SwitchPath>(rig_.table(), nullptr);
    }
    void TearDown() override {
        for (rte_mbuf *m : held_) rte_pktmbuf_free(m);
        EXPECT_TRUE(test::pool_full(pool_.get()));
    }
    // Classifies `frames` as one burst received on `port`; d_ holds the decisions. `oversize`:
    // frames whose pkt_len claims more than any frame switched (the bytes need not be there).
    void classify(const std::vector<std::vector<uint8_t>> &frames, uint16_t port, std::vector<unsigned> oversize = {}) {
        std::vector<rte_mbuf *> burst;
        for (const auto &f : frames) burst.push_back(test::to_mbuf(pool_.get(), f));
        for (unsigned i : oversize) burst[i]->pkt_len = kMaxFrameLen + 1;
        held_.insert(held_.end(), burst.begin(), burst.end());
        path_->classify(burst.data(), static_cast<uint16_t>(burst.size()), Ingress{port, &slot_}, 0, d_, *counters_);
    }

    test::MacTableRig rig_;   // before path_, which holds a reference to its table
    MempoolPtr pool_;
    PortSlot slot_;
    std::unique_ptr<LcoreCounters> counters_ = std::make_unique<LcoreCounters>();
    std::unique_ptr<SwitchPath> path_;
    BurstDecision d_{};
    std::vector<rte_mbuf *> held_;
};

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 0xa), kB = mac(0x02, 0, 0, 0, 0, 0xb);
const uint64_t kBcast = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

TEST_F(SwitchPathTest, ADroppedFrameAfterABurstOfOneFlowIsNotTakenForThatFlow) {
    const auto a_to_b = eth_frame(kB, kA);
    auto runt = a_to_b;
    runt.resize(12);
    classify({eth_frame(kA, kB)}, 1);                                  // B learned behind port 1
    classify(std::vector<std::vector<uint8_t>>(32, a_to_b), 0);        // one flow: every frame to port 1
    for (unsigned i = 0; i < 32; ++i) ASSERT_EQ(d_.out[i], 1u) << i;
    // The same flow with a runt second: the runt never wrote its keys, the burst before did.
    classify({a_to_b, runt, a_to_b, a_to_b, a_to_b}, 0);
    EXPECT_EQ(d_.out[0], 1u);
    EXPECT_EQ(d_.out[1], out_drop(DropReason::runt));
    EXPECT_EQ(d_.out[2], 1u);
    EXPECT_EQ(d_.out[4], 1u);
}

TEST_F(SwitchPathTest, AOneFlowBurstTakesTheDecisionOfItsFirstFrame) {
    const auto a_to_b = eth_frame(kB, kA);
    classify(std::vector<std::vector<uint8_t>>(8, a_to_b), 0);   // B unknown: every frame floods
    for (unsigned i = 0; i < 8; ++i) {
        EXPECT_EQ(d_.out[i], kOutFlood) << i;
        EXPECT_EQ(d_.flood_kind[i], kFloodUnknownUnicast) << i;
    }
    EXPECT_EQ(counters_->sw.learned.get(), 1u);
    classify(std::vector<std::vector<uint8_t>>(8, eth_frame(kBcast, kB)), 1);   // broadcasts from B
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(d_.flood_kind[i], kFloodBroadcast) << i;
    classify(std::vector<std::vector<uint8_t>>(8, a_to_b), 1);   // A's frames now come in on B's port
    EXPECT_EQ(counters_->sw.moves.get(), 1u) << "A moved to port 1 once, not once per frame";
    for (unsigned i = 0; i < 8; ++i) EXPECT_EQ(d_.out[i], out_drop(DropReason::hairpin)) << i;
}

TEST_F(SwitchPathTest, FramesOfOneFlowDifferingPastTheL2HeaderShareItsDecision) {
    classify({eth_frame(kA, kB)}, 1);   // B learned behind port 1
    std::vector<std::vector<uint8_t>> burst(6, eth_frame(kB, kA));
    for (unsigned i = 0; i < burst.size(); ++i) burst[i][30] = static_cast<uint8_t>(i);   // IP header differs
    classify(burst, 0);
    for (unsigned i = 0; i < burst.size(); ++i) EXPECT_EQ(d_.out[i], 1u) << i;
}

TEST_F(SwitchPathTest, UntaggedFramesDifferingInTheFirstBytesOfL3ShareTheDecision) {
    classify({eth_frame(kA, kB)}, 1);
    std::vector<std::vector<uint8_t>> burst(6, eth_frame(kB, kA));
    for (unsigned i = 0; i < burst.size(); ++i) burst[i][15] = static_cast<uint8_t>(i);   // the IPv4 TOS
    classify(burst, 0);
    EXPECT_TRUE(d_.same_decision) << "bytes 14-15 of an untagged frame do not change its parse";
    for (unsigned i = 0; i < burst.size(); ++i) EXPECT_EQ(d_.out[i], 1u) << i;
}

TEST_F(SwitchPathTest, TaggedFramesDifferingInTheirTagOrInnerEthertypeAreDecidedEachAlone) {
    slot_ = PortSlot{};
    slot_.trunk = true;
    slot_.allowed[0] |= 1ULL << 10;   // a trunk of VLAN 10
    std::vector<std::vector<uint8_t>> burst(6, tagged(eth_frame(kB, kA), 10));
    burst[2] = tagged(eth_frame(kB, kA), 20);            // another VLAN (bytes 14-15)
    burst[4] = tagged(tagged(eth_frame(kB, kA), 7), 10);  // a second tag (bytes 16-17)
    classify(burst, 0);
    EXPECT_FALSE(d_.same_decision);
    for (unsigned i = 0; i < burst.size(); ++i) {
        const uint16_t want = i == 2 ? out_drop(DropReason::vlan_not_allowed)
                              : i == 4 ? out_drop(DropReason::double_tagged)
                                       : kOutFlood;   // B unknown in VLAN 10
        EXPECT_EQ(d_.out[i], want) << i;
    }
}

TEST_F(SwitchPathTest, AnOversizeFrameInABurstOfOneFlowIsDroppedAloneOrFirst) {
    classify({eth_frame(kA, kB)}, 1);
    const std::vector<std::vector<uint8_t>> burst(6, eth_frame(kB, kA));
    classify(burst, 0, {3});
    for (unsigned i = 0; i < burst.size(); ++i)
        EXPECT_EQ(d_.out[i], i == 3 ? out_drop(DropReason::oversize) : 1u) << i;
    classify(burst, 0, {0});
    for (unsigned i = 0; i < burst.size(); ++i)
        EXPECT_EQ(d_.out[i], i == 0 ? out_drop(DropReason::oversize) : 1u) << i;
}

TEST_F(SwitchPathTest, ABurstOfOneFlowFromABadSourceIsDroppedWhole) {
    const auto bad = eth_frame(kB, mac(0x01, 0, 0x5e, 0, 0, 1));   // multicast source
    classify(std::vector<std::vector<uint8_t>>(5, bad), 0);
    for (unsigned i = 0; i < 5; ++i) EXPECT_EQ(d_.out[i], out_drop(DropReason::src_mac_multicast)) << i;
    EXPECT_EQ(counters_->sw.learned.get(), 0u);
}

}  // namespace
}  // namespace dsw
