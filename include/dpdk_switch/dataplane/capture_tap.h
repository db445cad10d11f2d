// CaptureTap: where a worker puts copies of a captured port's frames (`capture` CLI command).
//
// Who writes: the control plane creates it and points a port's view slot at it; the worker(s)
// that receive on / transmit to that port copy frames into pcapng-ready mbufs
// (rte_pcapng_copy) and enqueue them on `ring` (MP). Who reads: the control plane drains the
// ring into the file. A tap is freed only after a view without it was published and every
// worker passed a quiescent state. A copy that finds the pool or the ring full is counted in
// `dropped`, never waited for: capture must not slow the switch down.
#pragma once

#include <atomic>
#include <cstdint>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dpdk_switch/limits.h"

namespace dsw {

struct CaptureTap {
    enum : uint8_t { kRx = 1, kTx = 2 };
    rte_ring *ring = nullptr;
    rte_mempool *pool = nullptr;
    uint8_t dirs = kRx | kTx;
    // Whole frames, 64 KB GSO segments from a veth port too (tcpdump's default snaplen): a copy
    // longer than one mbuf of the pool (kCopyRoom) is a chain, which rte_pcapng writes whole.
    uint32_t snaplen = 262144;
    // The frame a copy mbuf holds unchained: the largest the switch carries as one frame
    // (parse.h's kMaxFrameLen), and a data room that fits 16 bits.
    static constexpr uint32_t kCopyRoom = kMaxMtu + kFrameOverhead;
    std::atomic<uint64_t> dropped{0};   // RMW only on a failed copy, which is not the fast path
};

// Copies `n` frames of ethdev `port_id` seen in direction `dir` (kRx or kTx) into the tap.
void capture_burst(CaptureTap &tap, uint16_t port_id, rte_mbuf *const *pkts, uint16_t n, uint8_t dir) noexcept;

}  // namespace dsw
