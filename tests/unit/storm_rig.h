// The storm-control rig shared by the single- and the two-worker tests: a switch whose port
// "src" replays one broadcast forever (net_pcap infinite_rx, one pcap per queue) under a
// broadcast limit, into a net_null sink. It runs until a count is reached (never for a set
// time), and what it reports is judged against the time it really ran, read from the TSC
// before the switch started and after it stopped: whatever the load, the limiter could not
// have let more through in that time.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <unistd.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dataplane/storm.h"
#include "dpdk_switch/limits.h"
#include "frames.h"
#include "pcap_files.h"
#include "switch_fixture.h"

namespace dsw::test {

struct StormRig {
    std::filesystem::path dir;
    std::unique_ptr<Switch> sw;
    StormRate rate;
    uint64_t start_tsc = 0, stop_tsc = 0;
    PortTotals src, sink;               // after the stop
    std::vector<uint64_t> per_worker;   // frames each worker received

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
        rate = StormRate::of(broadcast_pps, rte_get_tsc_hz(), kMaxBurst);   // what the switch works out
        start_tsc = rte_rdtsc();
        EXPECT_TRUE(sw->start().ok());
    }

    // Lets the switch run until `done()` (checked every ms), then stops it and reads the
    // counters. False if `done()` did not come within 60 s: a hang guard, not a measure.
    bool run_until(const std::function<bool()> &done) {
        bool reached = false;
        for (int i = 0; i < 60000 && !(reached = done()); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        sw->stop();
        stop_tsc = rte_rdtsc();
        src = sw->port_totals(0);
        sink = sw->port_totals(1);
        for (const auto &l : sw->lcore_totals()) per_worker.push_back(l.packets);
        return reached;
    }

    // The most frames a GCRA limiter lets through in `elapsed` TSC cycles: each conforming
    // frame pushes the TAT one interval on, and a frame conforms only while the TAT is less
    // than tau ahead of now; so the n-th frame (from 0) came after n intervals - tau. Hence
    // n - 1 < (elapsed + tau) / interval.
    uint64_t most_allowed() const {
        return (((stop_tsc - start_tsc) << StormRate::kFrac) + rate.tau) / rate.interval + 1;
    }
    // The least it lets through before it refuses one: the whole burst (tau of TAT must build up).
    uint64_t burst() const { return rate.tau / rate.interval; }
    uint64_t storm_drops() const { return src.drops[static_cast<unsigned>(DropReason::storm_broadcast)]; }
    uint64_t all_drops() const {
        uint64_t n = 0;
        for (uint64_t d : src.drops) n += d;
        for (uint64_t d : sink.drops) n += d;
        return n;
    }

    ~StormRig() {
        if (sw) {
            sw->stop();   // (run_until did, unless a test ended before it)
            close_ports_and_check_pool(*sw);   // the replay's preloaded mbufs go back at close
            sw.reset();
        }
        std::filesystem::remove_all(dir);
    }
};

}  // namespace dsw::test
