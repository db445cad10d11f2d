// dsw_cpu_pair_probe: how long a cache line takes to go from one CPU to another, measured from
// inside the guest.
//
// A guest's two vCPUs are threads of the host, placed by its scheduler: on one EPYC core
// complex (sharing an L3) a line written on one vCPU reaches the other in tens of ns; on two,
// it crosses the I/O die, several times longer. A loop whose two sides share rings (the memif
// loop: testpmd on CPU 0, the switch's worker on CPU 1) moves lines between the vCPUs for every
// frame, so its rate follows where the host put them (BENCHMARKS.md, mprf). The guest cannot
// choose; it can only measure, and label each run with what it measured.
//
// Two threads, pinned to --a and --b, bounce one cache line --n times. Run as SCHED_FIFO
// (`chrt -f 50`) in the middle of a run, it preempts the pollers at once: their vCPUs never
// go idle, so the host has no reason to move them, and the probe sees the run's placement.
// A spin that never ends (the other thread never ran) gives up after --timeout-ms.
//
// usage: dsw_cpu_pair_probe [--a 0] [--b 1] [--n 20000] [--timeout-ms 1000]
// prints one JSON object on stdout: {"a":0,"b":1,"n":20000,"one_way_ns":55.1}
#include <getopt.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    int a = 0, b = 1;
    long n = 20000;
    long timeout_ms = 1000;
};

// Options through getopt_long, as the switch's own programs take theirs (no word that is not
// an option; ":" and opterr 0: every mistake ends in our usage line alone).
bool parse(int argc, char **argv, Options &o) {
    const option longopts[] = {
        {"a", required_argument, nullptr, 'a'},
        {"b", required_argument, nullptr, 'b'},
        {"n", required_argument, nullptr, 'n'},
        {"timeout-ms", required_argument, nullptr, 't'},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, ":", longopts, nullptr)) != -1;) {
        if (c == ':' || c == '?') return false;
        char *end = nullptr;
        const long x = std::strtol(optarg, &end, 10);
        if (end == optarg || *end != '\0') return false;
        switch (c) {
        case 'a': o.a = static_cast<int>(x); break;
        case 'b': o.b = static_cast<int>(x); break;
        case 'n': o.n = x; break;
        default: o.timeout_ms = x; break;
        }
    }
    return optind == argc && o.a >= 0 && o.b >= 0 && o.a != o.b && o.a < CPU_SETSIZE && o.b < CPU_SETSIZE &&
           o.n > 0 && o.n <= 100000000 && o.timeout_ms > 0;
}

// The line both threads write: odd values from a, even from b.
alignas(64) std::atomic<long> line{0};
std::atomic<bool> gave_up{false};
Clock::time_point give_up_at;

// Waits until the line holds `want`; false when the time is up (or the other side gave up).
bool wait_for(long want) {
    unsigned spins = 0;
    while (line.load(std::memory_order_acquire) != want) {
        if (++spins % 4096 == 0 && (gave_up.load(std::memory_order_relaxed) || Clock::now() > give_up_at)) {
            gave_up.store(true, std::memory_order_relaxed);
            return false;
        }
    }
    return true;
}

long rounds;

void *side_b(void *) {
    for (long i = 0; i < rounds; ++i) {
        if (!wait_for(2 * i + 1)) return nullptr;
        line.store(2 * i + 2, std::memory_order_release);
    }
    return nullptr;
}

}  // namespace

int main(int argc, char **argv) {
    Options o;
    if (!parse(argc, argv, o)) {
        std::fprintf(stderr, "usage: dsw_cpu_pair_probe [--a CPU] [--b CPU] [--n ROUNDS] [--timeout-ms MS]\n");
        return 2;
    }
    rounds = o.n;
    give_up_at = Clock::now() + std::chrono::milliseconds(o.timeout_ms);
    // b is made on its CPU: a SCHED_FIFO thread made on a's CPU could never run there to move.
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.b, &set);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    pthread_t tb;
    if (const int e = pthread_create(&tb, &attr, side_b, nullptr); e != 0) {
        std::fprintf(stderr, "dsw_cpu_pair_probe: thread on CPU %d: %s\n", o.b, std::strerror(e));
        return 1;
    }
    CPU_ZERO(&set);
    CPU_SET(o.a, &set);
    if (const int e = pthread_setaffinity_np(pthread_self(), sizeof set, &set); e != 0) {
        std::fprintf(stderr, "dsw_cpu_pair_probe: CPU %d: %s\n", o.a, std::strerror(e));
        gave_up.store(true);
        pthread_join(tb, nullptr);
        return 1;
    }
    const Clock::time_point t0 = Clock::now();
    bool ok = true;
    for (long i = 0; i < o.n && ok; ++i) {
        line.store(2 * i + 1, std::memory_order_release);
        ok = wait_for(2 * i + 2);
    }
    const Clock::time_point t1 = Clock::now();
    pthread_join(tb, nullptr);
    if (!ok) {
        std::fprintf(stderr, "dsw_cpu_pair_probe: the other thread did not answer in %ld ms\n", o.timeout_ms);
        return 1;
    }
    const double ns = std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(2 * o.n);
    std::printf("{\"a\":%d,\"b\":%d,\"n\":%ld,\"one_way_ns\":%.1f}\n", o.a, o.b, o.n, ns);
    return 0;
}
