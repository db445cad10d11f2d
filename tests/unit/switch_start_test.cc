// Switch::start failing part-way: a worker it launched before the failure must not be left
// running (it would poll ports and tables the caller frees next). Needs two worker lcores, so it
// sits in the cross-worker binary (lcores 1 and 2 on one CPU).
//
//   lcore 1: Switch worker, launched first ── must be back in WAIT when start() returns
//   lcore 2: busy with a stand-in task ──────── the Switch's launch there fails (EBUSY)
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "dpdk_switch/control/switch.h"

namespace dsw {
namespace {

int hold_lcore(void *arg) {
    auto &release = *static_cast<std::atomic<bool> *>(arg);
    while (!release.load(std::memory_order_acquire)) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return 0;
}

TEST(SwitchStart, AFailedLaunchStopsTheWorkersAlreadyLaunched) {
    Config cfg;
    PortConfig pc;
    pc.name = "p0";
    pc.type = PortType::dpdk;
    pc.lcore = 1;
    pc.devargs = "net_null_start0";
    cfg.ports.push_back(pc);
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    ASSERT_EQ(sw.value()->worker_lcores(), (std::vector<unsigned>{1, 2}));

    std::atomic<bool> release{false};
    ASSERT_EQ(rte_eal_remote_launch(hold_lcore, &release, 2), 0);
    const Status st = sw.value()->start();
    const rte_lcore_state_t first = rte_eal_get_lcore_state(1);
    release.store(true, std::memory_order_release);
    EXPECT_EQ(rte_eal_wait_lcore(2), 0);

    ASSERT_FALSE(st.ok()) << "lcore 2 was busy: its launch cannot succeed";
    EXPECT_EQ(st.error().message, "cannot launch worker on lcore 2: Device or resource busy");
    EXPECT_EQ(first, WAIT) << "the worker launched on lcore 1 was left running";
    if (rte_eal_get_lcore_state(1) != WAIT) {
        // Nothing can stop it any more: keep what it polls alive rather than free it under it.
        (void)sw.value().release();
        GTEST_FAIL() << "lcore 1 still runs the switch's worker";
    }
}

}  // namespace
}  // namespace dsw
