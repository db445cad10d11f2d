// Storm control on a whole switch: a net_pcap port replays broadcasts as fast as it can; the
// other port must receive them at the configured rate (within 10%), the rest counted as drops.
//
//   p0: net_pcap, infinite broadcast replay ──> worker (storm: broadcast 20000 pps) ──> p1: net_null sink
#include "storm_rig.h"

namespace dsw {
namespace {

TEST(StormControl, BroadcastIsHeldToTheConfiguredRate) {
    test::StormRig rig("storm", 1, 20000);
    ASSERT_TRUE(rig.sw);
    const double rate = rig.sink_rate();
    const PortTotals in = rig.sw->port_totals(0);
    EXPECT_NEAR(rate, 20000.0, 2000.0);
    EXPECT_GT(in.drops[static_cast<unsigned>(DropReason::storm_broadcast)], in.rx_packets / 2)
        << "most of the replay is over the limit and counted";
}

}  // namespace
}  // namespace dsw
