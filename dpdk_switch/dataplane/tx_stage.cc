#include "dpdk_switch/dataplane/tx_stage.h"

#include <rte_ethdev.h>
#include <rte_ring.h>

#include "dpdk_switch/dataplane/frame_limit.h"
#include "dpdk_switch/dataplane/offload.h"

namespace dsw {

void TxStage::send_owned(uint16_t port, const PortSlot &slot, uint16_t queue, rte_mbuf **pkts, uint16_t n,
                         uint64_t bytes) noexcept {
    const uint16_t port_id = slot.port_id;
    if (slot.max_frame != 0) {
        uint64_t dropped_bytes;
        n = drop_oversize(pkts, n, slot.max_frame, c_.port[port], dropped_bytes);
        bytes -= dropped_bytes;
        if (n == 0) [[unlikely]]
            return;
    }
    if (slot.capture != nullptr && (slot.capture->dirs & CaptureTap::kTx)) [[unlikely]]
        capture_burst(*slot.capture, port_id, pkts, n, CaptureTap::kTx);
    // The unsent frames are still ours to read; a sent mbuf may be freed (and reused by another
    // lcore) as soon as rte_eth_tx_burst returns, which is why the bytes were summed before.
    uint16_t refused = 0;
    const uint16_t sent = slot.io == nullptr ? rte_eth_tx_burst(port_id, queue, pkts, n)
                                             : slot.io->tx(slot.io->ctx, queue, pkts, n, refused);
    c_.tx_bursts.inc();
    c_.tx_offered.add(n);
    PortCounters &pc = c_.port[port];
    if (sent < n) [[unlikely]] {
        for (uint16_t i = sent; i < n; ++i) bytes -= pkts[i]->pkt_len;
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
        if (n - sent > refused) pc.drops[static_cast<unsigned>(DropReason::tx_full)].add(n - sent - refused);
        if (refused != 0) pc.drops[static_cast<unsigned>(DropReason::tx_refused)].add(refused);
    }
    pc.tx_packets.add(sent);
    pc.tx_bytes.add(bytes);
}

void TxStage::flush_port(uint16_t port) noexcept {
    Batch &b = batch_[port];
    const uint16_t n = b.n;
    const uint64_t bytes = b.bytes;
    b.n = 0;
    b.bytes = 0;
    if (n == 0) return;
    const PortSlot &slot = view_->ports[port];
    if (!slot.present || slot.down) [[unlikely]] {
        rte_pktmbuf_free_bulk(b.pkts, n);
        // A port gone is counted on the switch: a port added since may have the index
        // already (LcoreCounters::port_gone).
        if (slot.present)
            c_.port[port].drops[static_cast<unsigned>(DropReason::port_down)].add(n);
        else
            c_.port_gone.add(n);
        return;
    }
    if (slot.vtep) [[unlikely]] {
        flush_vtep(port, b.pkts, n);
        return;
    }
    if (const int8_t q = slot.txq[lcore_]; q >= 0) {
        send_owned(port, slot, static_cast<uint16_t>(q), b.pkts, n, bytes);
        return;
    }
    const unsigned queued = rte_ring_mp_enqueue_burst(slot.ring, reinterpret_cast<void **>(b.pkts), n, nullptr);
    if (queued < n) [[unlikely]] {
        rte_pktmbuf_free_bulk(b.pkts + queued, n - queued);
        c_.port[port].drops[static_cast<unsigned>(DropReason::ring_full)].add(n - queued);
    }
}

void TxStage::change_view(const DataplaneView *v, uint64_t staged) noexcept {
    view_ = v;
    for (unsigned i = 0; i < ndirty_; ++i) {
        const uint8_t port = dirty_[i];
        Batch &b = batch_[port];
        if (b.n == 0 || v->ports[port].since <= staged) [[likely]]
            continue;
        rte_pktmbuf_free_bulk(b.pkts, b.n);
        c_.port_gone.add(b.n);   // not on port[port]: that is the new port's
        b.n = 0;
        b.bytes = 0;
    }
    flush_all();
}

void TxStage::prepare_and_push(uint16_t port, rte_mbuf *m) noexcept {
    const PortSlot &slot = view_->ports[port];
    PortCounters &pc = c_.port[port];
    rte_mbuf *out[kMaxSegments];
    DropReason why{};
    const GsoContext gso{gso_direct_, gso_indirect_, slot.gso_mtu};
    const uint16_t n = prepare_for_tx(m, slot.offload_caps, gso, out, kMaxSegments, pc.offload, why);
    if (n == 0) [[unlikely]] {
        pc.drops[static_cast<unsigned>(why)].inc();
        rte_pktmbuf_free(m);
        return;
    }
    // A port that sends a frame's first mbuf only gets each one in one piece: its payload
    // copied behind its headers, into the header mbuf's room (the gso_direct pool's mbufs hold a
    // frame of Ethernet's MTU). A frame too long for that is a counted drop.
    const bool linear = slot.offload_caps & kCapTxLinear;
    for (uint16_t i = 0; i < n; ++i) {
        if (linear && out[i]->nb_segs > 1 && rte_pktmbuf_linearize(out[i]) != 0) [[unlikely]] {
            pc.drops[static_cast<unsigned>(DropReason::offload_no_mbufs)].inc();
            rte_pktmbuf_free(out[i]);
            continue;
        }
        push(port, out[i]);
    }
}

void TxStage::flush_due() noexcept {
    unsigned kept = 0;
    for (unsigned i = 0; i < ndirty_; ++i) {
        const uint8_t port = dirty_[i];
        Batch &b = batch_[port];
        if (b.n != 0 && now_ < b.due) {   // held: stays listed
            dirty_[kept++] = port;
            continue;
        }
        b.listed = false;
        flush_port(port);
    }
    ndirty_ = kept;
}

void TxStage::drain_ring(uint16_t port) noexcept {
    const PortSlot &slot = view_->ports[port];
    rte_mbuf *pkts[kBatch];
    const unsigned n = rte_ring_sc_dequeue_burst(slot.ring, reinterpret_cast<void **>(pkts), kBatch, nullptr);
    if (n == 0) return;
    // Another worker staged these: their bytes did not come along through the ring.
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; ++i) bytes += pkts[i]->pkt_len;
    send_owned(port, slot, static_cast<uint16_t>(slot.txq[lcore_]), pkts, static_cast<uint16_t>(n), bytes);
}

}  // namespace dsw
