// A port's frame limit (PortSlot::max_frame), enforced on its RX and its TX bursts alike.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dataplane/parse.h"

namespace dsw {

// Takes the frames longer than `max_frame` out of pkts[0..n) (the rest kept in order), frees
// them and counts them `oversize` on `pc`: on RX, what the kernel ring cut to its frame's room;
// on TX, what the PMD would drop unseen (net_af_packet counts it in oerrors only), stop its
// burst at (net_tap) or the kernel refuse. Returns how many are left; `dropped_bytes` gets the
// bytes of those taken out. Rare: each is freed on its own. A TSO/USO segment is longer by
// design: on RX its port said so (kCapRxOffloads), on TX the port takes segments (the worker
// split it otherwise), so it stays.
inline uint16_t drop_oversize(rte_mbuf **pkts, uint16_t n, uint32_t max_frame, PortCounters &pc,
                              uint64_t &dropped_bytes) noexcept {
    uint16_t kept = 0;
    dropped_bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf *m = pkts[i];
        // A GSO frame is as long as the segments it becomes (wire_frame_len).
        if (m->pkt_len > max_frame && wire_frame_len(m) > max_frame) [[unlikely]] {
            dropped_bytes += m->pkt_len;
            rte_pktmbuf_free(m);
        } else {
            pkts[kept++] = m;
        }
    }
    if (kept != n) [[unlikely]]
        pc.drops[static_cast<unsigned>(DropReason::oversize)].add(n - kept);
    return kept;
}

}  // namespace dsw
