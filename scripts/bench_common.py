"""Small helpers shared by the bench scripts' Python (bench.sh, bench_pcap.sh, bench_containers.sh,
plot_bench.py): reading a result file, printing a figure, describing the machine."""
import json
import os
import platform
import re
import subprocess


def load(path):
    """A JSON file, or None if it is missing or broken (a part that did not run)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def machine_meta():
    """key=value lines: CPU, kernel, the versions of the systems measured, host."""
    info = open("/proc/cpuinfo").read()
    get = lambda k: (re.search(r"^%s\s*:\s*(.*)$" % k, info, re.M) or [None, ""])[1]

    def ver(pkg):
        try:
            return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True,
                                  text=True).stdout
        except OSError:
            return ""
    return "\n".join(["cpu_model=" + get("model name"), "cpu_mhz=" + get("cpu MHz"), "ncpu=%d" % os.cpu_count(),
                      "kernel=" + platform.release(), "dpdk=" + ver("dpdk"), "ovs=" + ver("openvswitch-switch-dpdk"),
                      "iperf3=" + ver("iperf3"), "host=" + platform.node()])


def probe_contended(p, idle):
    """Why one dsw_host_probe reading is contended ("" if it is not): its CPU was taken too often
    (other tenants on the host, bench_quiet.sh), or it lost more than DSW_BENCH_MAX_LOST_PCT% of
    its time (to anything). Too often: DSW_BENCH_MAX_GAPS_PER_MS times a ms in a window, where the
    probe preempts a busy forwarder; DSW_BENCH_MAX_IDLE_GAPS_PER_MS on the idle CPU before a run,
    which reads more gaps on the same host."""
    rate = float(os.environ.get("DSW_BENCH_MAX_IDLE_GAPS_PER_MS" if idle else "DSW_BENCH_MAX_GAPS_PER_MS",
                                "0.95" if idle else "0.7"))
    lost = float(os.environ.get("DSW_BENCH_MAX_LOST_PCT", "20"))
    if not p or (p.get("gaps_per_ms", 0) <= rate and p.get("gap_pct", 0) <= lost):
        return ""
    return "CPU %s taken %.2f times a ms (limit %s), %.1f%% of its time lost, in %d ms of probing" % (
        p.get("cpu"), p.get("gaps_per_ms", 0), rate, p.get("gap_pct", 0), p.get("spins", 1) * p.get("ms", 0))


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
    return ["", "host-contended runs (dsw_host_probe, scripts/bench_quiet.sh):"] + ["  %s: %s" % h for h in hit]
