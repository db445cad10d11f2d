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

namespace dsw {
namespace {

using bench::kBurst;

enum class VxMode { plain, decap, decap1, encap };

constexpr uint16_t kVlan = 10;
constexpr uint32_t kVni = 1010;
constexpr unsigned kPairs = 1024;   // L_i and R_i: 2048 MACs
constexpr unsigned kVteps = 4;
constexpr uint16_t kUnderlay = 0, kLocal = 1, kPeer = 2, kFirstVtep = 3;
constexpr uint32_t kLocalIp = 0xc0a80901;   // 192.168.9.1; VTEP k is 192.168.9.(2 + k)
constexpr uint64_t kLocalMac = 0x010000bb0002ULL;   // 02:00:bb:00:00:01 in mac_key.h's order

uint64_t host_mac(unsigned i, bool remote) {
    const uint8_t b[6] = {0x02, 0, static_cast<uint8_t>(remote), 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    return mac_from_bytes(b);
}
uint64_t vtep_mac(unsigned k) {
    const uint8_t b[6] = {0x02, 0xcc, 0, 0, 0, static_cast<uint8_t>(k)};
    return mac_from_bytes(b);
}
uint32_t vtep_ip(unsigned k) { return kLocalIp + 1 + k; }

void put16(uint8_t *p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
void put32(uint8_t *p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

// A 60-byte Eth/IPv4/UDP frame of pair i (as scripts/gen_pcap.py's p1024), L_i -> R_i or back.
std::vector<uint8_t> inner_frame(unsigned i, bool to_remote) {
    std::vector<uint8_t> f(60, 0);
    mac_to_bytes(host_mac(i, to_remote), f.data());
    mac_to_bytes(host_mac(i, !to_remote), f.data() + 6);
    put16(&f[12], 0x0800);
    uint8_t *ip = &f[14];
    ip[0] = 0x45;
    put16(ip + 2, 46);
    ip[8] = 64;
    ip[9] = 17;
    const uint32_t l = 0x0a000000 | (i & 0xffff), r = 0x0a010000 | (i & 0xffff);
    put32(ip + 12, to_remote ? l : r);
    put32(ip + 16, to_remote ? r : l);
    put16(ip + 20, 1024);
    put16(ip + 22, 1024);
    put16(ip + 24, 26);
    return f;
}

// `inner` as VTEP k sends it to us (RFC 7348's layout; the switch checks no outer checksum).
std::vector<uint8_t> encapsulated(const std::vector<uint8_t> &inner, unsigned k, uint16_t sport) {
    std::vector<uint8_t> f(kVxlanOuterLen, 0);
    mac_to_bytes(kLocalMac, f.data());
    mac_to_bytes(vtep_mac(k), f.data() + 6);
    put16(&f[12], 0x0800);
    f[14] = 0x45;
    put16(&f[16], static_cast<uint16_t>(36 + inner.size()));
    put16(&f[20], 0x4000);
    f[22] = 64;
    f[23] = 17;
    put32(&f[26], vtep_ip(k));
    put32(&f[30], kLocalIp);
    put16(&f[34], sport);
    put16(&f[36], 4789);
    put16(&f[38], static_cast<uint16_t>(16 + inner.size()));
    f[42] = kVxlanFlagI;
    put32(&f[46], kVni << 8);
    f.insert(f.end(), inner.begin(), inner.end());
    return f;
}

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
