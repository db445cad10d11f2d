// dsw_host_probe: how much of one CPU a guest really gets, measured from inside the guest.
//
// On a shared host the hypervisor may run other tenants on our vCPU's physical core. The guest
// does not see it (no steal time in /proc/stat on a PVM guest), yet a window of a packet-rate
// run loses much of its rate (BENCHMARKS.md, runs of 2026-12-03). The probe spins on one CPU
// doing a fixed chain of dependent multiplies, reading the TSC between chunks of it:
//   - a gap between two TSC reads far longer than a chunk takes is time the vCPU did not run
//     (the hypervisor's, or the guest's own interrupts), like hwlat_detector: "gaps_per_ms" is
//     how often that happens, "gap_pct" the share of the time lost;
//   - the chunks done per microsecond of TSC drop when the core is shared with a sibling
//     thread of another tenant, even without gaps: "work_per_us".
// Without --every-ms: one spin of --ms (300). With it, spins of --ms (1) repeat every --every-ms
// for --for-s seconds, or until SIGTERM: a sample of the CPU, taking --ms/--every-ms of it from
// whatever else runs there. The bench scripts take their samples this way, before a run and
// during its window (scripts/bench_quiet.sh).
//
// usage: dsw_host_probe [--cpu N] [--ms MS] [--gap-us US] [--every-ms MS --for-s S]
// prints one JSON object on stdout.
#include <getopt.h>
#include <sched.h>
#include <signal.h>
#include <x86intrin.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace {

struct Options {
    int cpu = -1;          // -1 (or no --cpu): where the scheduler puts us
    unsigned ms = 0;       // 0: 300, or 1 with --every-ms
    double gap_us = 20.0;  // a chunk takes ~0.05 us: 400 times that is not the chunk
    unsigned every_ms = 0; // 0: one spin
    double for_s = 0;
};

// Options through getopt_long, as the switch's own programs take theirs (no word that is not
// an option; ":" and opterr 0: every mistake ends in our usage line alone).
bool parse(int argc, char **argv, Options &o) {
    const option longopts[] = {
        {"cpu", required_argument, nullptr, 'c'},
        {"ms", required_argument, nullptr, 'm'},
        {"gap-us", required_argument, nullptr, 'g'},
        {"every-ms", required_argument, nullptr, 'e'},
        {"for-s", required_argument, nullptr, 'f'},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":", longopts, nullptr)) != -1;) {
        if (c == ':' || c == '?') return false;
        char *end = nullptr;
        const char *v = optarg;
        switch (c) {
        case 'c': o.cpu = static_cast<int>(std::strtol(v, &end, 10)); break;
        case 'm': o.ms = static_cast<unsigned>(std::strtoul(v, &end, 10)); break;
        case 'g': o.gap_us = std::strtod(v, &end); break;
        case 'e': o.every_ms = static_cast<unsigned>(std::strtoul(v, &end, 10)); break;
        default: o.for_s = std::strtod(v, &end); break;
        }
        if (end == v || *end != '\0') return false;
    }
    if (optind != argc) return false;
    if (o.every_ms == 0 && o.for_s != 0) return false;   // --for-s belongs to a sample
    if (o.ms == 0) o.ms = o.every_ms ? 1 : 300;
    if (o.every_ms != 0 && (o.for_s <= 0 || o.for_s > 3600 || o.ms >= o.every_ms)) return false;
    return o.cpu >= -1 && o.ms <= 60000 && o.gap_us > 0 && o.every_ms <= 60000;
}

volatile sig_atomic_t g_stop = 0;
extern "C" void on_stop(int) { g_stop = 1; }

// What the spins saw, summed over all of them.
struct Seen {
    uint64_t spun = 0, chunks = 0, gaps = 0, gap_ticks = 0, max_gap = 0, x = 0x9e3779b97f4a7c15ULL;
};

void spin(uint64_t span, uint64_t gap, Seen &s) {
    uint64_t x = s.x, chunks = 0;
    const uint64_t start = __rdtsc();
    uint64_t last = start, now = start;
    while (now - start < span) {
        for (int k = 0; k < 32; ++k) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        asm volatile("" : "+r"(x));
        ++chunks;
        now = __rdtsc();
        const uint64_t d = now - last;
        if (d > gap) ++s.gaps, s.gap_ticks += d, s.max_gap = d > s.max_gap ? d : s.max_gap;
        last = now;
    }
    s.spun += now - start, s.chunks += chunks, s.x = x;
}

// TSC ticks per microsecond, from the TSC against the monotonic clock over 50 ms.
double tsc_per_us() {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t c0 = __rdtsc();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const uint64_t c1 = __rdtsc();
    const auto t1 = std::chrono::steady_clock::now();
    return static_cast<double>(c1 - c0) / std::chrono::duration<double, std::micro>(t1 - t0).count();
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr, "usage: dsw_host_probe [--cpu N] [--ms MS] [--gap-us US] [--every-ms MS --for-s S]\n");
        return 2;
    }
    if (o.cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o.cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0) {
            std::fprintf(stderr, "dsw_host_probe: cannot run on CPU %d: %s\n", o.cpu, std::strerror(errno));
            return 1;
        }
    }
    if (o.every_ms != 0) signal(SIGTERM, on_stop), signal(SIGINT, on_stop);   // stop, and print what was seen
    const double per_us = tsc_per_us();
    const uint64_t span = static_cast<uint64_t>(per_us * 1000.0 * o.ms);
    const uint64_t gap = static_cast<uint64_t>(per_us * o.gap_us);
    Seen seen;
    unsigned spins = 0;
    if (o.every_ms == 0) {
        spin(span, gap, seen), spins = 1;
    } else {   // a sample: one short spin every every_ms, so the CPU's owner keeps the rest
        const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(o.for_s);
        auto next = std::chrono::steady_clock::now();
        while (!g_stop && next < end) {
            spin(span, gap, seen), ++spins;
            next += std::chrono::milliseconds(o.every_ms);
            std::this_thread::sleep_until(next);
        }
    }
    const double us = static_cast<double>(seen.spun) / per_us;
    std::printf("{\"cpu\": %d, \"ms\": %u, \"spins\": %u, \"every_ms\": %u, \"tsc_mhz\": %.1f, "
                "\"work_per_us\": %.3f, \"gaps_per_ms\": %.3f, \"gap_pct\": %.3f, \"gaps\": %llu, "
                "\"max_gap_us\": %.1f, \"check\": %llu}\n",
                sched_getcpu(), o.ms, spins, o.every_ms, per_us, us > 0 ? static_cast<double>(seen.chunks) / us : 0.0,
                us > 0 ? 1000.0 * static_cast<double>(seen.gaps) / us : 0.0,
                seen.spun ? 100.0 * static_cast<double>(seen.gap_ticks) / static_cast<double>(seen.spun) : 0.0,
                static_cast<unsigned long long>(seen.gaps), static_cast<double>(seen.max_gap) / per_us,
                static_cast<unsigned long long>(seen.x & 0xff));
    return 0;
}
