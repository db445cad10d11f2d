// The storm-control rig shared by the single- and the two-worker tests: a switch whose port
// "src" replays one broadcast forever (net_pcap infinite_rx, one pcap per queue) under a
// broadcast limit, into a net_null sink; and the rate the sink gets.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "dpdk_switch/control/switch.h"
#include "frames.h"
#include "pcap_files.h"
#include "switch_fixture.h"

namespace dsw::test {

struct StormRig {
    std::filesystem::path dir;
    std::unique_ptr<Switch> sw;

    // `tag` keeps the vdev names apart between tests of one process.
    StormRig(const std::string &tag, unsigned queues, unsigned broadcast_pps) {
        dir = std::filesystem::temp_directory_path() / ("dsw_storm_" + tag + "_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir);
        const std::string pcap = (dir / "bcast.pcap").string();
        write_pcap(pcap, {eth_frame(kBcast, kA)});
        Config cfg;
        PortConfig src;
        src.name = "src";
        src.type = PortType::dpdk;
        src.queues = queues;
        src.devargs = "net_pcap_" + tag;
        for (unsigned q = 0; q < queues; ++q) src.devargs += ",rx_pcap=" + pcap;
        src.devargs += ",infinite_rx=1";
        src.storm_broadcast_pps = broadcast_pps;
        PortConfig sink;
        sink.name = "sink";
        sink.type = PortType::dpdk;
        sink.devargs = "net_null_" + tag + ",no-rx=1";
        cfg.ports = {src, sink};
        auto made = Switch::create(cfg);
        EXPECT_TRUE(made.ok()) << made.error().message;
        if (!made.ok()) return;
        sw = std::move(made.value());
        EXPECT_TRUE(sw->start().ok());
    }

    // Frames per second the sink got over 2 s, after 300 ms for the limiter's initial burst.
    double sink_rate() {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        const auto t0 = std::chrono::steady_clock::now();
        const uint64_t tx0 = sw->port_totals(1).tx_packets;
        std::this_thread::sleep_for(std::chrono::seconds(2));
        const uint64_t tx1 = sw->port_totals(1).tx_packets;
        const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        return static_cast<double>(tx1 - tx0) / secs;
    }

    ~StormRig() {
        if (sw) {
            sw->stop();
            close_ports_and_check_pool(*sw);   // the replay's preloaded mbufs go back at close
            sw.reset();
        }
        std::filesystem::remove_all(dir);
    }
};

}  // namespace dsw::test
