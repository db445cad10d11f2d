// Sizes fixed at compile time, shared by the tables, the data plane and the control plane.
#pragma once

namespace dsw {

// Switch ports at once: per-lcore counters, views and per-port table counts are arrays of it.
inline constexpr unsigned kMaxPorts = 64;

// Frames one RX call takes and classify decides at once: the per-burst arrays on the worker's
// stack are of it, and the config's switch.burst may not exceed it.
inline constexpr unsigned kMaxBurst = 32;

// Longest a worker may hold a TX batch (switch.tx_flush_us, `set tx flush`): 10 ms. A hold is
// latency added to a frame at every switch it crosses, so a large one is a mistake, not a tuning.
inline constexpr unsigned kMaxTxFlushUs = 10000;

}  // namespace dsw
