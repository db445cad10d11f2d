#include "dpdk_switch/dataplane/worker.h"

#include <algorithm>
#include <memory>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/dataplane/frame_limit.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/tx_stage.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "worker_impl.h"

namespace dsw {

// A storm drop's reason is storm_broadcast + its FloodKind: the reasons follow FloodKind's order.
static_assert(static_cast<unsigned>(DropReason::storm_broadcast) + kFloodBroadcast ==
              static_cast<unsigned>(DropReason::storm_broadcast));
static_assert(static_cast<unsigned>(DropReason::storm_broadcast) + kFloodMulticast ==
              static_cast<unsigned>(DropReason::storm_multicast));
static_assert(static_cast<unsigned>(DropReason::storm_broadcast) + kFloodUnknownUnicast ==
              static_cast<unsigned>(DropReason::storm_unknown_unicast));

namespace {

// One more reference to each segment of `m` (a chain's segments are freed one by one, each by
// its own count): a flood target's share of the frame. Most frames are one segment.
inline void share(rte_mbuf *m, int16_t more) noexcept {
    if (m->nb_segs == 1) [[likely]]
        rte_mbuf_refcnt_update(m, more);
    else
        rte_pktmbuf_refcnt_update(m, more);
}

}  // namespace

inline void Worker::run() noexcept {
    rte_rcu_qsbr_thread_register(s_.rcu, lcore_);
    rte_rcu_qsbr_thread_online(s_.rcu, lcore_);
    uint64_t last = rte_rdtsc();
    unsigned sleep_us = 0;
    while (!s_.stop.load(std::memory_order_relaxed)) {
        const DataplaneView *v = s_.view.load(std::memory_order_acquire);
        unsigned got = 0;
        if (v != nullptr) [[likely]]
            got = poll_once(*v, last);
        rte_rcu_qsbr_quiescent(s_.rcu, lcore_);
        if (got == 0 && s_.idle_sleep_us != 0) [[unlikely]]
            idle_back_off(sleep_us);
        else
            sleep_us = 0;
        const uint64_t now = rte_rdtsc();
        (got ? c_.busy_cycles : c_.idle_cycles).add(now - last);
        c_.polls.inc();
        last = now;
    }
    // Held frames leave before the worker does (the current view lives until the workers
    // have stopped: only the main lcore publishes views, and it is the one stopping us).
    if (const DataplaneView *v = s_.view.load(std::memory_order_acquire); v != nullptr)
        tx_.change_view(v, view_generation_);
    rte_rcu_qsbr_thread_offline(s_.rcu, lcore_);
    rte_rcu_qsbr_thread_unregister(s_.rcu, lcore_);
}

// An idle worker sleeps 1, 2, 4... us up to idle_sleep_us between empty polls (as OVS
// pmd-sleep-max), offline for RCU so that the control plane never waits on its sleep.
// The first frame resets it: the cost is at most one sleep of latency.
inline void Worker::idle_back_off(unsigned &sleep_us) noexcept {
    sleep_us = sleep_us == 0 ? 1 : std::min(sleep_us * 2, s_.idle_sleep_us);
    rte_rcu_qsbr_thread_offline(s_.rcu, lcore_);
    rte_delay_us_sleep(sleep_us);
    rte_rcu_qsbr_thread_online(s_.rcu, lcore_);
}

// Storm control: the port's limiter is shared with the other workers that poll its queues.
inline bool Worker::storm_allows(const PortSlot &slot, uint16_t port, uint8_t kind) noexcept {
    const StormRate &rate = slot.storm[kind];
    if (rate.interval == 0) [[likely]]
        return true;
    return s_.storm[port].kind[kind].allow(now_tsc_, rate);
}

inline unsigned Worker::poll_once(const DataplaneView &v, uint64_t now_tsc) noexcept {
    now_tsc_ = now_tsc;
    tx_.set_view(&v);
    tx_.set_clock(now_tsc, hold_cycles());
    // Frames held under the previous view leave now, checked against this one: a port
    // removed meanwhile drops them (counted), also when a new port has its index already, and
    // none waits into a later view.
    if (v.generation != view_generation_) [[unlikely]] {
        tx_.change_view(&v, view_generation_);
        view_generation_ = v.generation;
    }
    const WorkerPorts &mine = v.workers[lcore_];
    const uint32_t now_s = s_.macs->now_s(now_tsc);
    unsigned got = 0;
    for (uint16_t k = 0; k < mine.n; ++k) got += rx_port(v, mine.unit[k].port, mine.unit[k].queue, now_s);
    for (uint16_t k = 0; k < mine.n; ++k)
        if (mine.unit[k].queue == 0) tx_.drain_ring(mine.unit[k].port);   // queue 0's lcore owns the ring
    // A worker about to sleep holds nothing: its sleep would add to the hold.
    if (got == 0 && s_.idle_sleep_us != 0) [[unlikely]]
        tx_.flush_all();
    else
        tx_.flush();
    return got;
}

// switch.tx_flush_us in TSC cycles, converted only when the control plane changes it.
inline uint64_t Worker::hold_cycles() noexcept {
    const unsigned us = s_.tx_flush_us.load(std::memory_order_relaxed);
    if (us != hold_us_) [[unlikely]] {
        hold_us_ = us;
        hold_cycles_ = rte_get_tsc_hz() / 1000000 * us;
    }
    return hold_cycles_;
}

inline unsigned Worker::rx_port(const DataplaneView &v, uint16_t port, uint16_t queue, uint32_t now_s) noexcept {
    rte_mbuf *pkts[kMaxBurst];
    const PortSlot &slot = v.ports[port];
    const uint16_t got = slot.io == nullptr ? rte_eth_rx_burst(slot.port_id, queue, pkts, s_.burst)
                                            : slot.io->rx(slot.io->ctx, queue, pkts, s_.burst, c_.port[port]);
    if (got == 0) return 0;
    // Before classify: a proxy reply rewrites the frame in place.
    if (slot.capture != nullptr && (slot.capture->dirs & CaptureTap::kRx)) [[unlikely]]
        capture_burst(*slot.capture, slot.port_id, pkts, got, CaptureTap::kRx);
    uint16_t n = got;
    if (slot.max_frame != 0) {
        // The frames taken out were received all the same: counted as such.
        uint64_t dropped_bytes;
        n = drop_oversize(pkts, got, slot.max_frame, c_.port[port], dropped_bytes);
        if (n != got) [[unlikely]] {
            c_.port[port].rx_packets.add(got - n);
            c_.port[port].rx_bytes.add(dropped_bytes);
            if (n == 0) return got;
        }
    }
    if (slot.io == nullptr && (slot.offload_caps & kCapRxOffloads)) {
        // An ethdev whose RX may carry offload requests says them with RX flags (a virtio
        // peer's partial checksums and GSO segments): turned into TX requests here, once
        // per burst decided; what cannot be carried is dropped and counted, and was
        // received all the same. An own-I/O port's RX wrote TX requests itself.
        uint64_t dropped_bytes;
        const uint16_t kept = virtio_rx_burst_to_tx(pkts, n, c_.port[port], dropped_bytes);
        if (kept != n) [[unlikely]] {
            c_.port[port].rx_packets.add(n - kept);
            c_.port[port].rx_bytes.add(dropped_bytes);
            n = kept;
            if (n == 0) return got;
        }
    }

    if (slot.underlay) [[unlikely]] {
        rx_underlay(v, port, pkts, n, now_s);
        return got;
    }
    switch_burst(v, port, pkts, n, now_s, 0);
    return got;
}

void Worker::switch_burst(const DataplaneView &v, uint16_t port, const PortSlot &in, rte_mbuf **pkts, uint16_t n,
                  uint32_t now_s, uint16_t tag_bytes) noexcept {
    BurstDecision d;
    path_.classify(pkts, n, Ingress{port, &in}, now_s, d, c_);
    if (v.ports[port].vtep) [[unlikely]]
        split_horizon(v, n, d);
    PortCounters &pc = c_.port[port];
    pc.rx_packets.add(n);
    pc.rx_bytes.add(d.rx_bytes - uint64_t{n} * tag_bytes);   // summed by classify, which reads every pkt_len anyway
    c_.packets.add(n);
    // Decided once per burst: only a port whose RX may carry offload requests has its frames
    // looked at for them (a branch per burst, none per frame, for every other port). A remote
    // VTEP's slot says none: its decapsulated frames carry no requests (vxlan_decap clears
    // the outer packet's flags).
    if (v.ports[port].offload_caps & kCapRxOffloads)
        dispatch<true>(v, port, pkts, n, d);
    else
        dispatch<false>(v, port, pkts, n, d);
}

// Every frame has frame 0's decision and VLAN: the common burst (one flow, or one neighbour,
// known unicast to one port), or one that floods whole in one VLAN (a peer not learned yet, a
// broadcast burst). Mixed bursts leave at the first frame that differs.
inline bool Worker::one_decision(uint16_t n, const BurstDecision &d) noexcept {
    if (d.same_decision) return true;   // classify decided the burst as one flow
    const uint16_t out = d.out[0], vlan = d.vlan[0];
    for (uint16_t i = 1; i < n; ++i)
        if (d.out[i] != out || d.vlan[i] != vlan) return false;
    return true;
}

// Stages one frame, or a burst of them, for `port`: kOffl (frames of a port that may carry
// offload requests) through the offload fallback, else as they are.
template <bool kOffl>
inline void Worker::stage(uint16_t port, rte_mbuf *m) noexcept {
    if constexpr (kOffl)
        tx_.push_offloaded(port, m);
    else
        tx_.push(port, m);
}

template <bool kOffl>
inline void Worker::stage_burst(uint16_t port, rte_mbuf *const *pkts, uint16_t n, uint64_t bytes) noexcept {
    if constexpr (kOffl)
        tx_.push_burst_offloaded(port, pkts, n);
    else
        tx_.push_burst(port, pkts, n, bytes);
}

// Stages such a burst whole, with its tag edit done in one loop. False if the port does not
// carry the VLAN (the per-frame path counts that).
template <bool kOffl>
inline bool Worker::dispatch_one_egress(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                         const BurstDecision &d) noexcept {
    const uint16_t out = d.out[0], vlan = d.vlan[0];
    const PortSlot &o = v.ports[out];
    if (!o.carries(vlan)) [[unlikely]]
        return false;
    uint64_t bytes = d.rx_bytes;
    if (o.trunk != d.tagged) [[unlikely]] {
        if (!kOffl && o.vtep) {
            for (uint16_t i = 0; i < n; ++i) tx_.push_vtep(out, pkts[i], vlan);
            return true;
        } else if (!o.trunk) {
            for (uint16_t i = 0; i < n; ++i) vlan_untag_in_place(pkts[i]);
            bytes -= uint64_t{n} * sizeof(rte_vlan_hdr);
        } else {
            uint16_t k = 0;
            bytes = 0;
            for (uint16_t i = 0; i < n; ++i) {
                if (vlan_tag_in_place(pkts[i], vlan)) [[likely]] {
                    bytes += pkts[i]->pkt_len;
                    pkts[k++] = pkts[i];
                } else {
                    c_.port[in_port].drops[static_cast<unsigned>(DropReason::no_mbufs)].inc();
                    rte_pktmbuf_free(pkts[i]);
                }
            }
            n = k;
        }
    }
    if (n != 0) stage_burst<kOffl>(out, pkts, n, bytes);
    return true;
}

// Stages such a burst whole on every other port of the domain, by reference count as
// flood() does frame by frame. False (the per-frame path takes it) when the ingress port
// has a storm limit, which is counted per frame, or when a target needs the other tagging.
template <bool kOffl>
inline bool Worker::dispatch_flood(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                    const BurstDecision &d) noexcept {
    const PortSlot &in = v.ports[in_port];
    for (const StormRate &r : in.storm)
        if (r.interval != 0) return false;
    const FloodDomain *dom = v.domain(d.vlan[0]);
    if (dom == nullptr) [[unlikely]]
        return false;
    const uint16_t end = v.flood_end(*dom, in_port);
    uint16_t targets = 0;
    for (uint16_t k = 0; k < end; ++k) {
        const uint16_t p = dom->members[k];
        if (p == in_port) continue;
        if (v.ports[p].trunk != d.tagged) return false;
        ++targets;
    }
    if (targets == 0) [[unlikely]]
        return false;
    if (targets > 1)
        for (uint16_t i = 0; i < n; ++i) share(pkts[i], static_cast<int16_t>(targets - 1));
    for (uint16_t k = 0; k < end; ++k)
        if (dom->members[k] != in_port) stage_burst<kOffl>(dom->members[k], pkts, n, d.rx_bytes);
    c_.sw.flooded.add(n);
    return true;
}

template <bool kOffl>
inline void Worker::dispatch(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
              const BurstDecision &d) noexcept {
    // A burst starting with a drop or a proxy reply takes the per-frame path without a scan.
    const uint16_t first = d.out[0];
    if ((first < kMaxPorts || first == kOutFlood) && one_decision(n, d)) [[likely]] {
        if (first < kMaxPorts ? dispatch_one_egress<kOffl>(v, in_port, pkts, n, d)
                              : dispatch_flood<kOffl>(v, in_port, pkts, n, d))
            return;
    }
    // Untagged frames each for a remote VTEP (several VTEPs: not one decision): checked per burst.
    if (!kOffl && !d.tagged && first < kMaxPorts && v.ports[first].vtep && tx_.push_vteps(pkts, n, d.out, d.vlan))
        return;
    rte_mbuf *dropped[kMaxBurst];
    unsigned ndropped = 0;
    PortCounters &pc = c_.port[in_port];
    for (uint16_t i = 0; i < n; ++i) {
        const uint16_t out = d.out[i];
        uint16_t reason;
        if (out < kMaxPorts) [[likely]] {
            reason = unicast<kOffl>(v.ports[out], out, pkts[i], d.vlan[i], d.tagged);
        } else if (out == kOutFlood) {
            const uint8_t kind = d.flood_kind[i];
            if (!storm_allows(v.ports[in_port], in_port, kind)) [[unlikely]]
                reason = static_cast<uint16_t>(DropReason::storm_broadcast) + kind;
            else
                reason = flood<kOffl>(v, in_port, d.vlan[i], d.tagged, pkts[i]);
        } else if (out == kOutReply) {
            // The proxy wrote the whole frame, its checksums too: nothing is left to ask of
            // the port, whatever the request the frame came in with.
            if constexpr (kOffl) pkts[i]->ol_flags &= ~kTxOffloadRequests;
            // A decapsulated frame, classified untagged, goes back to its VTEP with its VLAN
            // (whatever kOffl: the reply asks nothing of the offload fallback).
            if (!d.tagged && v.ports[in_port].vtep) vtep_vlan(pkts[i], d.vlan[i]);
            tx_.push(in_port, pkts[i]);   // leaves the way it came: same port, same tagging
            continue;
        } else {
            reason = out & ~kOutDrop;
        }
        if (reason == kSent) [[likely]]
            continue;
        pc.drops[reason].inc();
        dropped[ndropped++] = pkts[i];
    }
    if (ndropped != 0) [[unlikely]]
        rte_pktmbuf_free_bulk(dropped, ndropped);
}

// The common burst (every frame to one local port of its VLAN, untagged) staged whole; any other
// dispatched per VTEP, as the frames of each came from their own port (floods leave out the
// VTEPs, replies go back to theirs, drops are counted on theirs).
template <bool kOffl>
inline void Worker::dispatch_decapped(const DataplaneView &v, rte_mbuf **pkts, uint16_t n, const uint16_t *vtep,
                                      const BurstDecision &d) noexcept {
    const uint16_t first = d.out[0];
    if (first < kMaxPorts && one_decision(n, d)) [[likely]] {
        const PortSlot &o = v.ports[first];
        if (!o.trunk && o.carries(d.vlan[0])) [[likely]] {
            stage_burst<kOffl>(first, pkts, n, d.rx_bytes);
            return;
        }
    }
    uint32_t left = n == 32 ? ~uint32_t{0} : (uint32_t{1} << n) - 1;
    while (left != 0) {
        const uint16_t p = vtep[__builtin_ctz(left)];
        rte_mbuf *run[kMaxBurst];
        BurstDecision sub;
        uint16_t nrun = 0;
        uint64_t bytes = 0;
        for (uint32_t rest = left; rest != 0; rest &= rest - 1) {
            const unsigned i = static_cast<unsigned>(__builtin_ctz(rest));
            if (vtep[i] != p) continue;
            run[nrun] = pkts[i];
            sub.out[nrun] = d.out[i];
            sub.vlan[nrun] = d.vlan[i];
            sub.flood_kind[nrun] = d.flood_kind[i];
            bytes += pkts[i]->pkt_len;
            ++nrun;
            left &= ~(uint32_t{1} << i);
        }
        sub.tagged = false;
        sub.same_decision = false;
        sub.rx_bytes = bytes;
        dispatch<kOffl>(v, p, run, nrun, sub);
    }
}

void Worker::dispatch_decapped(const DataplaneView &v, rte_mbuf **pkts, uint16_t n, const uint16_t *vtep,
                               const BurstDecision &d) noexcept {
    if (v.ports[vtep[0]].offload_caps & kCapRxOffloads)
        dispatch_decapped<true>(v, pkts, n, vtep, d);
    else
        dispatch_decapped<false>(v, pkts, n, vtep, d);
}

// One egress port: tagged on a trunk, untagged on an access port, in place (the frame has
// one owner here). Returns kSent or a drop reason.
template <bool kOffl>
inline uint16_t Worker::unicast(const PortSlot &out, uint16_t port, rte_mbuf *m, uint16_t vlan, bool tagged) noexcept {
    if (!out.carries(vlan)) [[unlikely]]   // e.g. a static MAC on a port outside the VLAN
        return static_cast<uint16_t>(DropReason::vlan_not_allowed);
    if (out.trunk != tagged) [[unlikely]] {
        if (!kOffl && out.vtep) {
            tx_.push_vtep(port, m, vlan);
            return kSent;
        } else if (out.trunk) {
            if (!vlan_tag_in_place(m, vlan)) return static_cast<uint16_t>(DropReason::no_mbufs);
        } else {
            vlan_untag_in_place(m);
        }
    }
    stage<kOffl>(port, m);
    return kSent;
}

// Sends one frame to every other port of its domain by reference count: one mbuf, k
// references, no payload copy. Ports that want the other tagging share one variant (a new
// header chained to a clone). Each TX (or free) drops one reference. The offload fallback
// (kOffl) never writes into the shared frame: prepare_for_tx copies the headers it changes.
template <bool kOffl>
inline uint16_t Worker::flood(const DataplaneView &v, uint16_t in_port, uint16_t vlan, bool tagged, rte_mbuf *m) noexcept {
    const FloodDomain *dom = v.domain(vlan);
    if (dom == nullptr) return static_cast<uint16_t>(DropReason::no_flood_target);
    const uint16_t end = v.flood_end(*dom, in_port);
    uint16_t same = 0, other = 0;
    for (uint16_t k = 0; k < end; ++k) {
        const uint16_t p = dom->members[k];
        if (p == in_port) continue;
        (v.ports[p].trunk == tagged ? same : other)++;
    }
    if (same + other == 0) return static_cast<uint16_t>(DropReason::no_flood_target);
    rte_mbuf *variant = nullptr;
    if (other != 0) [[unlikely]] {
        variant = vlan_variant(m, !tagged, vlan);
        if (variant == nullptr) {
            // The frame still reaches the ports that take it as it is; the miss is counted once.
            if (same == 0) return static_cast<uint16_t>(DropReason::no_mbufs);
            c_.port[in_port].drops[static_cast<unsigned>(DropReason::no_mbufs)].inc();
            other = 0;
        } else if (other > 1) {
            share(variant, static_cast<int16_t>(other - 1));
        }
    }
    if (same == 0) {
        rte_pktmbuf_free(m);   // the variant's clone keeps the data alive
    } else if (same > 1) {
        share(m, static_cast<int16_t>(same - 1));
    }
    for (uint16_t k = 0; k < end; ++k) {
        const uint16_t p = dom->members[k];
        if (p == in_port) continue;
        if (v.ports[p].trunk == tagged)
            stage<kOffl>(p, m);
        else if (variant != nullptr)
            stage<kOffl>(p, variant);
    }
    c_.sw.flooded.inc();
    return kSent;
}

WorkerPoll::WorkerPoll(WorkerShared &s, unsigned lcore) : w_(std::make_unique<Worker>(s, lcore)) {}
WorkerPoll::~WorkerPoll() = default;
unsigned WorkerPoll::poll(const DataplaneView &v, uint64_t now_tsc) noexcept { return w_->poll_once(v, now_tsc); }

int worker_main(void *arg) {
    auto &shared = *static_cast<WorkerShared *>(arg);
    // The TX batches hold 64 x 64 mbuf pointers: on the heap, not the lcore's stack.
    auto w = std::make_unique<Worker>(shared, rte_lcore_id());
    w->run();
    return 0;
}

}  // namespace dsw
