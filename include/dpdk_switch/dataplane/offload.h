// The software fallback for an egress port that cannot take a frame's offloads: the TCP/UDP
// (and IPv4 header) checksum completed, a TSO/USO frame split into frames that fit the port.
// The worker calls it at staging (TxStage::push_offloaded) for the frames of ports that may
// carry offload requests (kCapRxOffloads), with the egress port's caps.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/ports/offload_caps.h"

namespace dsw {

// The pools segmentation draws from: one header mbuf per segment from direct_pool (its data
// room holds the headers), payload references from indirect_pool (no data room needed). mtu is
// the egress port's: each segment's IP packet fits it.
struct GsoContext {
    rte_mempool *direct_pool;
    rte_mempool *indirect_pool;
    uint16_t mtu;
};

// Makes `m` fit a port with `port_caps`. Returns how many frames to send, written to out:
// m itself when the port takes its offloads (or it asks for none), m with its checksums
// completed, or the segments (m's own reference then released: they hold the payload).
// Returns 0 for a drop: `drop` says why, and m is still the caller's to free and count.
// Headers are written in place only when m alone owns them (a direct mbuf, refcnt 1); a frame
// shared by a flood or a clone gets a private copy of its headers, the payload still shared.
// Multi-segment frames are handled as they are, never linearized: the L2-L4 headers must sit
// in the first segment (what vnet_to_mbuf and rte_gso both need), the payload anywhere.
uint16_t prepare_for_tx(rte_mbuf *m, uint8_t port_caps, const GsoContext &gso, rte_mbuf **out,
                        uint16_t max_out, OffloadCounters &counters, DropReason &drop) noexcept;

}  // namespace dsw
