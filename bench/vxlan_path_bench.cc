// VXLAN on the worker's real path, against plain switching on the same path: one WorkerPoll pass
// (every port polled, the burst switched, TX staged, VTEP batches encapsulated, batches flushed)
// timed per 32-frame burst, with 2048 MACs in the table. Four rows, one harness:
//   Plain: R_i -> L_i arriving on local port 2, switched to local port 1;
//   Decap: the same frames arriving encapsulated on the underlay from VTEP i % 4, decapsulated
//          and switched to port 1;
//   Decap1Vtep: the same from VTEP 0 alone (two hosts' VTEPs, the common real case: every
//          burst from one VTEP and VLAN);
//   Encap: L_i -> R_i arriving on port 1, R_i learned behind VTEP i % 4 (its underlay MAC
//          resolved), encapsulated and sent on the underlay.
// The VTEP's cost is each VXLAN row minus Plain (the suite's summary prints the deltas). The
// ports are the bench's own I/O: RX hands out the prepared burst, TX keeps what it is given;
// restoring the frames for the next round is not timed.
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include "dpdk_switch/control/vxlan_state.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dataplane/worker.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/tables/mac_key.h"
#include "dpdk_switch/tables/mac_table.h"

#include "bench_timing.h"
#include "vxlan_frames.h"

namespace dsw {
namespace {

using namespace bench;

enum class VxMode { plain, decap, decap1, encap };

constexpr uint16_t kUnderlay = 0, kLocal = 1, kPeer = 2, kFirstVtep = 3;

// An own-I/O port of the bench: RX gives the burst put there once, TX keeps what it is given.
struct BenchPort {
    PortIo io{rx, tx, this};
    rte_mbuf **in = nullptr;
    uint16_t in_n = 0;
    std::array<rte_mbuf *, 4 * kBurst> out{};   // one poll sends a burst; more is counted tx_full
    uint16_t out_n = 0;

    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &) noexcept {
        auto *p = static_cast<BenchPort *>(ctx);
        const uint16_t k = p->in_n < n ? p->in_n : n;
        std::memcpy(pkts, p->in, k * sizeof(*pkts));
        p->in_n = 0;
        return k;
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &) noexcept {
        auto *p = static_cast<BenchPort *>(ctx);
        const uint16_t room = static_cast<uint16_t>(p->out.size() - p->out_n);
        const uint16_t k = n < room ? n : room;
        std::memcpy(p->out.data() + p->out_n, pkts, k * sizeof(*pkts));
        p->out_n = static_cast<uint16_t>(p->out_n + k);
        return k;
    }
};

struct VxFixture {
    VxMode mode;
    unsigned lcore = rte_lcore_id();
    std::unique_ptr<MacTable> macs;
    MempoolPtr pool;
    std::array<RingPtr, 3> rings;
    std::array<BenchPort, 3> ports;   // the underlay, port 1, port 2
    std::unique_ptr<LcoreCounters[]> counters = std::make_unique<LcoreCounters[]>(RTE_MAX_LCORE);
    std::unique_ptr<PortStorm[]> storm = std::make_unique<PortStorm[]>(kMaxPorts);
    VxlanState vx;
    std::unique_ptr<DataplaneView> view = std::make_unique<DataplaneView>();
    WorkerShared shared;
    std::vector<rte_mbuf *> mbufs;                 // kPairs frames, in replay order
    std::vector<std::vector<uint8_t>> originals;   // each frame's bytes, to restore it

    explicit VxFixture(VxMode m) : mode(m) {
        static unsigned instance = 0;
        const std::string tag = std::to_string(++instance);
        macs = std::move(MacTable::create("bvx_macs_" + tag, 65536, SOCKET_ID_ANY, nullptr).value());
        pool = std::move(make_pktmbuf_pool("bvx_pool_" + tag, kPairs + 256, SOCKET_ID_ANY).value());
        build_view(tag);
        shared.macs = macs.get();
        shared.counters = counters.get();
        shared.storm = storm.get();
        shared.burst = kBurst;
        // What the switch would have learned: L_i behind port 1; R_i behind port 2, or behind
        // VTEP vtep_of(i) (what decapsulated frames from it teach). The rest the warm-up learns.
        for (unsigned i = 0; i < kPairs; ++i) {
            learn(host_mac(i, false), kLocal);
            learn(host_mac(i, true), mode == VxMode::plain ? kPeer : static_cast<uint16_t>(kFirstVtep + vtep_of(i)));
        }
        for (unsigned i = 0; i < kPairs; ++i) {
            auto f = inner_frame(i, mode == VxMode::encap);
            if (decap()) f = encapsulated(f, vtep_of(i), static_cast<uint16_t>(0xc000 | i));
            rte_mbuf *mb = rte_pktmbuf_alloc(pool.get());
            std::memcpy(rte_pktmbuf_append(mb, static_cast<uint16_t>(f.size())), f.data(), f.size());
            mbufs.push_back(mb);
            originals.push_back(std::move(f));
        }
    }
    ~VxFixture() {
        for (rte_mbuf *m : mbufs) rte_pktmbuf_free(m);
    }

    bool decap() const { return mode == VxMode::decap || mode == VxMode::decap1; }
    unsigned vtep_of(unsigned i) const { return mode == VxMode::decap1 ? 0 : i % kVteps; }

    void learn(uint64_t mac, uint16_t port) {
        const MacKey key = make_mac_key(mac, kVlan);
        macs->learn(key, macs->lookup(key), port, 0);
    }

    // Ports 0-2 as the control plane makes them (own I/O, polled and sent on by this lcore),
    // 1 and 2 access ports of VLAN 10, then the VTEP's part by its own code (VxlanState).
    void build_view(const std::string &tag) {
        DataplaneView &v = *view;
        v.generation = 1;
        for (uint16_t p = 0; p < 3; ++p) {
            PortSlot &s = v.ports[p];
            s.present = true;
            s.io = &ports[p].io;
            s.txq[lcore] = 0;
            s.owner = lcore;
            rings[p] = std::move(make_ring("bvx_r" + std::to_string(p) + "_" + tag, 1024, SOCKET_ID_ANY, RING_F_SC_DEQ).value());
            s.ring = rings[p].get();
            v.workers[lcore].unit[v.workers[lcore].n++] = {p, 0};
            if (p == kUnderlay) continue;
            s.access_vlan = kVlan;
            s.allowed[kVlan >> 6] |= 1ULL << (kVlan & 63);
            v.add_member(kVlan, p);
        }
        vx.cfg.enabled = true;
        vx.local_ip = kLocalIp;
        vx.underlay = kUnderlay;
        vx.local_mac = kLocalMac;
        vx.vni_of_vlan[kVlan] = kVni;
        for (unsigned k = 0; k < kVteps; ++k) {
            VtepState t;
            t.ip = vtep_ip(k);
            t.index = kFirstVtep + k;
            t.vnis.insert(kVni);
            vx.vteps.emplace(t.ip, t);
            vx.neigh->by_port[t.index].mac.store(VtepNeighbour::kResolved | vtep_mac(k));
        }
        vx.fill_view(v);
    }

    BenchPort &source() { return ports[mode == VxMode::plain ? kPeer : decap() ? kUnderlay : kLocal]; }
    BenchPort &sink() { return ports[mode == VxMode::encap ? kUnderlay : kLocal]; }

    // Puts the frames sent back as they arrived (not timed). False if the burst did not leave
    // whole where it should have.
    bool restore(rte_mbuf **burst) {
        const bool whole = sink().out_n == kBurst;
        for (BenchPort &p : ports) p.out_n = 0;
        for (unsigned i = 0; i < kBurst; ++i) {
            rte_mbuf *m = burst[i];
            if (mode == VxMode::encap) {
                rte_pktmbuf_adj(m, kVxlanOuterLen);
            } else if (decap()) {
                const size_t at = static_cast<size_t>(&burst[i] - mbufs.data());
                auto *p = rte_pktmbuf_prepend(m, kVxlanOuterLen);
                std::memcpy(p, originals[at].data(), kVxlanOuterLen);
            }
        }
        return whole;
    }

    uint64_t drops() const {
        uint64_t n = 0;
        for (const PortCounters &pc : counters[lcore].port)
            for (const Counter &c : pc.drops) n += c.get();
        return n;
    }
};

void run_vxlan(benchmark::State &state, VxMode mode) {
    VxFixture fx(mode);
    WorkerPoll worker(fx.shared, fx.lcore);
    const unsigned nbursts = kPairs / kBurst;
    BenchPort &src = fx.source();
    bool ok = true;
    // Warm-up pass: every MAC learned or refreshed, every line of the path touched once.
    for (unsigned b = 0; b < nbursts && ok; ++b) {
        src.in = &fx.mbufs[b * kBurst];
        src.in_n = kBurst;
        worker.poll(*fx.view, rte_rdtsc());
        ok = fx.restore(&fx.mbufs[b * kBurst]);
    }
    uint64_t packets = 0;
    bench::TimedCycles timed;
    unsigned b = 0;
    for (auto _ : state) {
        if (!ok) break;
        rte_mbuf **burst = &fx.mbufs[b * kBurst];
        src.in = burst;
        src.in_n = kBurst;
        const uint64_t t0 = rte_rdtsc();
        worker.poll(*fx.view, t0);
        timed.add(rte_rdtsc() - t0);
        ok = fx.restore(burst);
        packets += kBurst;
        if (++b == nbursts) b = 0;
    }
    // What was timed must be every frame delivered: none dropped, none left behind.
    if (!ok || fx.drops() != 0) {
        state.SkipWithError("a burst did not leave whole on the expected port");
        return;
    }
    bench::report(state, packets, timed, 2 * kPairs);
}

void BM_Worker_2048Macs_Plain(benchmark::State &s) { run_vxlan(s, VxMode::plain); }
void BM_Worker_2048Macs_VxlanDecap(benchmark::State &s) { run_vxlan(s, VxMode::decap); }
void BM_Worker_2048Macs_VxlanDecap1Vtep(benchmark::State &s) { run_vxlan(s, VxMode::decap1); }
void BM_Worker_2048Macs_VxlanEncap(benchmark::State &s) { run_vxlan(s, VxMode::encap); }
BENCHMARK(BM_Worker_2048Macs_Plain);
BENCHMARK(BM_Worker_2048Macs_VxlanDecap);
BENCHMARK(BM_Worker_2048Macs_VxlanEncap);
BENCHMARK(BM_Worker_2048Macs_VxlanDecap1Vtep);

}  // namespace
}  // namespace dsw
