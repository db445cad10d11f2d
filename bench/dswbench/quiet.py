"""Waiting until nothing else keeps the 2 vCPUs busy before a measured run, in the guest or (as far as a
probe can tell) on the host; and the verdicts on the host probe's readings (bench/README.md).

On a shared host the hypervisor runs other tenants on our vCPUs' cores, and the guest does not see it: no
steal time in /proc/stat, the CPUs read idle, yet testpmd io falls from ~81 to ~50 Mpps for seconds to minutes
at a time. dsw_host_probe (bench/host_probe.cc) spins 1 ms at a time on one CPU and counts how often the CPU
was taken from it (gaps in the TSC). Sampled during testpmd windows on this host (BENCHMARKS.md): 0.05-0.70
gaps/ms in every window at its usual rate, 0.78-0.98 in every window 23-36% slower. On the idle CPU before a
window, the same sampling reads more, in steps of 0.05 (20 spins): 0.60-0.95 before windows at the usual
rate (0.95 once), 0.95-2.0 before slow ones (1.00 in 6 of 11).
"""
import json
import os
import subprocess
import threading
import time

from . import env
from .common import Fatal, log
from .procs import OWN

DPDK_NAMES = ("dpdk-testpmd", "dpdk_switch", "ovs-vswitchd", "ovs-vswitchd-dp")


def limits():
    """The readings' limits (env DSW_BENCH_MAX_GAPS_PER_MS, _IDLE_GAPS_PER_MS, _LOST_PCT)."""
    return (float(os.environ.get("DSW_BENCH_MAX_GAPS_PER_MS", "0.7")),
            float(os.environ.get("DSW_BENCH_MAX_IDLE_GAPS_PER_MS", "0.95")),
            float(os.environ.get("DSW_BENCH_MAX_LOST_PCT", "20")))


def probe_contended(p, idle):
    """Why one dsw_host_probe reading is contended ("" if it is not): its CPU was taken too often (other
    tenants on the host), or it lost more than DSW_BENCH_MAX_LOST_PCT% of its time (to anything). Too often:
    DSW_BENCH_MAX_GAPS_PER_MS times a ms in a window, where the probe preempts a busy forwarder;
    DSW_BENCH_MAX_IDLE_GAPS_PER_MS on the idle CPU before a run, which reads more gaps on the same host."""
    busy_rate, idle_rate, lost = limits()
    rate = idle_rate if idle else busy_rate
    if not p or (p.get("gaps_per_ms", 0) <= rate and p.get("gap_pct", 0) <= lost):
        return ""
    return "CPU %s taken %.2f times a ms (limit %s), %.1f%% of its time lost, in %d ms of probing" % (
        p.get("cpu"), p.get("gaps_per_ms", 0), "%g" % rate, p.get("gap_pct", 0), p.get("spins", 1) * p.get("ms", 0))


def host_contended(rec):
    """Which of the host probes around and in a run read contended, and why: "" if none did."""
    probes = rec.get("host_probe") or {}
    return "; ".join("%s: %s" % (k, why) for k, p in probes.items() for why in [probe_contended(p, k != "during")]
                     if why)


def host_contended_names(runs, name):
    """(name(run), why) for each run whose host probe read contended."""
    return [(name(r), why) for r in runs for why in [host_contended(r)] if why]


def host_contended_lines(runs, name):
    """The table's lines listing the runs whose host probe read contended; name(run) says which run."""
    hit = host_contended_names(runs, name)
    if not hit:
        return []
    return ["", "host-contended runs (dsw_host_probe):"] + ["  %s: %s" % h for h in hit]


def cpu_stat():
    """The CPUs' "cpu ..." line of /proc/stat: two of them give an idle share."""
    with open("/proc/stat") as f:
        return f.readline().strip()


def idle_pct(a, b):
    """Idle share (%, a float) of all CPUs between two cpu_stat() lines; None if they do not parse.
    "cpu user nice system idle iowait ...": idle + iowait over the total."""
    try:
        x, y = [list(map(int, c.split()[1:])) for c in (a, b)]
    except (ValueError, AttributeError):
        return None
    d = [q - p for p, q in zip(x, y)]
    return 100.0 * (d[3] + d[4]) / sum(d) if sum(d) else None


def foreign_dpdk_pids():
    """Busy-polling DPDK processes we did not start."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) in OWN:
            continue
        try:
            with open("/proc/%s/comm" % d) as f:
                comm = f.read().strip()
        except OSError:
            continue
        if comm in DPDK_NAMES:
            out.append(int(d))
    return out


class Quiet:
    """The waits before each run of a part, and the host probe's readings of it (before, during)."""

    def __init__(self, force, min_idle=85, probe_cpu=1):
        self.force, self.min_idle, self.probe_cpu = force, min_idle, probe_cpu
        self.wait_s = float(os.environ.get("DSW_BENCH_HOST_WAIT_S", "180"))
        self.wait_total_s = float(os.environ.get("DSW_BENCH_HOST_WAIT_TOTAL_S", "900"))
        self.waited_s = 0.0
        self.before = self.during = None

    def wait(self):
        """Two busy pollers on 2 vCPUs would make every figure meaningless; so would a compile."""
        n = 0
        while True:
            others = foreign_dpdk_pids()
            if not others:
                break
            if self.force:
                log("  warning: other DPDK processes running: %s (--force)" % " ".join(map(str, others)))
                return
            if n == 0:
                log("  waiting for other DPDK processes to exit:")
                ps = subprocess.run(["ps", "-o", "pid=,etimes=,args=", "-p", ",".join(map(str, others))],
                                    capture_output=True, text=True).stdout
                log(ps.rstrip())
            n += 1
            if n > 600:
                raise Fatal("other DPDK processes still running after 300 s: %s" % " ".join(map(str, others)))
            time.sleep(0.5)
        # Nothing of ours runs now, so the CPUs should be nearly idle: wait (up to 5 min) until they are.
        n = 0
        while not self.force:
            a = cpu_stat()
            time.sleep(1)
            idle = idle_pct(a, cpu_stat())
            idle = 100 if idle is None else int(idle)
            if idle >= self.min_idle:
                break
            if n == 0:
                log("  waiting for the CPUs to be idle (%d%% idle, want %d%%)" % (idle, self.min_idle))
            n += 1
            if n > 300:
                log("  warning: CPUs still busy (%d%% idle) after 300 s: going on" % idle)
                break
            if foreign_dpdk_pids():
                return self.wait()
        self.wait_for_host()

    def probe(self, seconds=2):
        """PROBE_CPU sampled as in a window (the verdict's limits hold for that pattern only), or None when
        the probe is not built."""
        if not os.access(env.PROBE_BIN, os.X_OK):
            return None
        r = subprocess.run([str(env.PROBE_BIN), "--cpu", str(self.probe_cpu), "--ms", "1", "--every-ms", "100",
                            "--for-s", str(seconds)], capture_output=True, text=True)
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def wait_for_host(self):
        """Probes the CPU until it reads quiet: wait_s at most, and no more once the part has waited
        wait_total_s in all. Sets before."""
        start = time.monotonic()
        self.during = None
        self.before = self.probe()
        if self.before is None:
            return
        n = 0
        why = probe_contended(self.before, True)
        while why and not self.force:
            took = time.monotonic() - start
            if self.waited_s + took >= self.wait_total_s:
                log("  (host contended: %s; this part has waited %d s for the host already: going on)"
                    % (why, self.wait_total_s))
                break
            if n == 0:
                log("  waiting for the host (host contended: %s)" % why)
            if took >= self.wait_s:
                log("  warning: host still contended after %d s: going on" % self.wait_s)
                break
            time.sleep(3)
            n += 1
            self.before = self.probe()
            why = probe_contended(self.before, True)
        if n:
            took = time.monotonic() - start
            if not why:
                log("  host quiet again after %d s" % took)
            self.waited_s += took

    def sample(self, seconds):
        """The probe's CPU sampled during a window, in the background: 1 ms every 100 ms, so the forwarder
        there keeps 99% of it. A context manager; the reading lands in self.during."""
        return _Sample(self, seconds)

    def probes(self):
        """A record's "host_probe": the readings before and during its window."""
        return {k: v for k, v in (("before", self.before), ("during", self.during)) if v}


class _Sample:
    def __init__(self, quiet, seconds):
        self.quiet, self.seconds, self.p = quiet, seconds, None

    def __enter__(self):
        self.quiet.during = None
        if os.access(env.PROBE_BIN, os.X_OK):
            self.p = subprocess.Popen([str(env.PROBE_BIN), "--cpu", str(self.quiet.probe_cpu), "--ms", "1",
                                       "--every-ms", "100", "--for-s", "%g" % self.seconds],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            OWN.add(self.p.pid)
        return self

    def __exit__(self, *exc):
        if self.p is None:
            return False
        self.p.terminate()   # it prints what it saw on SIGTERM
        try:
            out, _ = self.p.communicate(timeout=5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            out, _ = self.p.communicate()
        OWN.discard(self.p.pid)
        try:
            self.quiet.during = json.loads(out)
        except ValueError:
            self.quiet.during = None
        return False


class CpuWatch:
    """Samples /proc every 0.2 s while a path is measured, and adds up the CPU time (utime + stime, all threads)
    that processes outside this bench used meanwhile. This bench's own processes (the forwarder, iperf3, ping:
    its descendants) are not counted, nor kernel threads (ksoftirqd, kworkers: they do the traffic's work),
    nor the OVS daemons we started (they detach). CPU time, not "was it runnable": with both CPUs saturated, a
    process that wakes for a microsecond waits runnable for a while and would look busy."""

    def __init__(self, exclude=()):
        self.exclude = set(exclude)
        self.stop_ = threading.Event()
        self.result = {}

    def __enter__(self):
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()
        return self

    def __exit__(self, *exc):
        self.stop_.set()
        self.t.join()
        return False

    def _run(self):
        me = os.getpid()
        tck = os.sysconf("SC_CLK_TCK")
        first, last, comms, dpdk = {}, {}, {}, set()
        t0 = time.monotonic()
        samples = 0
        while not self.stop_.is_set():
            stats = {}
            for d in os.listdir("/proc"):
                if not d.isdigit():
                    continue
                try:
                    with open("/proc/%s/stat" % d) as f:
                        st = f.read()
                except OSError:
                    continue
                comm = st[st.index("(") + 1:st.rindex(")")]
                stats[int(d)] = (comm, st[st.rindex(")") + 2:].split())
            ppid = {pid: int(f[1]) for pid, (_, f) in stats.items()}

            def ours(pid):
                while pid > 1:
                    if pid == me:
                        return True
                    pid = ppid.get(pid, 0)
                return False
            for pid, (comm, f) in stats.items():
                if pid in self.exclude or pid == 2 or int(f[1]) == 2 or ours(pid):
                    continue
                key = (pid, f[19])                       # pid and start time: a reused pid is another process
                ticks = int(f[11]) + int(f[12])          # utime + stime
                if comm in DPDK_NAMES:
                    dpdk.add("%s(%s)" % (comm, pid))
                if key not in first:
                    first[key] = ticks if samples == 0 else 0   # started during the window: all its time counts
                last[key] = ticks
                comms[key] = comm
            samples += 1
            self.stop_.wait(0.2)
        elapsed = time.monotonic() - t0
        used = {}
        for key, t in last.items():
            if t - first[key] > 0:
                used[comms[key]] = used.get(comms[key], 0) + (t - first[key]) / tck
        total = sum(used.values())
        share = total / (elapsed * (os.cpu_count() or 1)) if elapsed > 0 else 0.0
        self.result = dict(samples=samples, elapsed_s=elapsed, cpu_s=total, cpu_share=share,
                           busy={k: round(v, 2) for k, v in sorted(used.items(), key=lambda kv: -kv[1])[:8]},
                           dpdk=sorted(dpdk))


def contended(w, share=0.05):
    """Why a run does not count ("" if it does), from its CpuWatch result: another DPDK process ran, or
    other processes used more than SHARE of the CPUs' time."""
    why = []
    if w.get("dpdk"):
        why.append("other DPDK processes ran: " + " ".join(w["dpdk"]))
    if w.get("cpu_share", 0) > share:
        why.append("other processes used %.0f%% of the CPUs (%s CPU-s)" % (
            100 * w["cpu_share"], " ".join("%s:%.1f" % kv for kv in w.get("busy", {}).items())))
    return "; ".join(why)
