// Sizes fixed at compile time, shared by the tables, the data plane and the control plane.
#pragma once

namespace dsw {

// Switch ports at once: per-lcore counters, views and per-port table counts are arrays of it.
inline constexpr unsigned kMaxPorts = 64;

// Frames one RX call takes and classify decides at once: the per-burst arrays on the worker's
// stack are of it, and the config's switch.burst may not exceed it.
inline constexpr unsigned kMaxBurst = 32;

}  // namespace dsw
