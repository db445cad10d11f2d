// What every Google Benchmark of bench/ times and reports: TSC cycles per packet, with the bursts
// the CPU was taken from counted (TimedCycles), and the counters the suite's summary reads.
#pragma once

#include <cstdint>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>

namespace dsw::bench {

inline constexpr unsigned kBurst = 32;

// The timed cycles, and the bursts among them that the CPU was taken from: on a shared host
// another tenant's work can stop this vCPU for far longer than a 32-frame burst takes, even at
// 1M MACs. Counted, not dropped: a run that lost much of its time
// this way says so (gaps_per_ms, gap_pct), and scripts/bench.sh repeats it.
struct TimedCycles {
    uint64_t cycles = 0, gaps = 0, gap_cycles = 0;
    uint64_t gap_limit = rte_get_tsc_hz() / 50000;   // 20 us, as bench/host_probe.cc
    void add(uint64_t dt) noexcept {
        cycles += dt;
        if (dt > gap_limit) [[unlikely]] {
            ++gaps;
            gap_cycles += dt;
        }
    }
};

inline void report(benchmark::State &state, uint64_t packets, const TimedCycles &t, unsigned macs) {
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["cycles_per_packet"] = static_cast<double>(t.cycles) / static_cast<double>(packets);
    state.counters["macs"] = macs;
    const double ms = static_cast<double>(t.cycles) * 1e3 / static_cast<double>(rte_get_tsc_hz());
    state.counters["gaps_per_ms"] = ms > 0 ? static_cast<double>(t.gaps) / ms : 0;
    state.counters["gap_pct"] = t.cycles ? 100.0 * static_cast<double>(t.gap_cycles) / static_cast<double>(t.cycles) : 0;
}

}  // namespace dsw::bench
