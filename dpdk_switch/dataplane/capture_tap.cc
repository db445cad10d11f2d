#include "dpdk_switch/dataplane/capture_tap.h"

#include <rte_cycles.h>
#include <rte_pcapng.h>

namespace dsw {

void capture_burst(CaptureTap &tap, uint16_t port_id, rte_mbuf *const *pkts, uint16_t n, uint8_t dir) noexcept {
    rte_mbuf *copies[64];
    unsigned nc = 0;
    const uint64_t ts = rte_get_tsc_cycles();   // rte_pcapng turns TSC into wall-clock time on write
    const auto d = dir == CaptureTap::kRx ? RTE_PCAPNG_DIRECTION_IN : RTE_PCAPNG_DIRECTION_OUT;
    for (uint16_t i = 0; i < n && nc < 64; ++i) {
        rte_mbuf *c = rte_pcapng_copy(port_id, 0, pkts[i], tap.pool, tap.snaplen, ts, d);
        if (c != nullptr) copies[nc++] = c;
    }
    const unsigned queued = nc ? rte_ring_mp_enqueue_burst(tap.ring, reinterpret_cast<void **>(copies), nc, nullptr) : 0;
    if (queued < nc) rte_pktmbuf_free_bulk(copies + queued, nc - queued);
    if (queued < n) tap.dropped.fetch_add(n - queued, std::memory_order_relaxed);
}

}  // namespace dsw
