// Storm control: a rate limiter per (ingress port, FloodKind), shared by every worker that polls
// a queue of the port, so that a port's limit holds however its queues are spread over workers.
//
// GCRA, the "virtual scheduling" form of a token bucket: one atomic word per limiter, the
// theoretical arrival time (TAT) of the next conforming frame. A frame conforms while the TAT
// is less than `tau` ahead of now, and then pushes it one interval further. One CAS on a flood
// frame of a limited port; nothing at all for unicast or for ports without a limit. Times are
// in 1/16 TSC cycles so that the interval of a high rate is not rounded to a whole cycle.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

#include <rte_common.h>

namespace dsw {

// A port's limit for one FloodKind, worked out by the control plane when it builds the view.
struct StormRate {
    static constexpr unsigned kFrac = 4;   // TSC cycles << kFrac
    uint64_t interval = 0;                 // between conforming frames; 0: no limit
    uint64_t tau = 0;                      // the burst allowed at once: 100 ms of the rate, at least `min_burst`

    static StormRate of(uint64_t pps, uint64_t tsc_hz, uint64_t min_burst) noexcept {
        StormRate r;
        if (pps == 0) return r;
        r.interval = std::max<uint64_t>((tsc_hz << kFrac) / pps, 1);
        r.tau = std::max<uint64_t>(pps / 10, min_burst) * r.interval;
        return r;
    }
};

class StormLimiter {
public:
    bool allow(uint64_t now_tsc, const StormRate &r) noexcept {
        const uint64_t now = now_tsc << StormRate::kFrac;
        uint64_t tat = tat_.load(std::memory_order_relaxed);
        for (;;) {
            const uint64_t base = std::max(tat, now);
            if (base - now >= r.tau) return false;
            if (tat_.compare_exchange_weak(tat, base + r.interval, std::memory_order_relaxed)) return true;
        }
    }
    void reset() noexcept { tat_.store(0, std::memory_order_relaxed); }

private:
    std::atomic<uint64_t> tat_{0};
};

// The three limiters of one port, on a line of their own (workers of other ports never touch it).
struct alignas(RTE_CACHE_LINE_SIZE) PortStorm {
    StormLimiter kind[3];   // by FloodKind
    void reset() noexcept {
        for (auto &k : kind) k.reset();
    }
};

}  // namespace dsw
