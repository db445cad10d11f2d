#include "dpdk_switch/dataplane/worker.h"

#include <memory>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/tx_stage.h"

namespace dsw {

namespace {

class Worker {
public:
    Worker(WorkerShared &s, unsigned lcore)
        : s_(s), lcore_(lcore), c_(s.counters[lcore]), path_(*s.macs), tx_(lcore, c_) {}

    void run() noexcept {
        rte_rcu_qsbr_thread_register(s_.rcu, lcore_);
        rte_rcu_qsbr_thread_online(s_.rcu, lcore_);
        uint64_t last = rte_rdtsc();
        while (!s_.stop.load(std::memory_order_relaxed)) {
            const DataplaneView *v = s_.view.load(std::memory_order_acquire);
            unsigned got = 0;
            if (v != nullptr) [[likely]]
                got = poll_once(*v);
            rte_rcu_qsbr_quiescent(s_.rcu, lcore_);
            const uint64_t now = rte_rdtsc();
            (got ? c_.busy_cycles : c_.idle_cycles).add(now - last);
            c_.polls.inc();
            last = now;
        }
        rte_rcu_qsbr_thread_offline(s_.rcu, lcore_);
        rte_rcu_qsbr_thread_unregister(s_.rcu, lcore_);
    }

private:
    unsigned poll_once(const DataplaneView &v) noexcept {
        tx_.set_view(&v);
        const WorkerPorts &mine = v.workers[lcore_];
        const uint32_t now_s = s_.macs->now_s();
        unsigned got = 0;
        for (uint16_t k = 0; k < mine.n; ++k) got += rx_port(v, mine.index[k], now_s);
        for (uint16_t k = 0; k < mine.n; ++k) tx_.drain_ring(mine.index[k]);
        tx_.flush();
        return got;
    }

    unsigned rx_port(const DataplaneView &v, uint16_t port, uint32_t now_s) noexcept {
        rte_mbuf *pkts[kMaxBurst];
        const PortSlot &slot = v.ports[port];
        const uint16_t n = rte_eth_rx_burst(slot.port_id, 0, pkts, s_.burst);
        if (n == 0) return 0;
        PortCounters &pc = c_.port[port];
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; ++i) bytes += pkts[i]->pkt_len;
        pc.rx_packets.add(n);
        pc.rx_bytes.add(bytes);
        c_.packets.add(n);

        BurstDecision d;
        path_.classify(pkts, n, Ingress{port, slot.access_vlan}, now_s, d, c_);
        dispatch(v, port, pkts, n, d);
        return n;
    }

    void dispatch(const DataplaneView &v, uint16_t in_port, rte_mbuf **pkts, uint16_t n,
                  const BurstDecision &d) noexcept {
        rte_mbuf *dropped[kMaxBurst];
        unsigned ndropped = 0;
        PortCounters &pc = c_.port[in_port];
        for (uint16_t i = 0; i < n; ++i) {
            const uint16_t out = d.out[i];
            if (out < kMaxPorts) [[likely]] {
                tx_.push(out, pkts[i]);
                continue;
            }
            if (out == kOutFlood) {
                if (flood(v, in_port, d.vlan[i], pkts[i])) continue;
                pc.drops[static_cast<unsigned>(DropReason::no_flood_target)].inc();
            } else {
                pc.drops[out & ~kOutDrop].inc();
            }
            dropped[ndropped++] = pkts[i];
        }
        if (ndropped != 0) [[unlikely]]
            rte_pktmbuf_free_bulk(dropped, ndropped);
    }

    // Sends one frame to every other port of its domain by reference count: one mbuf, k
    // references, no payload copy. Each TX (or free) drops one reference.
    bool flood(const DataplaneView &v, uint16_t in_port, uint16_t vlan, rte_mbuf *m) noexcept {
        const FloodDomain *dom = v.domain(vlan);
        if (dom == nullptr) return false;
        const uint16_t targets = static_cast<uint16_t>(dom->n - (member(dom, in_port) ? 1 : 0));
        if (targets == 0) return false;
        if (targets > 1) rte_mbuf_refcnt_update(m, static_cast<int16_t>(targets - 1));
        for (uint16_t k = 0; k < dom->n; ++k)
            if (dom->members[k] != in_port) tx_.push(dom->members[k], m);
        c_.sw.flooded.inc();
        return true;
    }

    static bool member(const FloodDomain *dom, uint16_t port) noexcept {
        for (uint16_t k = 0; k < dom->n; ++k)
            if (dom->members[k] == port) return true;
        return false;
    }

    WorkerShared &s_;
    unsigned lcore_;
    LcoreCounters &c_;
    SwitchPath path_;
    TxStage tx_;
};

}  // namespace

int worker_main(void *arg) {
    auto &shared = *static_cast<WorkerShared *>(arg);
    // The TX batches hold 64 x 64 mbuf pointers: on the heap, not the lcore's stack.
    auto w = std::make_unique<Worker>(shared, rte_lcore_id());
    w->run();
    return 0;
}

}  // namespace dsw
