"""The switching-cost part: build/bench/dsw_bench_switch_path (Google Benchmark) on CPU 0, and what its JSON
says. Started when the host probe of CPU 0 reads quiet; repeated (up to 2 times) if the other CPU was busy
meanwhile, or if a repetition of a target row lost over DSW_BENCH_MAX_LOST_PCT of its timed cycles to gaps (the
benchmark counts them itself: the probe, run beside it, would preempt the timed loops)."""
import os
import shlex
import statistics

from . import env
from .common import load, log, remove_eal_dirs, write_json, write_text
from .procs import Proc
from .quiet import Quiet, cpu_stat, idle_pct, limits

# The rows the targets judge: a repetition of one that lost too much to gaps is repeated.
TARGET_ROWS = ("BM_SwitchPath_2048Macs", "BM_SwitchPath_1MMacs", "BM_LearnNewMacs", "BM_Worker_2048Macs_Plain",
               "BM_Worker_2048Macs_VxlanDecap", "BM_Worker_2048Macs_VxlanEncap")


def gbench_medians(j):
    """Google Benchmark JSON -> {name: the medians of its counters, and the cycles/packet of every repetition}.
    With repetitions, the aggregate rows named *_median hold the median of every counter; a single repetition
    has no aggregates: its one iteration row is the value."""
    if not j:
        return {}
    out, iters = {}, {}
    for b in j.get("benchmarks", []):
        name = b.get("run_name") or b["name"]
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median":
            out[name] = b
        elif b.get("run_type", "iteration") == "iteration":
            iters.setdefault(name, []).append(b)
    for name, rows in iters.items():
        if name not in out:
            keys = [k for k in rows[0] if isinstance(rows[0][k], (int, float))]
            out[name] = {k: statistics.median(r[k] for r in rows if k in r) for k in keys}
    # Rows in the order the binary registers them: with random interleaving the JSON lists them as they ran.
    order = {}
    for b in j.get("benchmarks", []):
        name = b.get("run_name") or b["name"]
        order[name] = min(order.get(name, 1 << 30), b.get("family_index", 1 << 30))
    res = {}
    for name, b in sorted(out.items(), key=lambda nb: order.get(nb[0], 1 << 30)):
        res[name] = dict(cycles_per_packet=b.get("cycles_per_packet"), items_per_second=b.get("items_per_second"),
                         new_macs_per_s=b.get("new_macs_per_s"), macs=b.get("macs"), gap_pct=b.get("gap_pct"),
                         gaps_per_ms=b.get("gaps_per_ms"), ns_per_load=b.get("ns_per_load"),
                         runs_cycles_per_packet=[r.get("cycles_per_packet") for r in iters.get(name, [])])
    return res


def gbench_lost(j):
    """The largest share of timed cycles (%) a repetition of a target row lost to gaps."""
    return max([b.get("gap_pct", 0) for b in (j or {}).get("benchmarks", [])
                if (b.get("run_name") or b["name"]) in TARGET_ROWS
                and b.get("run_type", "iteration") == "iteration"] or [0])


def run(results, runs, quick, force):
    """Runs the part into RESULTS/gbench; its status (0: ran)."""
    out = results / "gbench"
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(env.GBENCH_BIN, os.X_OK):
        log("bench: %s not built: switching-cost part skipped" % env.GBENCH_BIN)
        return 1
    log("")
    log("== switching cost: %s, %d repetitions ==" % (env.GBENCH_BIN, runs))
    cmd = [str(env.GBENCH_BIN), "--benchmark_repetitions=%d" % runs, "--benchmark_format=json",
           "--benchmark_out=%s" % (out / "gbench.json"), "--benchmark_out_format=json",
           # Repetitions of all rows in random order: a slow stretch of the host spreads over the rows instead of
           # landing on one, and the VXLAN rows' deltas compare medians taken over the same minutes.
           "--benchmark_enable_random_interleaving=true"]
    if quick:
        cmd.append("--benchmark_min_time=0.1")
    write_text(out / "cmd.txt", shlex.join(cmd) + "\n")
    quiet = Quiet(force, 85, probe_cpu=0)
    max_lost = limits()[2]
    attempt = rc = 0
    while True:
        quiet.wait()
        c0 = cpu_stat()
        # stdout: the same JSON (EAL may log there too); the file --benchmark_out writes is the clean one.
        with Proc(cmd, out=out / "gbench.stdout.json", err=out / "gbench.log") as p:
            rc = p.wait(None)
        c1 = cpu_stat()
        remove_eal_dirs("dswbench%d" % p.pid)   # its EAL runtime dir, if it died before removing it
        # One CPU runs the benchmark, so a clean run leaves the machine ~50% idle.
        idle = idle_pct(c0, c1)
        idle = 100 if idle is None else int(idle)
        write_text(out / "cpu_idle_pct", "%d\n" % idle)
        write_json(out / "host_probe.json", {"host_probe": quiet.probes()})
        lost = round(gbench_lost(load(out / "gbench.json")))
        if not (idle < 45 or lost > max_lost) or attempt >= 2 or force:
            break
        attempt += 1
        if idle < 45:
            log("  (CPU only %d%% idle while it ran (~50%% is clean): repeating it)" % idle)
        else:
            log("  (a repetition lost %d%% of its timed cycles to gaps: repeating it)" % lost)
    if idle < 45:
        log("  warning: CPU only %d%% idle during the last attempt too: its figures are contended" % idle)
    if lost > max_lost:
        log("  warning: a repetition lost %d%% of its timed cycles to gaps in the last attempt too" % lost)
    if rc != 0:
        log("bench: gbench exited with status %s (see %s)" % (rc, out / "gbench.log"))
    return rc
