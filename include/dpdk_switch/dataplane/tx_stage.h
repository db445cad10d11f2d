// TxStage: per-egress-port batches of one worker. Frames are staged one by one and leave in
// bursts: rte_eth_tx_burst when this worker owns the port, else the port's MP/SC ring to its
// owner. What neither takes is freed and counted, never leaked.
// A batch carries the byte count of its frames, summed as they are staged (a whole burst brings
// the sum classify made): summing again at TX, a gather over 32 mbufs, showed in the worker's
// profile (BENCHMARKS.md, "Figures behind code comments").
// Holding (switch.tx_flush_us, as OVS-DPDK's tx-flush-interval): by default every batch leaves at
// the end of the loop that staged it. With a hold, a batch waits until its first frame has waited
// that long or it is full, so that small bursts from several polls leave in one send: fewer
// syscalls on af_packet and af_xdp, at the price of up to that much latency per hop.
// Offloads: frames of a port whose RX may carry offload requests are staged with
// push_offloaded, which completes checksums and splits segments (dataplane/offload.h) for an
// egress port that cannot take them, before the batch: so a batch holds only frames its port
// takes, whichever way it then leaves (owned TX, or the ring to the owner).
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/offload.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dataplane/vxlan_encap.h"

namespace dsw {

class TxStage {
public:
    static constexpr unsigned kBatch = 64;

    // Frames one offloaded frame may become for its port (a 64 KB segment at an MTU of 300):
    // more is a counted drop (offload_no_mbufs).
    static constexpr uint16_t kMaxSegments = 256;

    // `gso_direct`/`gso_indirect`: the pools push_offloaded's headers and payload references
    // come from (GsoContext).
    TxStage(unsigned lcore, LcoreCounters &c, rte_mempool *gso_direct, rte_mempool *gso_indirect)
        : lcore_(lcore), c_(c), gso_direct_(gso_direct), gso_indirect_(gso_indirect) {}

    void set_view(const DataplaneView *v) noexcept { view_ = v; }
    // The loop's time, and how long a batch may be held (0: not at all), in TSC cycles.
    void set_clock(uint64_t now_tsc, uint64_t hold_cycles) noexcept {
        now_ = now_tsc;
        hold_ = hold_cycles;
    }

    void push(uint16_t port, rte_mbuf *m) noexcept {
        Batch &b = batch_[port];
        list(port, b);
        if (b.n == 0) b.due = now_ + hold_;
        b.pkts[b.n++] = m;
        b.bytes += m->pkt_len;
        if (b.n == kBatch) [[unlikely]]
            flush_port(port);
    }

    // n <= kMaxBurst frames for one port, of `bytes` bytes in all (their pkt_len summed).
    void push_burst(uint16_t port, rte_mbuf *const *pkts, uint16_t n, uint64_t bytes) noexcept {
        Batch &b = batch_[port];
        list(port, b);
        if (b.n + n > kBatch) [[unlikely]]
            flush_port(port);
        if (b.n == 0) b.due = now_ + hold_;
        std::memcpy(b.pkts + b.n, pkts, n * sizeof(*pkts));
        b.n = static_cast<uint16_t>(b.n + n);
        b.bytes += bytes;
        if (b.n == kBatch) [[unlikely]]
            flush_port(port);
    }

    // As push, for a frame of a port whose RX may carry offload requests (kCapRxOffloads): what
    // `port` cannot take of them is done here, the frame replaced by its segments in order. A
    // frame that cannot be made right is freed and counted on `port` by its reason.
    void push_offloaded(uint16_t port, rte_mbuf *m) noexcept {
        if (!(m->ol_flags & kTxOffloadRequests)) {
            push(port, m);
            return;
        }
        prepare_and_push(port, m);
    }
    void push_burst_offloaded(uint16_t port, rte_mbuf *const *pkts, uint16_t n) noexcept {
        for (uint16_t i = 0; i < n; ++i) push_offloaded(port, pkts[i]);
    }

    // A frame for the remote VTEP `port` in VLAN `vlan`, untagged (its VLAN is not in its data),
    // that the worker alone owns: checked here and queued for encapsulation, which
    // encap_pending does for the whole queue at the end of the loop (or when it is full) and
    // stages the result on the underlay, with the VTEP's outer headers made once and kept until
    // its MAC, the VNI or the view changes. (Staged for the VTEP first and encapsulated at flush,
    // each frame was staged twice and looked at again for its VLAN; encapsulated here frame by
    // frame, with its counters and its staging per frame, it cost more: BENCHMARKS.md,
    // "2026-12-06 late evening" and "2026-12-07 encapsulation per loop".) What this does not take whole goes
    // to the VTEP's batch with its VLAN in the mbuf, as before, where flush_vtep encapsulates it
    // or counts why not: an offload request, a shared frame, no headroom, a VTEP gone, an
    // unresolved VTEP, an unmapped VLAN, a frame too long; and every frame while that batch holds
    // some, so that a flow's frames keep their order (the queue is encapsulated before any batch
    // leaves).
    void push_vtep(uint16_t port, rte_mbuf *m, uint16_t vlan) noexcept {
        if (!vtep_ready(port, vlan) || !vtep_frame_ok(m)) [[unlikely]] {
            push_vtep_batch(port, m, vlan);
            return;
        }
        queue_vtep(port, m);
    }

    // push_vtep for each of n <= kMaxBurst untagged frames, frame i for port out[i] in VLAN
    // vlan[i], when every out[i] is a remote VTEP's port that carries vlan[i] (what the worker's
    // per-frame path would send each to push_vtep): true, and each frame taken. Else false and
    // none touched. Once per burst, not per frame: the ports' checks and each VTEP's outer
    // headers (a burst to several VTEPs left the worker's one-egress path).
    bool push_vteps(rte_mbuf *const *pkts, uint16_t n, const uint16_t *out, const uint16_t *vlan) noexcept;

    // End of a loop: sends every batch, or with a hold those that are due.
    void flush() noexcept {
        encap_pending();
        if (hold_ == 0) [[likely]]
            flush_all();
        else
            flush_due();
    }
    // A new view `v` (the worker's, from this loop on): every batch leaves now, checked against
    // it (a held frame must not wait for a port that is going away, nor outlive it). What was
    // staged under generation `staged` for an index whose port came since (PortSlot::since)
    // was for a port deleted meanwhile, whose index a new one took before this worker saw the
    // view without it: dropped as port_gone, never sent to the new port.
    void change_view(const DataplaneView *v, uint64_t staged) noexcept;
    // Sends every batch, held or not: before the worker sleeps, and at a view change.
    void flush_all() noexcept {
        encap_pending();
        for (unsigned i = 0; i < ndirty_; ++i) {
            batch_[dirty_[i]].listed = false;
            flush_port(dirty_[i]);
        }
        ndirty_ = 0;
    }

    // Sends what the port's hand-off ring holds; the owner calls it once per loop.
    void drain_ring(uint16_t port) noexcept;

private:
    struct Batch {
        uint16_t n = 0;
        bool listed = false;   // in dirty_ until the next flush(), even after a full batch left early
        uint64_t bytes = 0;    // pkt_len of pkts[0..n) summed
        uint64_t due = 0;      // with a hold: when the batch must leave (its first frame's time + hold)
        rte_mbuf *pkts[kBatch];
    };
    // Each port at most once in dirty_ between two flush() calls (a batch that filled up and
    // left early stays listed), so dirty_ never holds more than kMaxPorts entries.
    void list(uint16_t port, Batch &b) noexcept {
        if (!b.listed) {
            b.listed = true;
            dirty_[ndirty_++] = static_cast<uint8_t>(port);
        }
    }
    void flush_port(uint16_t port) noexcept;
    // A remote VTEP's batch (vxlan_tx.cc): each frame encapsulated and staged for the underlay.
    void flush_vtep(uint16_t port, rte_mbuf **pkts, uint16_t n) noexcept;
    void stage_encapsulated(uint16_t port, rte_mbuf *m, bool tagged, const VxlanOuter &outer) noexcept;
    // push_vtep's way for what it does not take: the VTEP's batch, the VLAN in the mbuf.
    void push_vtep_batch(uint16_t port, rte_mbuf *m, uint16_t vlan) noexcept {
        m->vlan_tci = vlan;
        m->ol_flags |= RTE_MBUF_F_TX_VLAN;
        push(port, m);
    }
    // Whether push_vtep may queue frames of VLAN `vlan` for `port`: its outer headers made (or
    // made now) for its resolved MAC and the VLAN's VNI, its slot up, its batch empty (its frames
    // there leave first).
    bool vtep_ready(uint16_t port, uint16_t vlan) noexcept {
        const uint64_t mac = view_->vxlan.neigh->by_port[port].mac.load(std::memory_order_relaxed);
        const uint32_t vni = view_->vxlan.vni_of[vlan & (kVxlanVlans - 1)];
        const VtepOuter &o = vtep_outer_[port];
        if ((o.mac != mac || o.vni != vni || o.generation != view_->generation) && !refresh_outer(port, mac, vni))
            [[unlikely]]
            return false;
        return batch_[port].n == 0 && view_->ports[port].present && !view_->ports[port].down;
    }
    // Whether encap_pending can encapsulate `m` in place: the worker's alone, no offload
    // request, the outer headers' room, the MACs and ethertype in its first segment, not too
    // long for the underlay.
    // (push_vteps makes the same tests for a whole burst at once: a change here goes there too.)
    static constexpr uint64_t kVtepSlowFlags = kVxlanInnerOffloads | RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
    bool vtep_frame_ok(const rte_mbuf *m) const noexcept {
        return !(m->ol_flags & kVtepSlowFlags) &&
               rte_mbuf_refcnt_read(m) == 1 && rte_pktmbuf_headroom(m) >= kVxlanOuterLen &&
               m->data_len >= RTE_ETHER_HDR_LEN &&
               m->pkt_len + (kVxlanOuterLen - RTE_ETHER_HDR_LEN) <= view_->vxlan.max_ip_len;
    }
    void queue_vtep(uint16_t port, rte_mbuf *m) noexcept {
        rte_prefetch0_write(rte_pktmbuf_mtod(m, uint8_t *) - kVxlanOuterLen);   // the line encap_pending writes
        pending_[npending_] = m;
        pending_port_[npending_] = static_cast<uint8_t>(port);
        pending_ports_ |= uint64_t{1} << port;
        if (++npending_ == kBatch) [[unlikely]]
            encap_pending();
    }
    // push_vtep's queue: each frame encapsulated and staged on the underlay (vxlan_tx.cc).
    void encap_pending() noexcept {
        if (npending_ != 0) encap_pending_now();
    }
    void encap_pending_now() noexcept;
    // Makes the VTEP's outer headers for `mac` (its neighbour word) and `vni`; false when the
    // VTEP is not resolved or the VLAN not mapped (flush_vtep counts those frames).
    bool refresh_outer(uint16_t port, uint64_t mac, uint32_t vni) noexcept;
    void flush_due() noexcept;
    void prepare_and_push(uint16_t port, rte_mbuf *m) noexcept;
    void send_owned(uint16_t port, const PortSlot &slot, uint16_t queue, rte_mbuf **pkts, uint16_t n,
                    uint64_t bytes) noexcept;

    unsigned lcore_;
    LcoreCounters &c_;
    rte_mempool *gso_direct_, *gso_indirect_;
    const DataplaneView *view_ = nullptr;
    uint64_t now_ = 0, hold_ = 0;
    Batch batch_[kMaxPorts];
    uint8_t dirty_[kMaxPorts];
    unsigned ndirty_ = 0;
    // Checksums completed and frames segmented before encapsulation (the underlay is given none
    // of the inner frame's offloads): not shown yet.
    OffloadCounters vxlan_offload_;
    // push_vtep's outer headers per VTEP port, for the neighbour word, VNI and view they were
    // made for (a new view may change our address or the VTEP's).
    // The headers first, on a line of their own: encap_pending_now's two 32-byte loads of
    // them do not cross a cache line (at 72 bytes a VTEP, most VTEPs' did).
    struct alignas(64) VtepOuter {
        VxlanOuter outer;
        uint32_t vni = 0;
        uint64_t mac = 0;
        uint64_t generation = 0;
    };
    VtepOuter vtep_outer_[kMaxPorts];
    // push_vtep's frames, and each one's VTEP port, in order, until encap_pending.
    rte_mbuf *pending_[kBatch];
    uint8_t pending_port_[kBatch];
    uint16_t npending_ = 0;
    uint64_t pending_ports_ = 0;   // the ports of pending_port_[0..npending_), one bit each
    // encap_pending's per-VTEP sums, (frames << 32) + inner bytes; zero between calls.
    uint64_t vtep_sum_[kMaxPorts] = {};
};

}  // namespace dsw
