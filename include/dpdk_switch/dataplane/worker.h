// Worker: the run-to-completion loop of one worker lcore. It polls the ports the current
// DataplaneView gives it, switches each burst, drains the hand-off rings of the ports it owns,
// flushes its TX batches and reports a quiescent state, once per loop.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/storm.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_table.h"

struct rte_rcu_qsbr;
struct rte_mempool;

namespace dsw {

// What the control plane shares with every worker. Written by the control plane only:
// `view` (release store of a new immutable view), `stop` and `tx_flush_us`.
struct WorkerShared {
    std::atomic<const DataplaneView *> view{nullptr};
    std::atomic<bool> stop{false};
    MacTable *macs = nullptr;
    ArpTable *arp = nullptr;             // null: ARP proxy off
    rte_rcu_qsbr *rcu = nullptr;
    LcoreCounters *counters = nullptr;   // indexed by lcore id, RTE_MAX_LCORE of them
    PortStorm *storm = nullptr;          // indexed by port, kMaxPorts of them
    // Where the offload fallback's segment headers and payload references come from (GsoContext):
    // pools of their own, so that a burst of 64 KB segments cannot empty the ports' RX pool.
    rte_mempool *gso_direct = nullptr, *gso_indirect = nullptr;
    uint16_t burst = 32;
    unsigned idle_sleep_us = 0;          // 0: busy-poll always
    std::atomic<unsigned> tx_flush_us{0};   // how long a TX batch may be held; 0: sent every loop (`set tx flush`)
};

// rte_eal_remote_launch entry point; `arg` is the WorkerShared.
int worker_main(void *arg);

class Worker;

// One pass of worker_main's loop body on `lcore` (which must be the calling lcore: the worker
// sends on that lcore's TX queues): every port the view gives it polled, its bursts switched,
// its rings drained, its batches flushed. Without the loop around it (no RCU report, no idle
// sleep), so that bench/ can time the real path burst by burst. Returns the frames received.
class WorkerPoll {
public:
    WorkerPoll(WorkerShared &s, unsigned lcore);
    ~WorkerPoll();
    unsigned poll(const DataplaneView &v, uint64_t now_tsc) noexcept;

private:
    std::unique_ptr<Worker> w_;
};

}  // namespace dsw
