// Storm control. The limiter alone, on a clock the test sets: exact counts. Then on a whole
// switch, where a net_pcap port replays broadcasts as fast as it can: every frame is sent on or
// counted as a storm drop, and the sink never gets more than the limit allows in the time the
// switch really ran (read from the TSC around it: a loaded machine cannot make this fail).
//
//   p0: net_pcap, infinite broadcast replay ──> worker (storm: broadcast 2000 pps) ──> p1: net_null sink
#include <atomic>

#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "storm_rig.h"

namespace dsw {
namespace {

// 1000 frames/s on a 1 GHz TSC: an interval of 1 ms, a burst of 100 frames (100 ms).
constexpr uint64_t kHz = 1000000000, kMs = kHz / 1000;
const StormRate kRate = StormRate::of(1000, kHz, kMaxBurst);

unsigned offer(StormLimiter &l, uint64_t now, unsigned frames) {
    unsigned n = 0;
    for (unsigned i = 0; i < frames; ++i) n += l.allow(now, kRate);
    return n;
}

TEST(StormLimiter, LetsTheBurstThenOneFramePerInterval) {
    ASSERT_EQ(kRate.tau / kRate.interval, 100u);
    StormLimiter l;
    const uint64_t t0 = 5 * kHz;   // any start: the limiter begins with its whole burst
    EXPECT_EQ(offer(l, t0, 1000), 100u) << "the burst, at once";
    EXPECT_EQ(offer(l, t0, 1000), 0u) << "nothing more at the same instant";
    EXPECT_EQ(offer(l, t0 + kMs, 1000), 1u) << "one interval later";
    EXPECT_EQ(offer(l, t0 + kMs, 1000), 0u);
    EXPECT_EQ(offer(l, t0 + 11 * kMs, 1000), 10u) << "ten intervals more";
    // Idle for longer than the burst's 100 ms: the burst is whole again, no more.
    EXPECT_EQ(offer(l, t0 + 1000 * kMs, 1000), 100u);
    // Just after that (the burst spent), a frame every 0.1 ms for a second: one each interval.
    unsigned allowed = 0;
    const uint64_t t1 = t0 + 1000 * kMs + 1;
    for (unsigned j = 0; j < 10000; ++j) allowed += l.allow(t1 + j * (kMs / 10), kRate);
    EXPECT_EQ(allowed, 1000u);
}

StormLimiter shared_limiter;
std::atomic<bool> go{false};
std::atomic<unsigned> worker_allowed{0};

TEST(StormLimiter, SharedByTwoLcoresItLetsTheBurstOnce) {
    // Two lcores offer 100000 frames each at one frozen instant: together they get the burst,
    // exactly (a limiter per lcore would give each its own).
    const unsigned worker = rte_get_next_lcore(-1, 1, 0);
    ASSERT_LT(worker, RTE_MAX_LCORE) << "the EAL has no worker lcore";
    shared_limiter.reset();
    go = false;
    auto side = [](void *) {
        while (!go.load()) rte_pause();
        worker_allowed = offer(shared_limiter, 7 * kHz, 100000);
        return 0;
    };
    ASSERT_EQ(rte_eal_remote_launch(side, nullptr, worker), 0);
    go = true;
    const unsigned mine = offer(shared_limiter, 7 * kHz, 100000);
    rte_eal_wait_lcore(worker);
    EXPECT_EQ(mine + worker_allowed, 100u) << "main " << mine << ", worker " << worker_allowed;
}

TEST(StormControl, BroadcastIsHeldToTheConfiguredRate) {
    test::StormRig rig("storm", 1, 2000);
    ASSERT_TRUE(rig.sw);
    ASSERT_TRUE(rig.run_until([&] { return rig.sw->port_totals(0).rx_packets >= 200000; })) << "the replay stalled";
    const uint64_t sent = rig.sink.tx_packets;
    EXPECT_EQ(rig.src.rx_packets, sent + rig.all_drops()) << "every frame sent on or counted";
    EXPECT_EQ(rig.all_drops(), rig.storm_drops()) << "and storm control is the only reason";
    EXPECT_LE(sent, rig.most_allowed()) << "more than 2000 pps allow in the time the switch ran";
    // 200000 frames at 2000 pps would take 100 s: the limiter refused some, and only once it
    // had let its burst pass.
    EXPECT_GT(rig.storm_drops(), 0u);
    EXPECT_GE(sent, rig.burst());
}

}  // namespace
}  // namespace dsw
