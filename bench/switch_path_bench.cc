// The switching path (parse + learn + lookup + forward decision) on prepared bursts of mbufs,
// bidirectional traffic between N MAC pairs, as the pcap benchmark replays it. Reports
// cycles/packet (TSC) and packets/s. No TX: this is the switch's own cost, the part testpmd
// `mac` does not have to pay.
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <unistd.h>

#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dpdk/eal.h"
#include "dpdk_switch/dpdk/owners.h"

namespace {

using namespace dsw;

constexpr unsigned kBurst = 32;

// Frame i of the replay: A_i -> B_i on even bursts (port 0), B_i -> A_i on odd ones (port 1).
std::vector<uint8_t> frame(unsigned i, bool reverse) {
    std::vector<uint8_t> f(60, 0);
    const uint8_t a[6] = {0x02, 0, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    const uint8_t b[6] = {0x02, 0, 1, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    std::copy(reverse ? a : b, (reverse ? a : b) + 6, f.begin());
    std::copy(reverse ? b : a, (reverse ? b : a) + 6, f.begin() + 6);
    f[12] = 0x08;
    return f;
}

struct Fixture {
    rte_rcu_qsbr *rcu = nullptr;
    std::unique_ptr<MacTable> macs;
    MempoolPtr pool;
    std::vector<rte_mbuf *> mbufs;   // pairs * 2 frames, in replay order
    std::unique_ptr<LcoreCounters> counters = std::make_unique<LcoreCounters>();
    PortSlot slot;   // an access port of the default VLAN

    explicit Fixture(unsigned pairs, unsigned table_size) {
        const size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
        rcu = static_cast<rte_rcu_qsbr *>(rte_zmalloc("bench_rcu", sz, RTE_CACHE_LINE_SIZE));
        rte_rcu_qsbr_init(rcu, RTE_MAX_LCORE);
        macs = std::move(MacTable::create("bench_macs_" + std::to_string(pairs), table_size, SOCKET_ID_ANY, rcu).value());
        const unsigned n = std::max(pairs * 2, kBurst * 2);
        pool = std::move(make_pktmbuf_pool("bench_pool_" + std::to_string(pairs), n + 64, SOCKET_ID_ANY).value());
        for (unsigned i = 0; i < n; ++i) {
            const auto f = frame(i % pairs, (i / kBurst) % 2 == 1);
            rte_mbuf *m = rte_pktmbuf_alloc(pool.get());
            std::memcpy(rte_pktmbuf_append(m, 60), f.data(), 60);
            mbufs.push_back(m);
        }
    }
    ~Fixture() {
        for (rte_mbuf *m : mbufs) rte_pktmbuf_free(m);
        macs.reset();
        rte_free(rcu);
    }
};

void run_path(benchmark::State &state, unsigned pairs, unsigned table_size) {
    Fixture fx(pairs, table_size);
    SwitchPath path(*fx.macs, nullptr);
    BurstDecision d;
    const unsigned nbursts = static_cast<unsigned>(fx.mbufs.size() / kBurst);
    // Warm-up pass: learn every MAC (forwarding steady state, as after the pcap warm-up).
    for (unsigned b = 0; b < nbursts; ++b)
        path.classify(&fx.mbufs[b * kBurst], kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
    uint64_t packets = 0, cycles = 0;
    unsigned b = 0;
    for (auto _ : state) {
        const uint64_t t0 = rte_rdtsc();
        path.classify(&fx.mbufs[b * kBurst], kBurst, Ingress{static_cast<uint16_t>(b % 2), &fx.slot}, 0, d, *fx.counters);
        cycles += rte_rdtsc() - t0;
        benchmark::DoNotOptimize(d);
        packets += kBurst;
        if (++b == nbursts) b = 0;
    }
    state.SetItemsProcessed(static_cast<int64_t>(packets));
    state.counters["cycles_per_packet"] = static_cast<double>(cycles) / static_cast<double>(packets);
    state.counters["macs"] = pairs * 2;
}

void BM_SwitchPath_2Macs(benchmark::State &s) { run_path(s, 1, 65536); }
void BM_SwitchPath_2048Macs(benchmark::State &s) { run_path(s, 1024, 65536); }
BENCHMARK(BM_SwitchPath_2Macs);
BENCHMARK(BM_SwitchPath_2048Macs);

}  // namespace

int main(int argc, char **argv) {
    const std::string prefix = "dswbench" + std::to_string(getpid());
    auto eal = Eal::init({"dsw_bench", "-l", "0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix", prefix,
                          "--log-level", "*:warning"});
    if (!eal) {
        std::fprintf(stderr, "%s\n", eal.error().message.c_str());
        return 1;
    }
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
