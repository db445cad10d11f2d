// Per-lcore counters. Each LcoreCounters has exactly one writer (its worker) and is summed by
// the control plane when read, so the hot path does plain load+store (no lock, no RMW) and the
// reader may lag by a burst. Cache-line alignment keeps workers from sharing lines.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_common.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dataplane/switch_counter_list.h"
#include "dpdk_switch/limits.h"

namespace dsw {

// A counter with one writer: relaxed load + store compiles to a plain add, and a concurrent
// reader never sees a torn value.
class Counter {
public:
    void add(uint64_t n) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void inc() noexcept { add(1); }
    uint64_t get() const noexcept { return v_.load(std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> v_{0};
};

// What the worker did in software for an egress port that could not take a frame's offloads
// (dataplane/offload.h), counted on that port.
struct OffloadCounters {
    Counter csum_completed;   // frames whose checksum was completed in software
    Counter gso_segmented;    // frames split in software (not the segments they made)
};

struct alignas(RTE_CACHE_LINE_SIZE) PortCounters {
    Counter rx_packets, rx_bytes, tx_packets, tx_bytes;
    Counter drops[kDropReasons];
    OffloadCounters offload;
};

// One Counter per entry of DSW_SWITCH_COUNTERS, by its name (c.learned, c.arp_moves, ...).
struct alignas(RTE_CACHE_LINE_SIZE) SwitchCounters {
#define DSW_X(name, group) Counter name;
    DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
};

struct alignas(RTE_CACHE_LINE_SIZE) LcoreCounters {
    PortCounters port[kMaxPorts];
    SwitchCounters sw;
    Counter busy_cycles, idle_cycles, polls, packets;  // packets: frames received by this worker
    // Calls of rte_eth_tx_burst and the frames they were given: frames per send, which TX
    // holding (switch.tx_flush_us) raises.
    Counter tx_bursts, tx_offered;
    // Frames staged for a port that was deleted meanwhile (DropReason::port_gone): the switch's,
    // not port[index]'s, since a new port may have that index already, and its stats would show
    // another port's loss (`show switch stats` counts them).
    Counter port_gone;
};

}  // namespace dsw
