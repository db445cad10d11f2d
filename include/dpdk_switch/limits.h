// Sizes fixed at compile time, shared by the tables, the data plane and the control plane.
#pragma once

namespace dsw {

// Switch ports at once: per-lcore counters, views and per-port table counts are arrays of it.
inline constexpr unsigned kMaxPorts = 64;

}  // namespace dsw
