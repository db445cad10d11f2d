// Storm control on a whole switch: a net_pcap port replays broadcasts as fast as it can; the
// other port must receive them at the configured rate (within 10%), the rest counted as drops.
//
//   p0: net_pcap, infinite broadcast replay ──> worker (storm: broadcast 20000 pps) ──> p1: net_null sink
#include "switch_fixture.h"

namespace dsw {
namespace {

TEST(StormControl, BroadcastIsHeldToTheConfiguredRate) {
    const auto dir = std::filesystem::temp_directory_path() / ("dsw_storm_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string pcap = (dir / "bcast.pcap").string();
    test::write_pcap(pcap, {test::eth_frame(test::kBcast, test::kA)});
    Config cfg;
    PortConfig src;
    src.name = "src";
    src.type = PortType::dpdk;
    src.devargs = "net_pcap_storm,rx_pcap=" + pcap + ",infinite_rx=1";
    src.storm_broadcast_pps = 20000;
    PortConfig sink;
    sink.name = "sink";
    sink.type = PortType::dpdk;
    sink.devargs = "net_null_storm,no-rx=1";
    cfg.ports = {src, sink};
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    ASSERT_TRUE(sw.value()->start().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(300));   // past the bucket's initial burst
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t tx0 = sw.value()->port_totals(1).tx_packets;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    const uint64_t tx1 = sw.value()->port_totals(1).tx_packets;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const PortTotals in = sw.value()->port_totals(0);
    sw.value()->stop();
    sw.value().reset();
    std::filesystem::remove_all(dir);
    const double rate = static_cast<double>(tx1 - tx0) / secs;
    EXPECT_NEAR(rate, 20000.0, 2000.0);
    EXPECT_GT(in.drops[static_cast<unsigned>(DropReason::storm_broadcast)], in.rx_packets / 2)
        << "most of the replay is over the limit and counted";
}

}  // namespace
}  // namespace dsw
