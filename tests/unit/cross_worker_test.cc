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

}  // namespace
}  // namespace dsw
