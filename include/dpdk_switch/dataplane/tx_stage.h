// TxStage: per-egress-port batches of one worker. Frames are staged one by one and leave in
// bursts: rte_eth_tx_burst when this worker owns the port, else the port's MP/SC ring to its
// owner. What neither takes is freed and counted, never leaked.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/view.h"

namespace dsw {

class TxStage {
public:
    static constexpr unsigned kBatch = 64;

    TxStage(unsigned lcore, LcoreCounters &c) : lcore_(lcore), c_(c) {}

    void set_view(const DataplaneView *v) noexcept { view_ = v; }

    void push(uint16_t port, rte_mbuf *m) noexcept {
        Batch &b = batch_[port];
        if (b.n == 0) dirty_[ndirty_++] = static_cast<uint8_t>(port);
        b.pkts[b.n++] = m;
        if (b.n == kBatch) [[unlikely]]
            flush_port(port);
    }

    void flush() noexcept {
        for (unsigned i = 0; i < ndirty_; ++i) flush_port(dirty_[i]);
        ndirty_ = 0;
    }

    // Sends what the port's hand-off ring holds; the owner calls it once per loop.
    void drain_ring(uint16_t port) noexcept;

private:
    struct Batch {
        uint16_t n = 0;
        rte_mbuf *pkts[kBatch];
    };
    void flush_port(uint16_t port) noexcept;
    void send_owned(uint16_t port, const PortSlot &slot, uint16_t queue, rte_mbuf **pkts, uint16_t n) noexcept;

    unsigned lcore_;
    LcoreCounters &c_;
    const DataplaneView *view_ = nullptr;
    Batch batch_[kMaxPorts];
    uint8_t dirty_[kMaxPorts];
    unsigned ndirty_ = 0;
};

}  // namespace dsw
