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
#include "dpdk_switch/dataplane/vxlan_decap.h"

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

class Worker {
public:
    Worker(WorkerShared &s, unsigned lcore)
        : s_(s), lcore_(lcore), c_(s.counters[lcore]), path_(*s.macs, s.arp), tx_(lcore, c_, s.gso_direct, s.gso_indirect) {}

    void run() noexcept {
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
        if (const DataplaneView *v = s_.view.load(std::memory_order_acquire); v != nullptr) {
            tx_.set_view(v);
            tx_.flush_all();
        }
        rte_rcu_qsbr_thread_offline(s_.rcu, lcore_);
        rte_rcu_qsbr_thread_unregister(s_.rcu, lcore_);
    }

private:
    friend class WorkerPoll;

    // An idle worker sleeps 1, 2, 4... us up to idle_sleep_us between empty polls (as OVS
    // pmd-sleep-max), offline for RCU so that the control plane never waits on its sleep.
    // The first frame resets it: the cost is at most one sleep of latency.
    void idle_back_off(unsigned &sleep_us) noexcept {
        sleep_us = sleep_us == 0 ? 1 : std::min(sleep_us * 2, s_.idle_sleep_us);
        rte_rcu_qsbr_thread_offline(s_.rcu, lcore_);
        rte_delay_us_sleep(sleep_us);
        rte_rcu_qsbr_thread_online(s_.rcu, lcore_);
    }

    // Storm control: the port's limiter is shared with the other workers that poll its queues.
    bool storm_allows(const PortSlot &slot, uint16_t port, uint8_t kind) noexcept {
        const StormRate &rate = slot.storm[kind];
        if (rate.interval == 0) [[likely]]
            return true;
        return s_.storm[port].kind[kind].allow(now_tsc_, rate);
    }

    unsigned poll_once(const DataplaneView &v, uint64_t now_tsc) noexcept {
        now_tsc_ = now_tsc;
        tx_.set_view(&v);
        tx_.set_clock(now_tsc, hold_cycles());
        // Frames held under the previous view leave now, checked against this one: a port
        // removed meanwhile drops them (counted), and none waits into a later view.
        if (v.generation != view_generation_) [[unlikely]] {
            view_generation_ = v.generation;
            tx_.flush_all();
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
    uint64_t hold_cycles() noexcept {
        const unsigned us = s_.tx_flush_us.load(std::memory_order_relaxed);
        if (us != hold_us_) [[unlikely]] {
            hold_us_ = us;
            hold_cycles_ = rte_get_tsc_hz() / 1000000 * us;
        }
        return hold_cycles_;
    }

    unsigned rx_port(const DataplaneView &v, uint16_t port, uint16_t queue, uint32_t now_s) noexcept {
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

    // Frames received on `port` (a remote VTEP's, for decapsulated ones): classified, counted
    // and sent on. `tag_bytes`: bytes of each frame that were not on the wire (the VLAN tag
    // decapsulation added), left out of the port's byte count.
    void switch_burst(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s,
                      uint16_t tag_bytes) noexcept {
        switch_burst(v, port, v.ports[port], pkts, n, now_s, tag_bytes);
    }
    // `in`: the VLAN membership classify applies, the port's own but for decapsulated frames.
    void switch_burst(const DataplaneView &v, uint16_t port, const PortSlot &in, rte_mbuf **pkts, uint16_t n,
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

    // Out of one tunnel, never into another: a frame from a VTEP to a MAC behind another VTEP is
    // dropped as hairpin, as all VTEPs were one port (a kernel vxlan device is one bridge port;
    // OVS marks its tunnel ports protected). The sender's VTEP reaches the other one itself;
    // relaying would teach the other VTEP that the sender's MACs are behind us.
    static void split_horizon(const DataplaneView &v, uint16_t n, BurstDecision &d) noexcept {
        for (uint16_t i = 0; i < n; ++i)
            if (d.out[i] < kMaxPorts && v.ports[d.out[i]].vtep) d.out[i] = out_drop(DropReason::hairpin);
    }

    // The VTEP's underlay port: VXLAN decapsulated and switched as received on its VTEP's port
    // (a burst usually comes from one VTEP: one switch_burst), ARP for our address answered.
    void rx_underlay(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s) noexcept {
        const VxlanView &vx = v.vxlan;
        PortCounters &uc = c_.port[port];
        rte_mbuf *inner[kMaxBurst], *freed[kMaxBurst];
        uint32_t from[kMaxBurst];   // the VTEP's port | (the VLAN or kDecapTagged) << 16
        uint16_t k = 0, nfreed = 0;
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) {
            rte_mbuf *m = pkts[i];
            bytes += m->pkt_len;
            const DecapResult r = vxlan_decap(m, vx);
            if (r.verdict == kDecapped) [[likely]] {
                inner[k] = m;
                from[k++] = r.vtep_port | r.vlan << 16;
                continue;
            }
            if (r.verdict == kUnderlayArp) {
                if (vxlan_underlay_arp(m, vx, now_s)) tx_.push(port, m);
                else freed[nfreed++] = m;
                continue;
            }
            uc.drops[r.verdict].inc();
            freed[nfreed++] = m;
            if (r.verdict == static_cast<uint16_t>(DropReason::vxlan_unknown_vtep) && vx.learn_vteps &&
                vx.learn_ring != nullptr)
                rte_ring_mp_enqueue(vx.learn_ring, reinterpret_cast<void *>((uint64_t{r.src_ip_be} << 24) | r.vni));
        }
        uc.rx_packets.add(n);
        uc.rx_bytes.add(bytes);
        if (nfreed != 0) rte_pktmbuf_free_bulk(freed, nfreed);
        // One switch_burst per VTEP and VLAN, in arrival order within each.
        while (k != 0) {
            const uint32_t key = from[0];
            rte_mbuf *run[kMaxBurst];
            uint16_t nrun = 0, rest = 0;
            for (uint16_t i = 0; i < k; ++i) {
                if (from[i] == key) {
                    run[nrun++] = inner[i];
                } else {
                    inner[rest] = inner[i];
                    from[rest++] = from[i];
                }
            }
            k = rest;
            const uint16_t vtep = static_cast<uint16_t>(key & 0xffff);
            if ((key >> 16) == kDecapTagged) [[unlikely]] {   // tagged as on the VTEP's trunk
                switch_burst(v, vtep, run, nrun, now_s, sizeof(rte_vlan_hdr));
                continue;
            }
            // Untagged frames of one VLAN: classified as from an access port of that VLAN (the
            // VTEP's slot, a trunk, would take tagged ones only); learnt and counted on the VTEP.
            decap_slot_.access_vlan = static_cast<uint16_t>(key >> 16);
            switch_burst(v, vtep, decap_slot_, run, nrun, now_s, 0);
        }
    }

    // Every frame has frame 0's decision and VLAN: the common burst (one flow, or one neighbour,
    // known unicast to one port), or one that floods whole in one VLAN (a peer not learned yet, a
    // broadcast burst). Mixed bursts leave at the first frame that differs.
    static bool one_decision(uint16_t n, const BurstDecision &d) noexcept {
        if (d.same_decision) return true;   // classify decided the burst as one flow
        const uint16_t out = d.out[0], vlan = d.vlan[0];
        for (uint16_t i = 1; i < n; ++i)
            if (d.out[i] != out || d.vlan[i] != vlan) return false;
        return true;
    }

    // Stages one frame, or a burst of them, for `port`: kOffl (frames of a port that may carry
    // offload requests) through the offload fallback, else as they are.
    template <bool kOffl>
    void stage(uint16_t port, rte_mbuf *m) noexcept {
        if constexpr (kOffl)
            tx_.push_offloaded(port, m);
        else
            tx_.push(port, m);
    }
    template <bool kOffl>
    void stage_burst(uint16_t port, rte_mbuf *const *pkts, uint16_t n, uint64_t bytes) noexcept {
        if constexpr (kOffl)
            tx_.push_burst_offloaded(port, pkts, n);
        else
            tx_.push_burst(port, pkts, n, bytes);
    }

    // Stages such a burst whole, with its tag edit done in one loop. False if the port does not
    // carry the VLAN (the per-frame path counts that).
    template <bool kOffl>
    bool dispatch_one_egress(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                             const BurstDecision &d) noexcept {
        const uint16_t out = d.out[0], vlan = d.vlan[0];
        const PortSlot &o = v.ports[out];
        if (!o.carries(vlan)) [[unlikely]]
            return false;
        uint64_t bytes = d.rx_bytes;
        if (o.trunk != d.tagged) [[unlikely]] {
            if (!kOffl && o.vtep) {
                for (uint16_t i = 0; i < n; ++i) vtep_vlan(pkts[i], vlan);
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
    bool dispatch_flood(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
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
    void dispatch(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                  const BurstDecision &d) noexcept {
        // A burst starting with a drop or a proxy reply takes the per-frame path without a scan.
        const uint16_t first = d.out[0];
        if ((first < kMaxPorts || first == kOutFlood) && one_decision(n, d)) [[likely]] {
            if (first < kMaxPorts ? dispatch_one_egress<kOffl>(v, in_port, pkts, n, d)
                                  : dispatch_flood<kOffl>(v, in_port, pkts, n, d))
                return;
        }
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

    static constexpr uint16_t kSent = 0xffff;

    // An untagged frame the worker alone owns, for a remote VTEP: its VLAN goes along in the
    // mbuf (TX_VLAN, as for a port that inserts tags) rather than as a tag in the data, which
    // encapsulation would take out again at once (TxStage::flush_vtep reads either form). Not
    // for a frame of a port whose RX may carry offload requests: the offload fallback's
    // segments would not carry the VLAN along.
    static void vtep_vlan(rte_mbuf *m, uint16_t vlan) noexcept {
        m->vlan_tci = vlan;
        m->ol_flags |= RTE_MBUF_F_TX_VLAN;
    }

    // One egress port: tagged on a trunk, untagged on an access port, in place (the frame has
    // one owner here). Returns kSent or a drop reason.
    template <bool kOffl>
    uint16_t unicast(const PortSlot &out, uint16_t port, rte_mbuf *m, uint16_t vlan, bool tagged) noexcept {
        if (!out.carries(vlan)) [[unlikely]]   // e.g. a static MAC on a port outside the VLAN
            return static_cast<uint16_t>(DropReason::vlan_not_allowed);
        if (out.trunk != tagged) [[unlikely]] {
            if (!kOffl && out.vtep) {
                vtep_vlan(m, vlan);
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
    uint16_t flood(const DataplaneView &v, uint16_t in_port, uint16_t vlan, bool tagged, rte_mbuf *m) noexcept {
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

    WorkerShared &s_;
    unsigned lcore_;
    uint64_t now_tsc_ = 0;
    uint64_t view_generation_ = 0;   // of the view the last loop used
    unsigned hold_us_ = 0;
    uint64_t hold_cycles_ = 0;
    LcoreCounters &c_;
    SwitchPath path_;
    TxStage tx_;
    // What classify applies to a VTEP's decapsulated frames, untagged: an access port's
    // membership, access_vlan set per run of frames (rx_underlay).
    PortSlot decap_slot_;
};

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
