// Test fixture: a whole Switch on real net_pcap ports. Frames are replayed from each port's
// rx_pcap (all delivered in the worker's first poll, ports polled in index order), and what the
// switch sent is read back from its tx_pcap after the ports close.
#pragma once

#include <chrono>
#include <functional>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "frames.h"
#include "pcap_files.h"

namespace dsw::test {

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 0xa);
const uint64_t kB = mac(0x02, 0, 0, 0, 0, 0xb);
const uint64_t kC = mac(0x02, 0, 0, 0, 0, 0xc);
const uint64_t kBcast = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

// Deletes every port of a stopped switch (its hand-off ring emptied, the device closed, so
// that nothing still holds mbufs for it), then expects the pool full again: every mbuf,
// exactly. rte_mempool_avail_count counts the lcore caches in, so none hides there.
inline void close_ports_and_check_pool(Switch &sw) {
    std::vector<std::string> names;
    for (const SwitchPort *sp : sw.ports()) names.push_back(sw.port_name(sp->index));
    for (const auto &n : names) EXPECT_TRUE(sw.del_port(n).ok()) << n;
    rte_mempool *pool = sw.pool();
    EXPECT_EQ(rte_mempool_avail_count(pool), pool->size) << "mbufs leaked: " << pool->size - rte_mempool_avail_count(pool);
}

class SwitchTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("dsw_switch_test_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    std::string file(const std::string &name) const { return (dir_ / name).string(); }
    std::string file(const char *stem, size_t i) const { return file(numbered(stem, i) + ".pcap"); }
    // (Built by append: GCC 12 warns falsely on `"p" + std::to_string(i)`, PR 105329.)
    static std::string numbered(const char *stem, size_t i) {
        std::string s(stem);
        s += std::to_string(i);
        return s;
    }

    // Runs a switch whose port i replays rx[i], until every frame has been received, then stops
    // it (closing the ports flushes their tx_pcap files). Checks the pool is full again.
    // `shape(pc)` may set a port's VLAN membership; `tweak(cfg)` anything else.
    void run(const std::vector<std::vector<Frame>> &rx, const std::vector<std::string> &commands = {},
             const std::vector<StaticMac> &statics = {},
             const std::function<void(size_t, PortConfig &)> &shape = {},
             const std::function<void(Config &)> &tweak = {}) {
        Config cfg;
        cfg.static_macs = statics;
        if (tweak) tweak(cfg);
        cfg.sw.mac_table_size = 1024;
        size_t total = 0;
        for (size_t i = 0; i < rx.size(); ++i) {
            test::write_pcap(file("rx", i), rx[i]);
            PortConfig pc;
            pc.name = numbered("p", i);
            pc.type = PortType::dpdk;
            pc.devargs = numbered("net_pcap_t", i) + ",rx_pcap=" + file("rx", i) + ",tx_pcap=" + file("tx", i);
            if (shape) shape(i, pc);
            cfg.ports.push_back(pc);
            total += rx[i].size();
        }
        auto sw = Switch::create(cfg);
        ASSERT_TRUE(sw.ok()) << sw.error().message;
        if (before_start_) before_start_(*sw.value());
        ASSERT_TRUE(sw.value()->start().ok());
        // Up to 2 s; the worker takes a few ms. Checked every ms: TxHoldTest must stop the
        // switch well within a 10-ms TX hold of the last frame's arrival.
        for (int i = 0; i < 2000; ++i) {
            uint64_t seen = 0;
            for (size_t p = 0; p < rx.size(); ++p) seen += sw.value()->port_totals(static_cast<unsigned>(p)).rx_packets;
            if (seen == total) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        // A worker counts RX before it switches and sends the burst: wait until every worker has
        // begun two more loops, so the turn that received the last frames has finished its TX.
        auto polls = [&] {
            std::vector<uint64_t> v;
            for (const LcoreTotals &t : sw.value()->lcore_totals()) v.push_back(t.polls);
            return v;
        };
        const std::vector<uint64_t> polls_then = polls();
        for (int i = 0; i < 200; ++i) {
            const std::vector<uint64_t> now = polls();
            bool all = true;
            for (size_t k = 0; k < now.size(); ++k) all = all && now[k] >= polls_then[k] + 2;
            if (all) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        for (const auto &c : commands) replies_.push_back(run_command(*sw.value(), c));
        if (before_stop_) before_stop_(*sw.value());
        for (size_t p = 0; p < rx.size(); ++p) totals_.push_back(sw.value()->port_totals(static_cast<unsigned>(p)));
        switch_totals_ = sw.value()->switch_totals();
        sw.value()->stop();
        if (!held_.empty()) {   // what before_start_ took out of the pool goes back
            rte_mempool_generic_put(sw.value()->pool(), held_.data(), static_cast<unsigned>(held_.size()), nullptr);
            held_.clear();
        }
        close_ports_and_check_pool(*sw.value());
        sw.value().reset();
        for (size_t p = 0; p < rx.size(); ++p) tx_.push_back(test::read_pcap(file("tx", p)));
    }

    // Takes mbufs out of the switch's pool, bypassing every lcore cache, until only `left`
    // remain for the worker; run() puts them back after the workers stop. For before_start_.
    void starve_pool(Switch &sw, unsigned left) {
        rte_mempool *pool = sw.pool();
        if (rte_mempool_cache *c = rte_mempool_default_cache(pool, rte_lcore_id())) rte_mempool_cache_flush(c, pool);
        void *obj = nullptr;
        while (rte_mempool_avail_count(pool) > left && rte_mempool_generic_get(pool, &obj, 1, nullptr) == 0)
            held_.push_back(obj);
    }

    std::function<void(Switch &)> before_start_;   // runs between Switch::create and start
    std::function<void(Switch &)> before_stop_;    // runs once the frames are in, before stop
    std::vector<void *> held_;
    std::filesystem::path dir_;
    std::vector<std::vector<Frame>> tx_;
    std::vector<PortTotals> totals_;
    SwitchTotals switch_totals_;
    std::vector<Reply> replies_;
};

}  // namespace dsw::test
