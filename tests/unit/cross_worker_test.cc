// Two worker lcores (on one CPU: this binary's EAL maps lcores 1 and 2 to CPU 1): a frame that
// arrives on a port of lcore 1 and leaves by a port of lcore 2 crosses the egress port's
// hand-off ring; nothing is lost or duplicated, and every mbuf comes back.
//
//   p0 (lcore 1) ──> worker 1 ──ring of p1──> worker 2 ──> p1 (lcore 2)
//   p1 (lcore 2) ──> worker 2 ──ring of p0──> worker 1 ──> p0 (lcore 1)
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
        rte_mempool *pool = sw.value()->pool();
        EXPECT_LE(pool->size - rte_mempool_avail_count(pool), 2u * 1024 + 512) << "only the PMDs' RX rings hold mbufs";
    }
    EXPECT_EQ(test::read_pcap(f("tx1.pcap")), fwd);   // in order: one ring, one consumer
    EXPECT_EQ(test::read_pcap(f("tx0.pcap")), rev);
    std::filesystem::remove_all(dir);
}

// Storm control holds a port's limit when its queues are polled by two workers: the limiter is
// the port's, not each worker's (which would let 2 x the rate through).
//
//   src: net_pcap, 2 queues, infinite broadcast replay, storm broadcast 20000 pps
//        queue 0 -> worker 1, queue 1 -> worker 2 ──> sink: net_null
TEST(CrossWorker, StormLimitIsThePortsWhateverWorkersPollItsQueues) {
    const auto dir = std::filesystem::temp_directory_path() / ("dsw_xw_storm_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string pcap = (dir / "bcast.pcap").string();
    test::write_pcap(pcap, {eth_frame(test::kBcast, test::kA)});
    Config cfg;
    PortConfig src;
    src.name = "src";
    src.type = PortType::dpdk;
    src.queues = 2;
    src.devargs = "net_pcap_xs,rx_pcap=" + pcap + ",rx_pcap=" + pcap + ",infinite_rx=1";
    src.storm_broadcast_pps = 20000;
    PortConfig sink;
    sink.name = "sink";
    sink.type = PortType::dpdk;
    sink.devargs = "net_null_xs,no-rx=1";
    cfg.ports = {src, sink};
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    ASSERT_TRUE(sw.value()->start().ok());
    // Both workers poll a queue of src.
    unsigned polling_src = 0;
    for (const auto &l : sw.value()->lcore_totals())
        for (const auto &p : l.ports) polling_src += p.rfind("src:", 0) == 0;
    EXPECT_EQ(polling_src, 2u);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));   // past the initial burst
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t tx0 = sw.value()->port_totals(1).tx_packets;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const uint64_t tx1 = sw.value()->port_totals(1).tx_packets;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<uint64_t> per_worker;
    for (const auto &l : sw.value()->lcore_totals()) per_worker.push_back(l.packets);
    sw.value()->stop();
    sw.value().reset();
    std::filesystem::remove_all(dir);
    ASSERT_EQ(per_worker.size(), 2u);
    EXPECT_GT(per_worker[0], 100000u) << "worker 1 hardly received: the test would not test sharing";
    EXPECT_GT(per_worker[1], 100000u) << "worker 2 hardly received";
    EXPECT_NEAR(static_cast<double>(tx1 - tx0) / secs, 20000.0, 2000.0);
}

}  // namespace
}  // namespace dsw
