// Two worker lcores (on one CPU: this binary's EAL maps lcores 1 and 2 to CPU 1): a frame that
// arrives on a port of lcore 1 and leaves by a port of lcore 2 crosses the egress port's
// hand-off ring; nothing is lost or duplicated, and every mbuf comes back.
//
//   p0 (lcore 1) ──> worker 1 ──ring of p1──> worker 2 ──> p1 (lcore 2)
//   p1 (lcore 2) ──> worker 2 ──ring of p0──> worker 1 ──> p0 (lcore 1)
#include "storm_rig.h"
#include "switch_fixture.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::Frame;
using test::mac;

TEST(CrossWorker, FramesCrossWorkersThroughTheRingsBothWays) {
    const auto dir = std::filesystem::temp_directory_path() / ("dsw_xw_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    auto f = [&](const std::string &n) { return (dir / n).string(); };
    // 500 frames each way between 500 host pairs: learning, flooding (first frames) and known
    // unicast all cross the rings.
    std::vector<Frame> fwd, rev;
    for (unsigned i = 0; i < 500; ++i) {
        const uint64_t a = mac(0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
        const uint64_t b = mac(0x02, 0, 1, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i));
        fwd.push_back(eth_frame(b, a));
        rev.push_back(eth_frame(a, b));
    }
    test::write_pcap(f("fwd.pcap"), fwd);
    test::write_pcap(f("rev.pcap"), rev);
    Config cfg;
    for (unsigned i = 0; i < 2; ++i) {
        PortConfig pc;
        pc.name = i ? "p1" : "p0";
        pc.type = PortType::dpdk;
        pc.lcore = 1 + i;
        pc.devargs = std::string(i ? "net_pcap_x1" : "net_pcap_x0") + ",rx_pcap=" + f(i ? "rev.pcap" : "fwd.pcap") +
                     ",tx_pcap=" + f(i ? "tx1.pcap" : "tx0.pcap");
        cfg.ports.push_back(pc);
    }
    {
        auto sw = Switch::create(cfg);
        ASSERT_TRUE(sw.ok()) << sw.error().message;
        ASSERT_EQ(sw.value()->worker_lcores().size(), 2u);
        ASSERT_TRUE(sw.value()->start().ok());
        auto sent = [&] { return sw.value()->port_totals(0).tx_packets + sw.value()->port_totals(1).tx_packets; };
        for (int i = 0; i < 500 && sent() < 1000; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
        EXPECT_EQ(sent(), 1000u);
        const SwitchTotals t = sw.value()->switch_totals();
        EXPECT_EQ(t.learned, 1000u);
        EXPECT_EQ(t.drops[static_cast<unsigned>(DropReason::ring_full)], 0u);
        sw.value()->stop();
        test::close_ports_and_check_pool(*sw.value());
    }
    EXPECT_EQ(test::read_pcap(f("tx1.pcap")), fwd);   // in order: one ring, one consumer
    EXPECT_EQ(test::read_pcap(f("tx0.pcap")), rev);
    std::filesystem::remove_all(dir);
}

// Storm control holds a port's limit when its queues are polled by two workers: the limiter is
// the port's, not each worker's (which would let 2 x the rate through). Each worker alone is
// offered more than the port may pass in the whole run, so a limiter per worker would pass
// about twice what the port's allows.
//
//   src: net_pcap, 2 queues, infinite broadcast replay, storm broadcast 2000 pps
//        queue 0 -> worker 1, queue 1 -> worker 2 ──> sink: net_null
TEST(CrossWorker, StormLimitIsThePortsWhateverWorkersPollItsQueues) {
    test::StormRig rig("xs", 2, 2000);
    ASSERT_TRUE(rig.sw);
    // Both workers poll a queue of src.
    unsigned polling_src = 0;
    for (const auto &l : rig.sw->lcore_totals())
        for (const auto &p : l.ports) polling_src += p.rfind("src:", 0) == 0;
    EXPECT_EQ(polling_src, 2u);
    auto each_got = [&](uint64_t n) {
        for (const auto &l : rig.sw->lcore_totals())
            if (l.packets < n) return false;
        return true;
    };
    ASSERT_TRUE(rig.run_until([&] { return each_got(100000); })) << "a worker hardly received";
    ASSERT_EQ(rig.per_worker.size(), 2u);
    const uint64_t sent = rig.sink.tx_packets;
    EXPECT_EQ(rig.src.rx_packets, sent + rig.all_drops()) << "every frame sent on or counted";
    EXPECT_EQ(rig.all_drops(), rig.storm_drops());
    EXPECT_LE(sent, rig.most_allowed()) << "more than the port's 2000 pps allow in the time the switch ran";
    // What makes the test able to tell: each worker alone was offered more than that.
    for (uint64_t got : rig.per_worker) EXPECT_GT(got, rig.most_allowed());
    EXPECT_GE(sent, rig.burst());
}

}  // namespace
}  // namespace dsw
