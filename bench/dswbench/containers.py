"""bench_containers: container-to-container traffic through dpdk_switch and its peers, all in one
run, on the same two containers (the method of ANCHORS.md sections 2 and 4; see bench/README.md).

  containers  netns dswb1 (172.18.0.2) and dswb2 (172.18.0.3); eth0 is a veth whose host end is
              dswbv1/dswbv2; `ethtool -K eth0 tx off` in both (scripts/container.sh)
  paths       bridge       the Linux bridge dswbbr0 over dswbv1/dswbv2 (same offloads: tx off)
              bridge-steered  the same with the containers' receive processing steered as for
                           the DPDK paths (below): shows what steering does to the bridge
              xdp-redirect the kernel's XDP redirect between the host ends, no lookup
                           (bench/xdp_redirect.c, built with clang): the least work a forwarder
                           taking frames off veth with XDP can do, a reference for the af_xdp paths
              testpmd-afp  dpdk-testpmd --forward-mode=io, net_af_packet on dswbv1/dswbv2
              switch-afp   dpdk_switch, ports type af_packet
              switch-afp-sleep  the same with switch.idle_sleep_us: 1000 (an idle worker backs off
                           1, 2, 4 ... 1000 us between empty polls): what the CPU saving costs
              switch-afp-hold   the same with switch.tx_flush_us: 50 (TX batches held up to 50 us,
                           as OVS's tx-flush-interval): what fewer TX syscalls buy and cost
              testpmd-xdp  dpdk-testpmd --forward-mode=io, net_af_xdp (hugepages)
              switch-xdp   dpdk_switch, ports type af_xdp (hugepages)
              ovs-afp      OVS-DPDK, netdev bridge, NORMAL, type=dpdk net_af_packet ports (a private
                           ovsdb + ovs-vswitchd in a temp dir; openvswitch-switch-dpdk is installed
                           with apt if missing, and the row is skipped with a note if that fails)
  per run     ping -c 20 -i 0.2 (avg RTT); iperf3 TCP 5 s (receiver Gbit/s); iperf3 UDP -b 0 -l 64
              5 s (received pps); for dpdk_switch also the CPU it uses while idle (2 s after start,
              before any traffic; cores = CPU-s / s). iperf3 server and client are pinned to CPU 0 (taskset -c 0); the
              DPDK forwarders busy-poll lcore 1 (main lcore 0).
  steering    on the af_packet paths (and bridge-steered) the kernel's receive processing of both
              containers' eth0 runs on the CPUs other than lcore 1 (rps_cpus; container.sh
              --rx-cpus): otherwise the forwarder's own TX syscall runs the receiving TCP stack,
              and for ACKs the sender's next segments, on the forwarding CPU (af_packet TCP 2.1 ->
              3.5 Gbit/s). The af_xdp paths and the plain bridge run without it, each at its best:
              steered, af_xdp TCP was no faster on this host and its RTT 40 us longer
              (BENCHMARKS.md). --steer all: every path but the plain bridge (the method before
              2026-12-05); --steer none (or --no-steer): no path.

Runs are interleaved (run 1 of every path, then run 2, ...); the table gives medians and ratios.
Raw runs: RESULTS/runs.json; logs and iperf3 JSON: RESULTS/logs/.
env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd)
"""
import argparse
import contextlib
import json
import os
import shlex
import shutil
import tempfile
import threading
import time
from pathlib import Path

from . import env
from .common import Fatal, apt_install, fmt, hugepages, log, machine_meta, median, now_iso, remove_eal_dirs, stamp
from .common import write_json, write_text
from .forwarders import EAL_CORES, DpdkSwitch, LinuxBridge, OvsDpdk, Testpmd, XdpRedirect
from .netns import Bpffs, Containers, RxTimestamps, other_cpus_mask
from .procs import quiet_run
from .quiet import DPDK_NAMES, Quiet, host_contended_lines
from .traffic import iperf, ping, ping_file, reachable, tcp_file, udp_file

NS1, NS2, IF1, IF2, IP1, IP2, PLEN = "dswb1", "dswb2", "dswbv1", "dswbv2", "172.18.0.2", "172.18.0.3", 24
BR = "dswbbr0"          # the Linux bridge
OVS_BR = "dswbovs0"     # the OVS bridge (its LOCAL port is a tap of that name)
SW_PREFIX = "dswbc"     # EAL --file-prefix of the switch
TP_PREFIX = "dswbc_tp"  # ... and of testpmd
IPERF_PORT = 5211
FWD_CPU = 1             # the forwarding lcore's CPU; containers' receive processing is steered off it
MAX_RETRIES = 2         # a run that other people's work overlapped is repeated up to this often
CONTENDED_SHARE = 0.05  # ... other work using more than this share of the CPUs' time
MIN_IDLE = 85           # before a path starts, the CPUs must be this idle (%)

ALL_PATHS = ["bridge", "bridge-steered", "xdp-redirect", "testpmd-afp", "switch-afp", "switch-afp-sleep",
             "switch-afp-hold", "testpmd-xdp", "switch-xdp", "ovs-afp"]
GROUPS = {"all": ALL_PATHS, "switch": ["switch-afp", "switch-afp-sleep", "switch-afp-hold", "switch-xdp"],
          "testpmd": ["testpmd-afp", "testpmd-xdp"],
          "afp": ["testpmd-afp", "switch-afp", "switch-afp-sleep", "switch-afp-hold", "ovs-afp"],
          "xdp": ["xdp-redirect", "testpmd-xdp", "switch-xdp"], "ovs": ["ovs-afp"], "bridge": ["bridge", "bridge-steered"]}
LABELS = {
    "bridge": "Linux bridge (tx off)",
    "bridge-steered": "Linux bridge, rx steered",
    "xdp-redirect": "kernel XDP redirect (no lookup)",
    "testpmd-afp": "testpmd io, af_packet",
    "switch-afp": "dpdk_switch, af_packet",
    "switch-afp-sleep": "dpdk_switch, af_packet, idle_sleep",
    "switch-afp-hold": "dpdk_switch, af_packet, tx hold 50 us",
    "testpmd-xdp": "testpmd io, af_xdp",
    "switch-xdp": "dpdk_switch, af_xdp",
    "ovs-afp": "OVS-DPDK NORMAL, af_packet",
}
# (numerator, denominator, target for TCP or None): the ratios the table prints
RATIOS = [
    ("switch-afp", "testpmd-afp", 0.95),
    ("switch-xdp", "bridge", 1.0),
    ("switch-xdp", "bridge-steered", None),
    ("switch-xdp", "switch-afp", None),
    ("switch-afp", "ovs-afp", None),
    ("switch-xdp", "testpmd-xdp", None),
    ("switch-xdp", "xdp-redirect", None),
    ("xdp-redirect", "bridge", None),
    ("switch-afp-sleep", "switch-afp", None),
    ("switch-afp-hold", "switch-afp", None),
]


def select_paths(only):
    want = set()
    for w in only.replace(",", " ").split():
        if w in GROUPS:
            want.update(GROUPS[w])
        elif w in ALL_PATHS:
            want.add(w)
        else:
            raise Fatal("--only: unknown path '%s' (paths: %s; groups: switch testpmd afp xdp ovs)"
                        % (w, " ".join(ALL_PATHS)))
    paths = [p for p in ALL_PATHS if p in want]
    if not paths:
        raise Fatal("--only selects no path")
    return paths


def whole(msg):
    def parse(text):
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(msg)
        return int(text)
    return parse


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench_containers.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=whole("-n wants a positive integer"), default=3)
    ap.add_argument("-t", "--tcp", dest="tcp_s", type=whole("-t/-u want whole seconds"), default=5)
    ap.add_argument("-u", "--udp", dest="udp_s", type=whole("-t/-u want whole seconds"), default=5)
    ap.add_argument("-c", "--pings", type=whole("-c wants a positive integer"), default=20)
    ap.add_argument("-o", "--results")
    ap.add_argument("--only", default="all")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--steer", choices=("afp", "all", "none"), default="afp")
    ap.add_argument("--no-steer", dest="steer", action="store_const", const="none")
    a = ap.parse_args(argv)
    a.paths = select_paths(a.only)
    return a


def steered(steer, path):
    """True when this path's receive processing goes to the other CPUs (--steer)."""
    if steer == "none" or path == "bridge":
        return False
    return not (steer == "afp" and (path.endswith("-xdp") or path == "xdp-redirect"))


# ---------------------------------------------------------------- other people's work during a run

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


def contended(w):
    """Why a run does not count ("" if it does), from its CpuWatch result."""
    why = []
    if w.get("dpdk"):
        why.append("other DPDK processes ran: " + " ".join(w["dpdk"]))
    if w.get("cpu_share", 0) > CONTENDED_SHARE:
        why.append("other processes used %.0f%% of the CPUs (%s CPU-s)" % (
            100 * w["cpu_share"], " ".join("%s:%.1f" % kv for kv in w.get("busy", {}).items())))
    return "; ".join(why)


# ---------------------------------------------------------------- records and the table

def make_record(path, run, name, cmd, rc, err, watch, repeats, logdir):
    """One run's record from the files it left in LOGDIR, and its line on stderr."""
    logdir = Path(logdir)
    rec = dict(path=path, label=LABELS.get(path, path), run=int(run), cmd=cmd.strip(), exit_status=int(rc),
               logs="logs/%s.*" % name, repeats=int(repeats), cpu_watch=watch)
    why = contended(watch)
    if why:
        rec["contended"] = why
    if err:
        rec["error"] = err
    else:
        rec.update(ping_file(logdir / (name + ".ping.txt")))
        rec.update(tcp_file(logdir / (name + ".tcp.json")))
        rec.update(udp_file(logdir / (name + ".udp.json")))
        try:
            rec["idle_cpu_cores"] = float((logdir / (name + ".idlecpu")).read_text())
        except (OSError, ValueError):
            pass
        from .common import load
        stats = load(logdir / (name + ".stats.json"))
        if stats:
            rec["switch_port_stats"] = stats.get("ports")
        lcores = load(logdir / (name + ".lcores.json"))
        if lcores and lcores.get("lcores"):   # the whole run's sends, mostly UDP's
            rec["frames_per_tx_burst"] = lcores["lcores"][0].get("frames_per_tx_burst")
        tcp_stats = load(logdir / (name + ".tcp.stats.json"))
        if tcp_stats:   # after ping and TCP: frames dropped at full RX rings, all ports
            rec["tcp_ring_drops"] = sum((p.get("kernel") or {}).get("rx_ring_full", 0)
                                        + (p.get("pmd") or {}).get("imissed", 0) for p in tcp_stats.get("ports", []))
    for k in ("ping_avg_ms", "tcp_gbps", "udp_rx_pps"):
        rec.setdefault(k, None)
    f = lambda v, s: "-" if v is None else s % v
    if err:
        line = err
    else:
        retr = str(rec.get("tcp_retransmits", "-"))
        if path.startswith("switch-"):
            retr += ", ring drops %s" % rec.get("tcp_ring_drops", "-")
            if rec.get("frames_per_tx_burst") is not None:
                retr += ", %.1f frames a send" % rec["frames_per_tx_burst"]
        line = "ping %s ms  TCP %s Gbit/s (retr %s)  UDP64 rx %s pps [sent %s]" % (
            f(rec["ping_avg_ms"], "%.3f"), f(rec["tcp_gbps"], "%.2f"), retr,
            f(rec["udp_rx_pps"], "%.0f"), f(rec.get("udp_tx_pps"), "%.0f"))
        for k in ("tcp_error", "udp_error"):
            if rec.get(k):
                line += "  (%s: %s)" % (k, rec[k])
        if rc != 0:
            line += "  (forwarder exit status %s)" % rc
        if why:
            line += "  (CONTENDED: %s)" % why
    log("  run %-2s %-12s %s" % (run, path, line))
    return rec


def thousands(x):
    return "-" if x is None else "{:,.0f}".format(x)


def steering_line(meta):
    """The table's line on receive steering (meta "steer": afp, all, none; "1"/"0" in older runs)."""
    mode = {"1": "all", "0": "none"}.get(meta.get("steer"), meta.get("steer"))
    if mode == "afp":
        return ("containers' receive processing (rps_cpus) on CPU mask %s for the af_packet paths and "
                "bridge-steered; af_xdp paths and the plain bridge unsteered (--steer afp)" % meta.get("rx_cpus"))
    if mode == "all":
        return ("containers' receive processing (rps_cpus) on CPU mask %s for every path but the plain bridge "
                "(--steer all)" % meta.get("rx_cpus"))
    return "no receive steering (--steer none)"


def summarize(runs, meta):
    """-> (runs.json's object, summary.txt's text)"""
    paths = list(dict.fromkeys(r["path"] for r in runs))
    medians = {}
    for p in paths:
        rs = [r for r in runs if r["path"] == p]
        m = {k: median([r.get(k) for r in rs]) for k in
             ("ping_avg_ms", "tcp_gbps", "tcp_retransmits", "udp_rx_pps", "udp_tx_pps", "idle_cpu_cores")}
        m.update(label=LABELS.get(p, p), runs_tcp_gbps=[r.get("tcp_gbps") for r in rs],
                 runs_ping_avg_ms=[r.get("ping_avg_ms") for r in rs],
                 runs_udp_rx_pps=[r.get("udp_rx_pps") for r in rs],
                 errors=sorted({r["error"] for r in rs if r.get("error")}))
        medians[p] = m
    lines = ["Container to container (netns dswb1 -> dswb2 over veth, tx off in both), median of %s run(s)"
             % meta.get("runs"),
             "ping -c %s -i 0.2 avg RTT; iperf3 TCP %s s receiver Gbit/s; iperf3 UDP -l 64 -b 0 %s s received pps"
             % (meta.get("pings"), meta.get("tcp_s"), meta.get("udp_s")),
             "iperf3 client and server on CPU 0 (taskset); DPDK forwarders busy-poll lcore 1",
             steering_line(meta), "",
             "%-36s %8s %9s %12s %12s %9s   %s" % ("path", "ping ms", "TCP Gb/s", "UDP64 rx pps", "[sent pps]",
                                                    "idle CPU", "TCP runs")]
    for p in paths:
        m = medians[p]
        if m["errors"] and m["tcp_gbps"] is None and m["ping_avg_ms"] is None:
            lines.append("%-36s %s" % (m["label"], "; ".join(m["errors"])))
            continue
        lines.append("%-36s %8s %9s %12s %12s %9s   %s" % (
            m["label"], fmt(m["ping_avg_ms"], "%.3f"), fmt(m["tcp_gbps"]), thousands(m["udp_rx_pps"]),
            "-" if m["udp_tx_pps"] is None else "[%s]" % thousands(m["udp_tx_pps"]),
            fmt(m["idle_cpu_cores"], "%.2f"),
            " ".join(fmt(v) for v in m["runs_tcp_gbps"])))
    ratios = []
    lines += ["", "%-60s %8s %8s %8s   %s" % ("ratio", "TCP", "UDP rx", "ping*", "target (issue 6)")]
    for a, b, target in RATIOS:
        if a not in medians or b not in medians:
            continue
        ma, mb = medians[a], medians[b]
        r = {}
        for k in ("tcp_gbps", "udp_rx_pps", "ping_avg_ms"):
            r[k] = ma[k] / mb[k] if ma[k] is not None and mb[k] else None
        tgt = ""
        if target is not None:
            if r["tcp_gbps"] is None:
                tgt = "TCP >= %.2f: -" % target
            else:
                tgt = "TCP >= %.2f: %s" % (target, "met" if r["tcp_gbps"] >= target else "MISSED")
        if (a, b) == ("switch-xdp", "bridge") and r["ping_avg_ms"] is not None:   # the ping target
            tgt += "; ping <= bridge: %s" % ("met" if r["ping_avg_ms"] <= 1.0 else "MISSED")
        ratios.append(dict(numerator=a, denominator=b, tcp=r["tcp_gbps"], udp_rx=r["udp_rx_pps"],
                           ping=r["ping_avg_ms"], tcp_target=target, note=tgt))
        lines.append("%-60s %8s %8s %8s   %s" % ("%s / %s" % (LABELS[a], LABELS[b]), fmt(r["tcp_gbps"], "%.3f"),
                                                fmt(r["udp_rx_pps"], "%.3f"), fmt(r["ping_avg_ms"], "%.3f"), tgt))
    lines += ["* ping: ratio of avg RTTs, lower is better. idle CPU: cores the forwarder used in 2 s before any traffic.",
              "UDP64 with iperf3 pinned to one CPU is iperf3-bound (ANCHORS.md section 2): it hardly separates the paths."]
    failed = [r for r in runs if r.get("error") or r.get("tcp_error") or r.get("udp_error")]
    if failed:
        lines += ["", "failed or skipped runs:"] + ["  %s run %s: %s" % (
            r["path"], r["run"], r.get("error") or "; ".join(str(r[k]) for k in ("tcp_error", "udp_error") if r.get(k)))
            for r in failed]
    busy = [r for r in runs if r.get("contended")]
    if busy:
        lines += ["", "contended runs (other work ran on the CPUs during them, even after %s repeats; rerun):"
                  % MAX_RETRIES] + ["  %s run %s: %s" % (r["path"], r["run"], r["contended"]) for r in busy]
    lines += host_contended_lines(runs, lambda r: "%s run %s" % (r["path"], r["run"]))
    return dict(meta=meta, medians=medians, ratios=ratios, runs=runs), "\n".join(lines) + "\n"


# ---------------------------------------------------------------- the bench

def idle_cpu(pid):
    """The cores PID used over 2 s with no traffic (utime + stime, all threads), or None."""
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        fields = st[st.rindex(")") + 2:].split()
        return int(fields[11]) + int(fields[12])
    try:
        t0 = ticks()
        time.sleep(2)
        t1 = ticks()
    except (OSError, ValueError):
        return None
    return (t1 - t0) / os.sysconf("SC_CLK_TCK") / 2


class ContainersBench:
    def __init__(self, a, tmp, stack):
        self.a, self.tmp, self.stack = a, Path(tmp), stack
        self.quiet = Quiet(a.force, MIN_IDLE)
        self.sock = self.tmp / "ctl.sock"
        self.results = Path(a.results or env.RESULTS_BASE / (stamp() + "-containers"))
        self.logdir = self.results / "logs"
        self.raw = self.results / "runs.jsonl"
        self.runs = []
        self.skip = {}
        self.ovs = OvsDpdk(self.tmp, OVS_BR)
        self.ovs_note = ""
        self.rx_cpus = ""

    def wants(self, *paths):
        return any(p in self.a.paths for p in paths)

    def setup(self):
        a = self.a
        if os.geteuid() != 0:
            raise Fatal("needs root")
        try:
            self.logdir.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise Fatal("cannot create %s" % self.logdir)
        self.raw.write_text("")
        apt_log = self.logdir / "apt-install.log"
        for c in ("iperf3", "ethtool", "taskset", "ping"):
            if not shutil.which(c) and not a.no_install:
                apt_install(["iperf3", "ethtool", "iputils-ping", "util-linux"], apt_log)
            if not shutil.which(c):
                raise Fatal("%s not found" % c)
        if self.wants("testpmd-afp", "testpmd-xdp"):
            if not shutil.which(env.TESTPMD) and not a.no_install:
                apt_install(["dpdk"], apt_log)
            if not shutil.which(env.TESTPMD):
                raise Fatal("%s not found (apt install dpdk)" % env.TESTPMD)
        if self.wants("switch-afp", "switch-afp-sleep", "switch-afp-hold", "switch-xdp"):
            if not os.access(env.SWITCH_BIN, os.X_OK):
                raise Fatal("%s not built (scripts/build.sh, or DSW_BUILD_DIR=, or --only)" % env.SWITCH_BIN)
            if not os.access(env.CTL_BIN, os.X_OK):
                raise Fatal("%s not built" % env.CTL_BIN)
        self.mem = hugepages()
        self.mem_args = ["--in-memory"] if self.mem == "huge" else ["--no-huge", "-m", "1024"]
        if self.mem != "huge":
            for p in ("testpmd-xdp", "switch-xdp"):
                if self.wants(p):
                    self.skip[p] = "no hugepages (af_xdp needs them)"
        if self.wants("testpmd-xdp", "switch-xdp"):
            self.stack.enter_context(Bpffs())
        if self.wants("ovs-afp"):
            self.ovs_note = self.ovs.check(self.mem, not a.no_install, self.logdir)
            if self.ovs_note:
                self.skip["ovs-afp"] = self.ovs_note
                log("  OVS-DPDK row skipped: %s" % self.ovs_note)
        self.rx_cpus = other_cpus_mask(FWD_CPU)
        if a.steer != "none" and self.rx_cpus == "0":
            a.steer = "none"
            log("  one CPU only: no receive steering")
        if a.steer == "none" and self.wants("bridge-steered"):
            self.skip["bridge-steered"] = "no receive steering (--steer none)"
        self.containers = self.stack.enter_context(Containers(NS1, IF1, IP1, NS2, IF2, IP2, PLEN, BR))
        self.xdp = XdpRedirect(IF1, IF2, NS1, NS2, self.tmp)
        if self.wants("xdp-redirect") and not self.xdp.build(not a.no_install, self.logdir / "xdp-redirect.build.log"):
            self.skip["xdp-redirect"] = "could not build bench/xdp_redirect.c (logs/xdp-redirect.build.log)"
        self.stack.enter_context(RxTimestamps())

    def plan(self):
        a = self.a
        per = a.pings // 5 + a.tcp_s + a.udp_s + 10
        log("bench_containers: %d run(s) of: %s" % (a.runs, " ".join(a.paths)))
        log("                  ~%d min; memory: %s; results in %s" % (len(a.paths) * a.runs * per // 60 + 1, self.mem,
                                                                    self.results))
        for p, why in self.skip.items():
            log("                  %s skipped: %s" % (p, why))

    @contextlib.contextmanager
    def forwarder(self, path, name):
        """Starts PATH's forwarder; yields (the object, its command, a DpdkSwitch or None), or raises
        _NotStarted (having logged why)."""
        logf = self.logdir / (name + ".log")
        with contextlib.ExitStack() as st:
            if path in ("bridge", "bridge-steered"):
                br = st.enter_context(LinuxBridge(BR, [IF1, IF2], logf))
                if not br.ok:
                    raise _NotStarted("")
                yield br.describe, None
            elif path in ("testpmd-afp", "testpmd-xdp"):
                if path == "testpmd-afp":
                    devs, mem = ["net_af_packet0,iface=%s" % IF1, "net_af_packet1,iface=%s" % IF2], self.mem_args
                else:
                    devs = ["net_af_xdp0,iface=%s,start_queue=0,queue_count=1" % IF1,
                            "net_af_xdp1,iface=%s,start_queue=0,queue_count=1" % IF2]
                    mem = ["--in-memory"]
                tp = st.enter_context(Testpmd(EAL_CORES + mem + ["--file-prefix", TP_PREFIX, "--vdev", devs[0],
                                                                 "--vdev", devs[1]],
                                              ["--nb-cores=1", "--forward-mode=io", "--auto-start"], logf))
                if not tp.wait_log("Press enter to exit", 60):
                    log("  testpmd did not start (logs/%s.log)" % name)
                    raise _NotStarted("")
                try:
                    yield shlex.join(tp.argv), None
                finally:
                    self.rc = tp.stop()
            elif path.startswith("switch-"):
                kind = "af_xdp" if path == "switch-xdp" else "af_packet"
                cfg = self.logdir / (name + ".yaml")
                text = "ports:\n  - {name: c1, type: %s, iface: %s}\n  - {name: c2, type: %s, iface: %s}\n" % (
                    kind, IF1, kind, IF2)
                if path == "switch-afp-sleep":
                    text += "switch:\n  idle_sleep_us: 1000\n"
                if path == "switch-afp-hold":
                    text += "switch:\n  tx_flush_us: 50\n"
                write_text(cfg, text)
                mem = ["--in-memory"] if kind == "af_xdp" else self.mem_args
                sw = st.enter_context(DpdkSwitch(EAL_CORES + mem, cfg, self.sock, logf, SW_PREFIX))
                if not sw.wait_ready():
                    log("  dpdk_switch did not answer on its control socket (logs/%s.log)" % name)
                    raise _NotStarted("")
                try:
                    yield shlex.join(sw.argv), sw
                finally:
                    if sw.alive():
                        write_json(self.logdir / (name + ".stats.json"), sw.ctl("show", "port", "stats", "all"))
                        write_json(self.logdir / (name + ".lcores.json"), sw.ctl("show", "lcores"))
                    self.rc = sw.stop()
            elif path == "xdp-redirect":
                x = st.enter_context(self.xdp)
                write_text(logf, x.errors)
                if not x.ok:
                    log("  the XDP redirect did not load (logs/%s.log)" % name)
                    raise _NotStarted("")
                yield x.describe, None
            elif path == "ovs-afp":
                devs = ("net_af_packet0,iface=%s" % IF1, "net_af_packet1,iface=%s" % IF2)
                write_text(logf, "")
                st.callback(self.ovs.stop, logf)
                if not self.ovs.start(devs[0], devs[1], logf):
                    log("  OVS did not start (logs/%s.log)" % name)
                    raise _NotStarted("")
                yield ("ovs-vswitchd (dpdk-init, pmd-cpu-mask=0x2, dpdk-lcore-mask=0x1, dpdk-extra=\"--no-pci "
                       "--file-prefix=%s\"), netdev bridge %s, NORMAL, p0/p1 type=dpdk dpdk-devargs=%s / %s"
                       % (OvsDpdk.PREFIX, OVS_BR, devs[0], devs[1])), None
        self.after_path(path)

    def after_path(self, path):
        """An XDP program left on a host end (a PMD that did not detach) would change every later path."""
        import subprocess
        for i in (IF1, IF2):
            out = subprocess.run(["ip", "link", "show", i], capture_output=True, text=True).stdout
            if " xdp" in out:
                log("  warning: XDP program left on %s after %s: removing it" % (i, path))
                quiet_run(["ip", "link", "set", "dev", i, "xdp", "off"])
                quiet_run(["ip", "link", "set", "dev", i, "xdpgeneric", "off"])

    def measure(self, path, run):
        """Start, measure, stop; one record. A run that other people's work overlapped (a busy-polling DPDK
        process, or other processes using more than CONTENDED_SHARE of the CPUs' time) is repeated, up to
        MAX_RETRIES times. Each run starts when the host probe reads quiet; it is not sampled during the
        traffic, where it would count the guest's own network interrupts on CPU 1 (the pcap windows have none),
        nor after it, where the teardown's own work reads as contended for some seconds."""
        name = "%s-%s" % (path, run)
        files = {k: self.logdir / ("%s.%s" % (name, k)) for k in ("ping.txt", "tcp.json", "udp.json")}
        attempt = 0
        while True:
            err, watch, cmd = None, {}, ""
            self.rc = 0
            self.quiet.before = self.quiet.during = None
            for f in files.values():
                write_text(f, "")
            if path in self.skip:
                err = "skipped: %s" % self.skip[path]
            else:
                self.quiet.wait()
                self.containers.steer(self.rx_cpus if steered(self.a.steer, path) else "0")
                try:
                    with self.forwarder(path, name) as (cmd, sw):
                        err, watch = self.traffic(path, name, sw, files)
                except _NotStarted:
                    err = "did not start (logs/%s.log)" % name
            why = contended(watch)
            if not why:
                break
            attempt += 1
            if attempt > MAX_RETRIES:
                log("  run %s %s: %s, again: kept, marked contended" % (run, path, why))
                break
            log("  run %s %s: %s: repeating it" % (run, path, why))
        rec = make_record(path, run, name, cmd, self.rc, err, watch, attempt, self.logdir)
        rec["host_probe"] = self.quiet.probes()
        self.runs.append(rec)
        with open(self.raw, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def traffic(self, path, name, sw, files):
        """-> (error or None, the CpuWatch result)"""
        a = self.a
        if sw is not None:
            cores = idle_cpu(sw.pid)
            if cores is None:
                return "could not read the switch's CPU time", {}
            write_text(self.logdir / (name + ".idlecpu"), "%.3f\n" % cores)
        if not reachable(NS1, IP2):
            return "%s not reachable from %s within 30 s" % (IP2, NS1), {}
        with CpuWatch(self.ovs.pids) as w:
            ping(NS1, IP2, a.pings, files["ping.txt"])
            iperf("tcp", NS2, NS1, IP2, IPERF_PORT, a.tcp_s, files["tcp.json"])
            # What the switch lost during TCP at full RX rings (kernel.rx_ring_full + pmd.imissed), before
            # UDP's flood overruns them on purpose.
            if sw is not None:
                write_json(self.logdir / (name + ".tcp.stats.json"), sw.ctl("show", "port", "stats", "all"))
            iperf("udp", NS2, NS1, IP2, IPERF_PORT, a.udp_s, files["udp.json"])
        return None, w.result

    def summarize(self):
        a = self.a
        meta = machine_meta()
        meta.update(date=now_iso(), runs=str(a.runs), steer=a.steer, rx_cpus=self.rx_cpus, tcp_s=str(a.tcp_s),
                    udp_s=str(a.udp_s), pings=str(a.pings), memory=self.mem, paths=" ".join(a.paths),
                    switch_bin=str(env.SWITCH_BIN), testpmd=shutil.which(env.TESTPMD) or "", ovs_note=self.ovs_note)
        obj, text = summarize(self.runs, meta)
        print()
        print(text, end="", flush=True)
        write_json(self.results / "runs.json", obj)
        write_text(self.results / "summary.txt", text)
        self.raw.unlink()
        log("raw runs: %s   table: %s   logs: %s/" % (self.results / "runs.json", self.results / "summary.txt",
                                                       self.logdir))


class _NotStarted(Exception):
    pass


def run(argv):
    a = parse_args(argv)
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="dsw_bench_ct.")
        stack.callback(shutil.rmtree, tmp, True)
        stack.callback(remove_eal_dirs, SW_PREFIX, TP_PREFIX)
        b = ContainersBench(a, tmp, stack)
        stack.callback(b.ovs.stop)
        b.setup()
        b.plan()
        for r in range(1, a.runs + 1):
            for p in a.paths:
                b.measure(p, r)
        b.summarize()
    return 0

