// Sizes fixed at compile time, shared by the tables, the data plane and the control plane.
#pragma once

namespace dsw {

// Switch ports at once: per-lcore counters, views and per-port table counts are arrays of it.
inline constexpr unsigned kMaxPorts = 64;

// Frames one RX call takes and classify decides at once: the per-burst arrays on the worker's
// stack are of it, and the config's switch.burst may not exceed it.
inline constexpr unsigned kMaxBurst = 32;

// A port's MTU (its `mtu:` key, or its interface's): IPv4's least, and the largest jumbo MTU
// common NICs take (i40e, ice: 9728-byte frames). A port carries frames of its MTU plus
// kFrameOverhead (Ethernet header and one 802.1Q tag); longer ones are counted `oversize`.
inline constexpr unsigned kMinMtu = 68;
inline constexpr unsigned kMaxMtu = 9702;
inline constexpr unsigned kFrameOverhead = 14 + 4;

// Longest a worker may hold a TX batch (switch.tx_flush_us, `set tx flush`): 10 ms. A hold is
// latency added to a frame at every switch it crosses, so a large one is a mistake, not a tuning.
inline constexpr unsigned kMaxTxFlushUs = 10000;

}  // namespace dsw
