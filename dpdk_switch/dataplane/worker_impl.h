// The Worker class behind worker_main and WorkerPoll (worker.h), private to dataplane/: its loop
// and switching are in worker.cc, the VTEP's part (the underlay's RX, decapsulated frames'
// switching, the split horizon) in worker_vxlan.cc.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/tx_stage.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/dataplane/worker.h"

namespace dsw {

class Worker {
public:
    Worker(WorkerShared &s, unsigned lcore)
        : s_(s), lcore_(lcore), c_(s.counters[lcore]), path_(*s.macs, s.arp), tx_(lcore, c_, s.gso_direct, s.gso_indirect) {}

    void run() noexcept;

private:
    friend class WorkerPoll;

    void idle_back_off(unsigned &sleep_us) noexcept;
    bool storm_allows(const PortSlot &slot, uint16_t port, uint8_t kind) noexcept;
    unsigned poll_once(const DataplaneView &v, uint64_t now_tsc) noexcept;
    uint64_t hold_cycles() noexcept;
    unsigned rx_port(const DataplaneView &v, uint16_t port, uint16_t queue, uint32_t now_s) noexcept;

    // Frames received on `port` (a remote VTEP's, for decapsulated ones): classified, counted
    // and sent on. `tag_bytes`: bytes of each frame that were not on the wire (the VLAN tag
    // decapsulation added), left out of the port's byte count.
    void switch_burst(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s,
                      uint16_t tag_bytes) noexcept {
        switch_burst(v, port, v.ports[port], pkts, n, now_s, tag_bytes);
    }
    // `in`: the VLAN membership classify applies, the port's own but for decapsulated frames.
    void switch_burst(const DataplaneView &v, uint16_t port, const PortSlot &in, rte_mbuf **pkts, uint16_t n,
                      uint32_t now_s, uint16_t tag_bytes) noexcept;

    // worker_vxlan.cc: the underlay's RX and the split horizon.
    void rx_underlay(const DataplaneView &v, uint16_t port, rte_mbuf **pkts, uint16_t n, uint32_t now_s) noexcept;
    static void split_horizon(const DataplaneView &v, uint16_t n, BurstDecision &d) noexcept;
    // The untagged decapsulated frames of a burst (b.inner, frame i from port b.inner.port[i] in
    // VLAN b.inner.vlan[i]), but for one flow's: classified once, counted and sent on.
    void switch_decapped(const DataplaneView &v, DecapBurst &b, uint32_t now_s) noexcept;
    // worker.cc: their dispatch (all VTEPs share the underlay's RX offload capability).
    void dispatch_decapped(const DataplaneView &v, rte_mbuf **pkts, uint16_t n, const uint16_t *vtep,
                           const BurstDecision &d) noexcept;
    template <bool kOffl>
    void dispatch_decapped(const DataplaneView &v, rte_mbuf **pkts, uint16_t n, const uint16_t *vtep,
                           const BurstDecision &d) noexcept;

    // An untagged frame the worker alone owns, for a remote VTEP: its VLAN goes along in the
    // mbuf (TX_VLAN, as for a port that inserts tags) rather than as a tag in the data, which
    // encapsulation would take out again at once (TxStage::flush_vtep reads either form). Not
    // for a frame of a port whose RX may carry offload requests: the offload fallback's
    // segments would not carry the VLAN along. (Switched frames go through TxStage::push_vtep,
    // which encapsulates them at once or does the same; this is the proxy reply's way.)
    static void vtep_vlan(rte_mbuf *m, uint16_t vlan) noexcept {
        m->vlan_tci = vlan;
        m->ol_flags |= RTE_MBUF_F_TX_VLAN;
    }

    static bool one_decision(uint16_t n, const BurstDecision &d) noexcept;
    template <bool kOffl>
    void stage(uint16_t port, rte_mbuf *m) noexcept;
    template <bool kOffl>
    void stage_burst(uint16_t port, rte_mbuf *const *pkts, uint16_t n, uint64_t bytes) noexcept;
    template <bool kOffl>
    bool dispatch_one_egress(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                             const BurstDecision &d) noexcept;
    template <bool kOffl>
    bool dispatch_flood(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                        const BurstDecision &d) noexcept;
    template <bool kOffl>
    void dispatch(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n, const BurstDecision &d) noexcept;

    static constexpr uint16_t kSent = 0xffff;

    template <bool kOffl>
    uint16_t unicast(const PortSlot &out, uint16_t port, rte_mbuf *m, uint16_t vlan, bool tagged) noexcept;
    template <bool kOffl>
    uint16_t flood(const DataplaneView &v, uint16_t in_port, uint16_t vlan, bool tagged, rte_mbuf *m) noexcept;

    WorkerShared &s_;
    unsigned lcore_;
    uint64_t now_tsc_ = 0;
    uint64_t view_generation_ = 0;   // of the view the last loop used
    unsigned hold_us_ = 0;
    uint64_t hold_cycles_ = 0;
    LcoreCounters &c_;
    SwitchPath path_;
    TxStage tx_;
    // What classify applies to a burst of a VTEP's decapsulated frames, untagged, of one VTEP
    // and VLAN: an access port's membership, access_vlan set per burst (rx_underlay).
    PortSlot decap_slot_;
};

}  // namespace dsw
