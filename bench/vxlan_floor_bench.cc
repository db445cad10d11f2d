// The floor of VXLAN's cost per frame: only the work no VTEP can leave out, on the frames and
// buffers of vxlan_path_bench.cc's rows (1024 60-byte frames, 32-frame bursts in the same order,
// mbufs of a real pool), timed per burst as those rows are. Issue 30 asks encap + decap <= 15
// cycles/packet over plain switching; the worker's rows minus Plain say what the switch spends,
// these rows what it could not avoid spending, and the difference is the switch's bookkeeping.
//   Empty: the timing around a call that does nothing (what the other floor rows carry besides
//          their work; the worker's rows carry it too, and subtracting Plain takes it out);
//   Encap: per frame the inner flow's hash (vxlan_source_port_untagged), the 50 outer bytes with
//          their lengths, checksum and source port (vxlan_outer_write, from the frame's VTEP's
//          template) and the mbuf's lengths and offset (rte_pktmbuf_prepend), the header line
//          fetched for writing 4 frames ahead (the real path fetches it when it queues the frame);
//   EncapNoPrefetch: the same without the fetch;
//   Decap: per frame the checks a VTEP must make (IPv4 without options, not a fragment, to our
//          address, UDP to our port, the I flag: one masked compare of 32 bytes; the IPv4 length
//          against the frame's; the VNI mapped, by VxlanView::vlan_of; the source a known VTEP,
//          by VxlanView::vtep_port) and the strip (rte_pktmbuf_adj), the VTEP's port and the
//          VLAN written out for the switch.
// Left out as not the VTEP's own work or not needed per frame: counters, the offload flags,
// the queue to the underlay's batch, a cache of the last VNI or VTEP.
// Each row as it stands takes the frames' lines from wherever the previous bursts left them
// (mostly L2: 1024 frames' lines are more than L1 holds), a cache miss plain switching pays
// too; the *Warm rows bring in, untimed, what the worker's RX and classify read before the
// VTEP's work (the mbuf's first line and the frame's first line), so that they compare with a
// worker row minus Plain.
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#ifdef __AVX2__
#include <immintrin.h>
#endif

#include <benchmark/benchmark.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dpdk_switch/dataplane/vxlan_encap.h"
#include "dpdk_switch/dataplane/vxlan_view.h"
#include "dpdk_switch/dpdk/owners.h"

#include "bench_timing.h"
#include "vxlan_frames.h"

namespace dsw {

// A named namespace (not an anonymous one): scripts/bench_instructions.sh counts what runs
// under dsw::vxfloor:: by that name.
namespace vxfloor {

using namespace bench;

constexpr uint16_t kFirstVtep = 3;   // the VTEPs' port indices, as in vxlan_path_bench.cc
constexpr unsigned kPrefetchAhead = 4;

// Each VTEP's outer headers 64-byte aligned, as TxStage keeps them (vtep_outer_).
struct alignas(64) AlignedOuter {
    VxlanOuter outer;
};

// What decapsulation must see in bytes 12-43 of the outer headers (ethertype to the VXLAN
// flags): the bits that matter and their value.
struct OuterCheck {
    alignas(32) uint8_t care[32] = {};
    alignas(32) uint8_t want[32] = {};
};

OuterCheck outer_check(const VxlanView &vx) {
    OuterCheck c;
    auto at = [](unsigned off) { return off - 12; };
    c.care[at(12)] = c.care[at(13)] = c.care[at(14)] = 0xff;
    c.want[at(12)] = 0x08;   // IPv4
    c.want[at(14)] = 0x45;   // version 4, no options
    c.care[at(20)] = 0x3f;   // MF and the fragment offset: 0
    c.care[at(21)] = 0xff;
    c.care[at(23)] = 0xff;
    c.want[at(23)] = 17;     // UDP
    std::memset(c.care + at(30), 0xff, 4);
    std::memcpy(c.want + at(30), &vx.local_ip_be, 4);
    c.care[at(36)] = c.care[at(37)] = 0xff;
    std::memcpy(c.want + at(36), &vx.udp_port_be, 2);
    c.care[at(42)] = c.want[at(42)] = kVxlanFlagI;
    return c;
}

[[gnu::noinline]] uint32_t empty_burst(rte_mbuf *const *pkts, uint16_t n) noexcept {
    asm volatile("" : : "r"(pkts), "r"(n) : "memory");
    return 0;
}

// Returns the frames it could not encapsulate (none here: every frame has the headroom).
template <bool kPrefetch>
[[gnu::noinline]] uint32_t encap_burst(rte_mbuf *const *pkts, const uint8_t *vtep, uint16_t n,
                                       const AlignedOuter *outer) noexcept {
    uint32_t fail = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (kPrefetch && i + kPrefetchAhead < n)
            rte_prefetch0_write(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], uint8_t *) - kVxlanOuterLen);
        rte_mbuf *m = pkts[i];
        const uint32_t inner_len = m->pkt_len;
        const uint16_t sport = vxlan_source_port_untagged(m, m->data_len);
        auto *hdr = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, kVxlanOuterLen));
        if (hdr == nullptr) [[unlikely]] {
            ++fail;
            continue;
        }
        vxlan_outer_write(hdr, outer[vtep[i]].outer, inner_len, sport);
    }
    return fail;
}

// Returns the frames that failed a check (none here: every frame is from a known VTEP).
[[gnu::noinline]] uint32_t decap_burst(rte_mbuf *const *pkts, uint16_t n, const VxlanView &vx, const OuterCheck &c,
                                       uint16_t *port, uint16_t *vlan) noexcept {
    constexpr uint32_t kInnerOff = kVxlanOuterLen;
    uint32_t fail = 0;
#ifdef __AVX2__
    const __m256i care = _mm256_load_si256(reinterpret_cast<const __m256i *>(c.care));
    const __m256i want = _mm256_load_si256(reinterpret_cast<const __m256i *>(c.want));
#endif
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void *));
        rte_mbuf *m = pkts[i];
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
        if (m->data_len < kInnerOff + 14) [[unlikely]] {
            ++fail;
            continue;
        }
#ifdef __AVX2__
        const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 12));
        const __m256i x = _mm256_xor_si256(_mm256_and_si256(w, care), want);
        if (!_mm256_testz_si256(x, x)) [[unlikely]] {
            ++fail;
            continue;
        }
#else
        uint64_t w[4], cw[4], ww[4], diff = 0;
        std::memcpy(w, p + 12, 32);
        std::memcpy(cw, c.care, 32);
        std::memcpy(ww, c.want, 32);
        for (unsigned j = 0; j < 4; ++j) diff |= (w[j] & cw[j]) ^ ww[j];
        if (diff) [[unlikely]] {
            ++fail;
            continue;
        }
#endif
        uint16_t ip_len_be;
        uint32_t vni_be, src;
        std::memcpy(&ip_len_be, p + 16, 2);
        std::memcpy(&vni_be, p + 46, 4);
        std::memcpy(&src, p + 26, 4);
        if (14u + __builtin_bswap16(ip_len_be) != m->pkt_len) [[unlikely]] {
            ++fail;
            continue;
        }
        const int v = vx.vlan_of(__builtin_bswap32(vni_be) >> 8);
        const int t = vx.vtep_port(src);
        if ((v | t) < 0) [[unlikely]] {
            ++fail;
            continue;
        }
        rte_pktmbuf_adj(m, kInnerOff);
        port[i] = static_cast<uint16_t>(t);
        vlan[i] = static_cast<uint16_t>(v);
    }
    return fail;
}

enum class FloorMode { empty, encap, encap_no_prefetch, decap };

struct FloorFixture {
    FloorMode mode;
    MempoolPtr pool;
    std::unique_ptr<VxlanView> vx = std::make_unique<VxlanView>();
    std::array<AlignedOuter, kVteps> outer{};
    OuterCheck check;
    std::vector<rte_mbuf *> mbufs;                 // kPairs frames, in replay order
    std::vector<std::vector<uint8_t>> originals;   // each frame's bytes, to restore it
    std::vector<uint8_t> vtep_of;                  // each frame's VTEP (encap)
    std::array<uint16_t, kBurst> port{}, vlan{};

    bool warm;   // the burst's lines that plain switching reads brought in before it is timed

    FloorFixture(FloorMode m, bool w) : mode(m), warm(w) {
        static unsigned instance = 0;
        pool = std::move(make_pktmbuf_pool("bvf_pool_" + std::to_string(++instance), kPairs + 256, SOCKET_ID_ANY).value());
        vx->enabled = true;
        vx->local_ip_be = rte_cpu_to_be_32(kLocalIp);
        vx->udp_port_be = rte_cpu_to_be_16(4789);
        vx->local_mac = kLocalMac;
        vx->map(kVlan, kVni);
        for (unsigned k = 0; k < kVteps; ++k) {
            vx->add_vtep(static_cast<uint16_t>(kFirstVtep + k), rte_cpu_to_be_32(vtep_ip(k)));
            vxlan_outer_init(outer[k].outer, VxlanTarget{kVni, rte_cpu_to_be_32(vtep_ip(k)), vtep_mac(k)}, *vx);
        }
        check = outer_check(*vx);
        const bool dec = mode == FloorMode::decap;
        for (unsigned i = 0; i < kPairs; ++i) {
            // As vxlan_path_bench.cc's Encap row (L_i -> R_i) and Decap row (R_i -> L_i from VTEP i % 4).
            auto f = inner_frame(i, !dec);
            if (dec) f = encapsulated(f, i % kVteps, static_cast<uint16_t>(0xc000 | i));
            rte_mbuf *mb = rte_pktmbuf_alloc(pool.get());
            std::memcpy(rte_pktmbuf_append(mb, static_cast<uint16_t>(f.size())), f.data(), f.size());
            mbufs.push_back(mb);
            originals.push_back(std::move(f));
            vtep_of.push_back(static_cast<uint8_t>(i % kVteps));
        }
    }
    ~FloorFixture() {
        for (rte_mbuf *m : mbufs) rte_pktmbuf_free(m);
    }

    // What the worker's RX and classify have read of each frame before a VTEP's work starts, and
    // plain switching reads too: the mbuf's first line and the frame's first line (not timed).
    // The outer headers' line of an encapsulated frame stays out, new to the cache as it is there.
    void bring_in(size_t at) noexcept {
        uint32_t sum = 0;
        for (unsigned i = 0; i < kBurst; ++i) {
            const rte_mbuf *m = mbufs[at + i];
            sum += m->pkt_len + *rte_pktmbuf_mtod(m, const uint8_t *);
        }
        benchmark::DoNotOptimize(sum);
    }

    uint32_t run(size_t at) noexcept {
        rte_mbuf **b = &mbufs[at];
        switch (mode) {
        case FloorMode::empty: return empty_burst(b, kBurst);
        case FloorMode::encap: return encap_burst<true>(b, &vtep_of[at], kBurst, outer.data());
        case FloorMode::encap_no_prefetch: return encap_burst<false>(b, &vtep_of[at], kBurst, outer.data());
        case FloorMode::decap: return decap_burst(b, kBurst, *vx, check, port.data(), vlan.data());
        }
        return 1;
    }

    // Puts the frames of the burst at `at` back as they arrived (not timed), touching what the
    // worker rows' restore touches; with `verify` (the warm-up pass), first checks they came out
    // as they should.
    bool restore(size_t at, bool verify) {
        bool ok = true;
        for (unsigned i = 0; i < kBurst; ++i) {
            rte_mbuf *m = mbufs[at + i];
            const auto *p = verify ? rte_pktmbuf_mtod(m, const uint8_t *) : nullptr;
            switch (mode) {
            case FloorMode::empty: break;
            case FloorMode::encap:
            case FloorMode::encap_no_prefetch:
                ok &= !verify || (m->pkt_len == originals[at + i].size() + kVxlanOuterLen && p[36] == 0x12 && p[37] == 0xb5 &&
                      std::memcmp(p + kVxlanOuterLen, originals[at + i].data(), originals[at + i].size()) == 0);
                rte_pktmbuf_adj(m, kVxlanOuterLen);
                break;
            case FloorMode::decap:
                ok &= !verify || (m->pkt_len + kVxlanOuterLen == originals[at + i].size() &&
                                  port[i] == kFirstVtep + (at + i) % kVteps && vlan[i] == kVlan);
                std::memcpy(rte_pktmbuf_prepend(m, kVxlanOuterLen), originals[at + i].data(), kVxlanOuterLen);
                break;
            }
        }
        return ok;
    }
};

// Not inlined: scripts/bench_instructions.sh counts the burst function's calls from here.
[[gnu::noinline]] void run_floor(benchmark::State &state, FloorMode mode, bool warm = false) {
    FloorFixture fx(mode, warm);
    const unsigned nbursts = kPairs / kBurst;
    bool ok = true;
    for (unsigned b = 0; b < nbursts && ok; ++b) ok = fx.run(b * kBurst) == 0 && fx.restore(b * kBurst, true);
    uint64_t packets = 0;
    TimedCycles timed;
    unsigned b = 0;
    for (auto _ : state) {
        if (!ok) break;
        if (warm) fx.bring_in(b * kBurst);
        const uint64_t t0 = rte_rdtsc();
        const uint32_t fail = fx.run(b * kBurst);
        timed.add(rte_rdtsc() - t0);
        ok = fail == 0 && fx.restore(b * kBurst, false);
        packets += kBurst;
        if (++b == nbursts) b = 0;
    }
    if (!ok) {
        state.SkipWithError("a frame was not encapsulated or decapsulated as it should be");
        return;
    }
    report(state, packets, timed, 2 * kPairs);
}

void BM_VxlanFloor_2048Macs_Empty(benchmark::State &s) { run_floor(s, FloorMode::empty); }
void BM_VxlanFloor_2048Macs_Encap(benchmark::State &s) { run_floor(s, FloorMode::encap); }
void BM_VxlanFloor_2048Macs_EncapNoPrefetch(benchmark::State &s) { run_floor(s, FloorMode::encap_no_prefetch); }
void BM_VxlanFloor_2048Macs_Decap(benchmark::State &s) { run_floor(s, FloorMode::decap); }
void BM_VxlanFloor_2048Macs_EncapWarm(benchmark::State &s) { run_floor(s, FloorMode::encap, true); }
void BM_VxlanFloor_2048Macs_EncapWarmNoPrefetch(benchmark::State &s) { run_floor(s, FloorMode::encap_no_prefetch, true); }
void BM_VxlanFloor_2048Macs_DecapWarm(benchmark::State &s) { run_floor(s, FloorMode::decap, true); }
BENCHMARK(BM_VxlanFloor_2048Macs_Empty);
BENCHMARK(BM_VxlanFloor_2048Macs_Encap);
BENCHMARK(BM_VxlanFloor_2048Macs_EncapNoPrefetch);
BENCHMARK(BM_VxlanFloor_2048Macs_Decap);
BENCHMARK(BM_VxlanFloor_2048Macs_EncapWarm);
BENCHMARK(BM_VxlanFloor_2048Macs_EncapWarmNoPrefetch);
BENCHMARK(BM_VxlanFloor_2048Macs_DecapWarm);

}  // namespace vxfloor
}  // namespace dsw
