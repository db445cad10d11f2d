// The switching path (parse + learn + lookup + forward decision) on prepared bursts of mbufs,
// bidirectional traffic between N MAC pairs, as the pcap benchmark replays it. Reports
// cycles/packet (TSC) and packets/s. No TX: this is the switch's own cost, the part testpmd
// `mac` does not have to pay.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <cstdlib>
#include <unistd.h>

#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dpdk/eal.h"
#include "dpdk_switch/dpdk/owners.h"

#include "bench_timing.h"

namespace {

using namespace dsw;

using bench::kBurst;
using bench::report;
using bench::TimedCycles;

// vlan_trunk: tagged frames on a trunk, the tag popped for an access port (timed);
// vlan_trunk_keep: the same frames switched with their tag kept (trunk to trunk): the cost of
// classifying tagged frames alone; vlan_push: untagged frames on an access port of VLAN 10, a
// tag pushed for a trunk (timed).
enum class Mode { plain, proxy_on, vlan_trunk, vlan_trunk_keep, vlan_push };

// Frame of pair i: A_i -> B_i (it arrives on port 0), or B_i -> A_i (on port 1) when reversed.
// With a VLAN, the frame carries an 802.1Q tag (it arrives on a trunk).
std::vector<uint8_t> frame(unsigned i, bool reverse, uint16_t vlan) {
    std::vector<uint8_t> f(60, 0);
    const uint8_t a[6] = {0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    const uint8_t b[6] = {0x02, 0, 1, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    std::copy(reverse ? a : b, (reverse ? a : b) + 6, f.begin());
    std::copy(reverse ? b : a, (reverse ? b : a) + 6, f.begin() + 6);
    f[12] = 0x08;
    if (vlan != 0) {
        const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(vlan >> 8), static_cast<uint8_t>(vlan)};
        f.insert(f.begin() + 12, tag, tag + 4);
    }
    return f;
}

constexpr uint16_t kBenchVlan = 10;

struct Fixture {
    rte_rcu_qsbr *rcu = nullptr;
    std::unique_ptr<MacTable> macs;
    std::unique_ptr<ArpTable> arp;
    MempoolPtr pool;
    std::vector<rte_mbuf *> mbufs;   // pairs * 2 frames, in replay order
    std::unique_ptr<LcoreCounters> counters = std::make_unique<LcoreCounters>();
    PortSlot slot;   // the ingress port: an access port of the default VLAN, or a trunk

    Fixture(unsigned pairs, unsigned table_size, Mode mode, unsigned prefill = 0) {
        static unsigned instance = 0;
        const std::string tag = std::to_string(++instance);
        const size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
        rcu = static_cast<rte_rcu_qsbr *>(rte_zmalloc("bench_rcu", sz, RTE_CACHE_LINE_SIZE));
        rte_rcu_qsbr_init(rcu, RTE_MAX_LCORE);
        macs = std::move(MacTable::create("bench_macs_" + tag, table_size, SOCKET_ID_ANY, rcu).value());
        if (mode == Mode::proxy_on) arp = std::move(ArpTable::create("bench_arp_" + tag, 4096, SOCKET_ID_ANY, rcu).value());
        if (mode == Mode::vlan_trunk || mode == Mode::vlan_trunk_keep) {
            slot.trunk = true;
            slot.allowed[kBenchVlan >> 6] |= 1ULL << (kBenchVlan & 63);
        } else if (mode == Mode::vlan_push) {
            slot.access_vlan = kBenchVlan;
            slot.allowed[kBenchVlan >> 6] |= 1ULL << (kBenchVlan & 63);
        } else {
            slot.allowed[0] |= 1;   // an access port of the default VLAN 0
        }
        // Other hosts the table already knows (the 1M-MAC case): 02:00:02:xx:xx:xx, host k
        // behind port k % 2, the two ports the bursts arrive on.
        for (unsigned k = 0; k < prefill; ++k) {
            const uint8_t m[6] = {0x02, 0, 2, static_cast<uint8_t>(k >> 16), static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k)};
            const MacKey key = make_mac_key(mac_from_bytes(m), 0);
            macs->learn(key, macs->lookup(key), static_cast<uint16_t>(k % 2), 0);
        }
        const unsigned n = std::max(pairs * 2, kBurst * 2);
        pool = std::move(make_pktmbuf_pool("bench_pool_" + tag, n + 64, SOCKET_ID_ANY).value());
        const uint16_t vlan = slot.trunk ? kBenchVlan : 0;
        // Bursts 2m and 2m+1 carry the same 32 pairs, A -> B on port 0 and back on port 1, so
        // that the warm-up learns both ends of every pair and the timed rounds forward known
        // unicast. (Until 2026-11-24 each pair went one way only: every destination was unknown
        // and the 2048-MAC rows measured the flood decision.)
        for (unsigned i = 0; i < n; ++i) {
            const unsigned pair = ((i / kBurst / 2) * kBurst + i % kBurst) % pairs;
            const auto f = frame(pair, (i / kBurst) % 2 == 1, vlan);
            rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(f.size())), f.data(), f.size());
            mbufs.push_back(m);
        }
    }
    ~Fixture() {
        for (rte_mbuf *m : mbufs) rte_pktmbuf_free(m);
        macs.reset();
        arp.reset();
        rte_free(rcu);
    }
};

// Rewrites a burst's MACs to random hosts of the prefilled set (the 1M case): the frames stay in
// cache as after RX, while every lookup lands on a random bucket of the large table. Sources are
// hosts behind the ingress port (as in a network that is not moving), destinations hosts behind
// the other port (a destination behind the ingress port would be a hairpin drop).
void scatter_macs(rte_mbuf **burst, unsigned prefill, unsigned in_port, uint64_t &rng) {
    for (unsigned i = 0; i < kBurst; ++i) {
        uint8_t *p = rte_pktmbuf_mtod(burst[i], uint8_t *);
        for (unsigned off : {0u, 6u}) {
            rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
            unsigned k = static_cast<unsigned>(rng >> 33) % prefill;
            k = (k & ~1u) | (off == 6 ? in_port : 1 - in_port);   // prefill is even
            const uint8_t m[6] = {0x02, 0, 2, static_cast<uint8_t>(k >> 16), static_cast<uint8_t>(k >> 8), static_cast<uint8_t>(k)};
            std::memcpy(p + off, m, 6);
        }
    }
}

void run_path(benchmark::State &state, unsigned pairs, unsigned table_size, Mode mode = Mode::plain,
              unsigned prefill = 0) {
    Fixture fx(pairs, table_size, mode, prefill);
    SwitchPath path(*fx.macs, fx.arp.get());
    BurstDecision d;
    const unsigned nbursts = static_cast<unsigned>(fx.mbufs.size() / kBurst);
    // Warm-up pass: learn every MAC (forwarding steady state, as after the pcap warm-up).
    for (unsigned b = 0; b < nbursts; ++b)
        path.classify(&fx.mbufs[b * kBurst], kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
    uint64_t packets = 0, rng = 1;
    TimedCycles timed;
    unsigned b = 0;
    const bool pop = mode == Mode::vlan_trunk, push = mode == Mode::vlan_push;
    for (auto _ : state) {
        rte_mbuf **burst = &fx.mbufs[b * kBurst];
        if (prefill != 0) scatter_macs(burst, prefill, b % 2, rng);   // not timed
        const uint64_t t0 = rte_rdtsc();
        path.classify(burst, kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
        // What the edge does for trunk -> access: pop the tag (timed); pushing it back restores
        // the frame for the next round (not timed). And the other way for access -> trunk.
        if (pop)
            for (unsigned i = 0; i < kBurst; ++i) vlan_untag_in_place(burst[i]);
        if (push)
            for (unsigned i = 0; i < kBurst; ++i) (void)vlan_tag_in_place(burst[i], kBenchVlan);
        timed.add(rte_rdtsc() - t0);
        if (pop)
            for (unsigned i = 0; i < kBurst; ++i) (void)vlan_tag_in_place(burst[i], kBenchVlan);
        if (push)
            for (unsigned i = 0; i < kBurst; ++i) vlan_untag_in_place(burst[i]);
        benchmark::DoNotOptimize(d);
        packets += kBurst;
        if (++b == nbursts) b = 0;
    }
    // What was timed must be the forwarding of known unicast, each frame to the other port.
    for (unsigned i = 0; i < kBurst; ++i)
        if (d.out[i] >= kMaxPorts) state.SkipWithError("a frame was not switched as known unicast");
    report(state, packets, timed, pairs * 2 + prefill);
}

// Learning: every frame has a source MAC the table has never seen. Reports new MACs per second
// (items_per_second) while the destinations are forwarded as known unicast.
void BM_LearnNewMacs(benchmark::State &state) {
    constexpr unsigned kTable = 1u << 22;
    Fixture fx(1024, kTable, Mode::plain);
    SwitchPath path(*fx.macs, nullptr);
    BurstDecision d;
    const unsigned nbursts = static_cast<unsigned>(fx.mbufs.size() / kBurst);
    for (unsigned b = 0; b < nbursts; ++b)
        path.classify(&fx.mbufs[b * kBurst], kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
    uint64_t packets = 0, next_src = 0;
    TimedCycles timed;
    unsigned b = 0;
    for (auto _ : state) {
        rte_mbuf **burst = &fx.mbufs[b * kBurst];
        for (unsigned i = 0; i < kBurst; ++i, ++next_src) {   // fresh sources: 02:00:03:xx:xx:xx
            uint8_t *p = rte_pktmbuf_mtod(burst[i], uint8_t *);
            p[6] = 0x02, p[7] = 0x00, p[8] = 0x03;
            p[9] = static_cast<uint8_t>(next_src >> 16), p[10] = static_cast<uint8_t>(next_src >> 8),
            p[11] = static_cast<uint8_t>(next_src);
        }
        const uint64_t t0 = rte_rdtsc();
        path.classify(burst, kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
        timed.add(rte_rdtsc() - t0);
        packets += kBurst;
        if (++b == nbursts) b = 0;
        if (fx.macs->size() > kTable - 4 * kBurst) {   // full: start again (not timed)
            state.PauseTiming();
            fx.macs->flush();
            next_src = 0;
            state.ResumeTiming();
        }
    }
    const double secs = static_cast<double>(timed.cycles) / static_cast<double>(rte_get_tsc_hz());
    state.counters["new_macs_per_s"] = static_cast<double>(packets) / secs;
    report(state, packets, timed, 0);
}

// The extra cost of a cross-worker hand-off: a burst goes onto the egress port's MP/SC ring
// (as TxStage does for a port another worker owns) and comes off it (as the owner drains it).
// One thread, so it measures the ring operations, not the cache-line transfer between cores.
void BM_RingHandoff(benchmark::State &state) {
    Fixture fx(16, 1024, Mode::plain);
    auto ring = make_ring("bench_handoff", 1024, SOCKET_ID_ANY, RING_F_SC_DEQ);
    rte_mbuf *out[kBurst];
    uint64_t packets = 0;
    TimedCycles timed;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        const unsigned q = rte_ring_mp_enqueue_burst(ring->get(), reinterpret_cast<void **>(fx.mbufs.data()), kBurst, nullptr);
        const unsigned d = rte_ring_sc_dequeue_burst(ring->get(), reinterpret_cast<void **>(out), kBurst, nullptr);
        timed.add(rte_rdtsc() - t0);
        benchmark::DoNotOptimize(out);
        if (q != kBurst || d != kBurst) state.SkipWithError("ring lost frames");
        packets += kBurst;
    }
    report(state, packets, timed, 0);
}

// Not the switch: the host's memory latency, for reading the 1M-MAC row. Its lookups miss every
// cache, so it follows this host's DRAM latency, which other tenants move (the same binary read
// far apart at different hours of 2026-12-04, with few gaps: BENCHMARKS.md, "Figures behind
// code comments"). One dependent load at a time through a random cycle of cache lines in 128 MiB of
// hugepage memory (4x the L3): cycles per load, reported as cycles_per_packet.
void BM_HostMemoryLatency(benchmark::State &state) {
    constexpr size_t kLines = (128u << 20) / 64;
    struct alignas(64) Line {
        uint32_t next;
    };
    auto *mem = static_cast<Line *>(rte_malloc("bench_latency", kLines * sizeof(Line), RTE_CACHE_LINE_SIZE));
    if (mem == nullptr) {
        state.SkipWithError("no memory for the pointer chase");
        return;
    }
    // Sattolo's shuffle: one cycle through every line, so the chase never settles in a cache.
    std::vector<uint32_t> order(kLines);
    for (uint32_t i = 0; i < kLines; ++i) order[i] = i;
    uint64_t rng = 1;
    for (size_t i = kLines - 1; i > 0; --i) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        std::swap(order[i], order[(rng >> 33) % i]);
    }
    for (size_t i = 0; i < kLines; ++i) mem[order[i]].next = order[(i + 1) % kLines];
    constexpr unsigned kChase = 32;   // about 6 us a round: under the 20-us gap limit
    uint64_t loads = 0;
    uint32_t at = order[0];
    TimedCycles timed;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        for (unsigned i = 0; i < kChase; ++i) at = mem[at].next;
        timed.add(rte_rdtsc() - t0);
        loads += kChase;
    }
    benchmark::DoNotOptimize(at);
    report(state, loads, timed, 0);
    state.counters["ns_per_load"] = static_cast<double>(timed.cycles) * 1e9 / static_cast<double>(rte_get_tsc_hz()) /
                                    static_cast<double>(loads);
    rte_free(mem);
}

void BM_SwitchPath_2Macs(benchmark::State &s) { run_path(s, 1, 65536); }
void BM_SwitchPath_2048Macs(benchmark::State &s) { run_path(s, 1024, 65536); }
void BM_SwitchPath_2048Macs_ProxyOn(benchmark::State &s) { run_path(s, 1024, 65536, Mode::proxy_on); }
void BM_SwitchPath_2048Macs_TrunkPop(benchmark::State &s) { run_path(s, 1024, 65536, Mode::vlan_trunk); }
void BM_SwitchPath_2048Macs_TrunkKeep(benchmark::State &s) { run_path(s, 1024, 65536, Mode::vlan_trunk_keep); }
void BM_SwitchPath_2048Macs_AccessPush(benchmark::State &s) { run_path(s, 1024, 65536, Mode::vlan_push); }
// 1,048,576 MACs in the table, every frame between two random ones of them: lookups miss the
// caches (the table is 64 MiB).
void BM_SwitchPath_1MMacs(benchmark::State &s) { run_path(s, 1024, 1u << 21, Mode::plain, (1u << 20) - 2048); }
BENCHMARK(BM_SwitchPath_2Macs);
BENCHMARK(BM_SwitchPath_2048Macs);
BENCHMARK(BM_SwitchPath_2048Macs_ProxyOn);
BENCHMARK(BM_SwitchPath_2048Macs_TrunkPop);
BENCHMARK(BM_SwitchPath_2048Macs_TrunkKeep);
BENCHMARK(BM_SwitchPath_2048Macs_AccessPush);
BENCHMARK(BM_SwitchPath_1MMacs);
BENCHMARK(BM_LearnNewMacs);
BENCHMARK(BM_RingHandoff);
BENCHMARK(BM_HostMemoryLatency);

}  // namespace

int main(int argc, char **argv) {
    const std::string prefix = "dswbench" + std::to_string(getpid());
    // Hugepages when the machine has them (a 64 MiB table on 4 KiB pages measures the TLB, not
    // the switch); else the --no-huge fallback.
    const bool huge = access("/dev/hugepages", F_OK) == 0 && std::getenv("DSW_BENCH_NO_HUGE") == nullptr;
    auto eal = huge ? Eal::init({"dsw_bench", "-l", "0", "--in-memory", "-m", "1024", "--no-pci", "--file-prefix", prefix,
                                 "--log-level", "*:warning"})
                    : Eal::init({"dsw_bench", "-l", "0", "--no-huge", "-m", "1024", "--no-pci", "--file-prefix", prefix,
                                 "--log-level", "*:warning"});
    if (!eal) {
        std::fprintf(stderr, "%s\n", eal.error().message.c_str());
        return 1;
    }
    eal->remove_runtime_dir_at_exit();   // /var/run/dpdk/dswbench<pid>: one per run otherwise
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
