// Jumbo frames through a whole switch on net_pcap ports: net_pcap hands a frame longer than an
// mbuf over as a chain of segments, which a flood must share segment by segment (each segment
// is freed by its own reference count). The fixture checks the pool is full again: a segment
// freed by the first target and again by the second would leave it over-full.
//
//   p0: rx 5000-byte broadcasts from A ──flood──> p1, p2 (tx_pcap: the frames, whole)
#include <gtest/gtest.h>

#include "switch_fixture.h"

namespace dsw::test {
namespace {

Frame jumbo_broadcast(uint8_t tag) {
    Frame f = eth_frame(kBcast, kA, 0x0800, 5000);
    for (size_t i = 14; i < f.size(); ++i) f[i] = static_cast<uint8_t>(i * 7 + tag);   // no two segments alike
    return f;
}

TEST_F(SwitchTest, AChainedJumboFrameFloodsWholeToEveryOtherPort) {
    const Frame f = jumbo_broadcast(1);
    run({{f}, {}, {}});   // one frame: the per-frame flood
    EXPECT_EQ(tx_[1], (std::vector<Frame>{f}));
    EXPECT_EQ(tx_[2], (std::vector<Frame>{f}));
    EXPECT_EQ(totals_[1].tx_bytes, 5000u);
    EXPECT_EQ(totals_[0].drops[static_cast<unsigned>(DropReason::oversize)], 0u);
}

TEST_F(SwitchTest, ABurstOfChainedJumboFramesFloodsWhole) {
    const std::vector<Frame> burst{jumbo_broadcast(1), jumbo_broadcast(2), jumbo_broadcast(3)};
    run({burst, {}, {}});   // one burst, one decision: flooded whole by reference count
    EXPECT_EQ(tx_[1], burst);
    EXPECT_EQ(tx_[2], burst);
    EXPECT_EQ(switch_totals_.flooded, 3u);
}

}  // namespace
}  // namespace dsw::test
