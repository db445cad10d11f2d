#!/usr/bin/env bash
# bench.sh: the benchmark suite of issue 6 in one command. dpdk_switch against the systems people
# would use instead, on the same ports and traffic, in one run (see BENCHMARKS.md, bench/README.md):
#
#   1. switching cost   build/bench/dsw_bench_switch_path (Google Benchmark): cycles/packet of the
#                       switching path at 2, 2048 and 1M MACs, learning rate; 3 repetitions, medians
#   2. packet rate      scripts/bench_pcap.sh: two net_pcap ports, 64 B frames, p2 / p1024 / unknown
#                       unicast; dpdk_switch vs testpmd io, testpmd mac, OVS-DPDK NORMAL
#   3. containers       scripts/bench_containers.sh: two netns on veth; ping, iperf3 TCP, UDP 64 B;
#                       dpdk_switch (af_packet, af_xdp) vs testpmd io (same PMDs), OVS-DPDK, Linux bridge,
#                       and the kernel's XDP redirect (no lookup) as the reference for af_xdp
#   4. vhost            scripts/bench_vhost.sh: a testpmd io peer with two virtio-user ports circulating
#                       64 B frames through the middle on vhost-user; dpdk_switch vs testpmd io (issue 5)
#
# It installs what it needs (apt: dpdk, openvswitch-switch-dpdk, iperf3, python3-matplotlib, clang and the
# build dependencies of scripts/install_deps.sh), builds when the binaries are missing or older than
# the sources (scripts/build.sh), reserves hugepages (scripts/hugepages.sh), runs 1-3 with main
# lcore 0 and one forwarding lcore 1, and prints one table of medians with the ratio to each peer
# and the targets of issue 6. Everything lands in RESULTS (default bench/results/<timestamp>/):
# summary.txt, summary.json, bench.png (scripts/plot_bench.py), gbench/, pcap/, containers/, vhost/ (each
# with every raw run as JSON, and logs). Ctrl-C stops and cleans up whatever is running.
#
# usage: scripts/bench.sh [-n RUNS] [--quick] [--only gbench,pcap,containers,vhost] [-o RESULTS]
#            [--no-install] [--no-build] [--force]
#   -n RUNS       runs (repetitions) of every cell (3)
#   --quick       a smoke run: 1 run, short windows (about 5 min instead of about 25)
#   --only        run only these parts (the table and the chart show what ran)
#   --no-build    never build, use the binaries as they are
#   --force       do not wait for other DPDK processes to exit (figures will suffer)
# env: DSW_BUILD_DIR (default ./build; when set, bench.sh never builds), PYTHON (default /usr/bin/python3)
set -uo pipefail

# shellcheck source=bench_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"   # ROOT PY BUILD_DIR (and PYTHONPATH for bench_common.py)
GBENCH_BIN=$BUILD_DIR/bench/dsw_bench_switch_path

RUNS=3 QUICK=0 ONLY=gbench,pcap,containers,vhost RESULTS='' INSTALL=1 BUILD=1 FORCE=0
CHILD='' CHILD_NAME='' LAST_PID='' BIN_START=''   # the part running now (its own cleanup runs when we forward a signal)
declare -A PART_RC=()

log() { printf '%s\n' "$*" >&2; }
die() { log "bench: $*"; exit 1; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -n|--runs)    RUNS=${2:?}; shift ;;
      --quick)      QUICK=1 ;;
      --only)       ONLY=${2:?}; shift ;;
      -o|--results) RESULTS=${2:?}; shift ;;
      --no-install) INSTALL=0 ;;
      --no-build)   BUILD=0 ;;
      --force)      FORCE=1 ;;
      -h|--help)    usage 0 ;;
      *)            log "unknown argument: $1"; usage 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"
  [ $QUICK = 1 ] && RUNS=1
  local w; for w in ${ONLY//,/ }; do
    case $w in gbench|pcap|containers|vhost) ;; *) die "--only wants gbench, pcap, containers, vhost" ;; esac
  done
  [ -n "${DSW_BUILD_DIR:-}" ] && BUILD=0
  return 0
}

part() { [[ ",$ONLY," == *",$1,"* ]]; }

# ---------------------------------------------------------------- signals: the parts clean up

descendants() {  # PID: every live descendant of PID, each parent before its children
  local c; for c in $(pgrep -P "$1"); do echo "$c"; descendants "$c"; done
}

on_signal() {  # forward to the running part and let it clean up
  trap - INT TERM
  if [ -n "$CHILD" ]; then
    log "bench: stopping $CHILD_NAME (it cleans up) ..."
    # The part runs in the background, so it and all it starts ignore SIGINT; and its shell runs
    # its cleanup trap only once the command it waits on returns (a host-quiet probe can take
    # 30 s, an iperf3 run its length). So the whole tree gets SIGTERM: the part's shell first,
    # so that its trap is pending when the command it waits on dies of it. (The tee of its stderr
    # is ours, not in that tree, and ends with the part: the cleanup's own lines reach the log.)
    local tree; tree=$(descendants "$CHILD")
    kill -TERM "$CHILD" $tree 2>/dev/null
    wait "$CHILD" 2>/dev/null
  fi
  exit "$1"
}

run_part() {  # NAME LOGFILE CMD...: runs a part in the background (so that a signal reaches us at once)
  local name=$1 logf=$2 rc log_fd; shift 2
  CHILD_NAME=$name
  # The part's stderr goes to its log and ours through a tee that is our child, not the part's:
  # a bash that, in its exit trap, waits for a child it has already reaped (bash 5.2 does, now and
  # then, after a signal interrupted a wait) blocks in waitpid(-1) until some child exits. A tee
  # of its own would be that child, and would wait in turn for the bash to close its stderr:
  # the part never ended. With no child left, waitpid fails and the bash goes on.
  exec {log_fd}> >(trap '' INT TERM; exec tee -a "$logf" >&2)
  "$@" 2>&"$log_fd" {log_fd}>&- & CHILD=$!
  exec {log_fd}>&-   # the part and what it starts hold the tee's pipe; it ends when they all have
  wait "$CHILD"; rc=$?
  LAST_PID=$CHILD CHILD=''
  PART_RC[$name]=$rc
  [ $rc = 0 ] || log "bench: $name exited with status $rc (see $logf)"
  return $rc
}

# ---------------------------------------------------------------- install and build

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

install_deps() {
  [ $INSTALL = 1 ] || return 0
  bash "$ROOT/scripts/install_deps.sh" || die "scripts/install_deps.sh failed"
  local want=(dpdk iperf3 python3-matplotlib openvswitch-switch-dpdk clang) missing=() p
  for p in "${want[@]}"; do have_pkg "$p" || missing+=("$p"); done
  [ ${#missing[@]} = 0 ] && return 0
  log "bench: installing ${missing[*]} (apt) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null 2>&1
  for p in "${missing[@]}"; do   # one by one: OVS failing to install must not stop the others
    apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$p" >/dev/null 2>&1 \
      || log "bench: apt-get install $p failed (its rows will be skipped)"
  done
}

needs_build() {  # binaries missing, or a source newer than the switch binary
  local bin=$BUILD_DIR/dpdk_switch/dpdk_switch f
  for f in "$bin" "$BUILD_DIR/dpdk_switch/dpdk_switch_ctl" "$GBENCH_BIN"; do [ -x "$f" ] || return 0; done
  f=$(find "$ROOT/dpdk_switch" "$ROOT/include" "$ROOT/bench" "$ROOT/meson.build" \
        \( -name '*.cc' -o -name '*.h' -o -name meson.build \) -newer "$bin" -print -quit 2>/dev/null)
  [ -n "$f" ]
}

build() {
  if [ $BUILD = 1 ] && needs_build; then
    log "bench: building (scripts/build.sh) ..."
    bash "$ROOT/scripts/build.sh" || die "build failed"
  fi
  if part gbench || part pcap || part containers || part vhost; then
    [ -x "$BUILD_DIR/dpdk_switch/dpdk_switch" ] || die "$BUILD_DIR/dpdk_switch/dpdk_switch is not built (scripts/build.sh)"
  fi
}

# ---------------------------------------------------------------- the parts

# The same wait as every part's before each run: no busy-poller beside the benchmark, nor a
# compile, nor (as far as dsw_host_probe can tell) other tenants on the host.
PIDS=() OVS_PIDS=() MIN_IDLE=85
# shellcheck source=scripts/bench_quiet.sh
source "$ROOT/scripts/bench_quiet.sh"   # also cpu_stat and idle_pct

gbench_lost() {  # JSON: the largest share of timed cycles (%) a target row lost to gaps, 0 if none
  "$PY" -c "$PYHELPER" gbench_lost "$1" 2>/dev/null || echo 0
}

run_gbench() {  # Google Benchmark on CPU 0, started when the host probe of CPU 0 reads quiet;
  # repeated (up to 2 times) if the other CPU was busy meanwhile, or if a repetition of a target
  # row lost over DSW_BENCH_MAX_LOST_PCT of its timed cycles to gaps (the benchmark counts them
  # itself: the probe, run beside it, would preempt the timed loops).
  local out=$RESULTS/gbench min_time=() attempt=0 c0 c1 idle lost PROBE_CPU=0
  mkdir -p "$out"
  [ -x "$GBENCH_BIN" ] || { log "bench: $GBENCH_BIN not built: switching-cost part skipped"; PART_RC[gbench]=1; return; }
  [ $QUICK = 1 ] && min_time=(--benchmark_min_time=0.1)
  log ""
  log "== switching cost: $GBENCH_BIN, $RUNS repetitions =="
  local cmd=("$GBENCH_BIN" --benchmark_repetitions="$RUNS" --benchmark_format=json
             --benchmark_out="$out/gbench.json" --benchmark_out_format=json "${min_time[@]}")
  printf '%q ' "${cmd[@]}" >"$out/cmd.txt"
  while :; do
    wait_for_quiet_cpu
    c0=$(cpu_stat)
    # stdout: the same JSON (EAL may log there too); the file --benchmark_out writes is the clean one.
    run_part gbench "$out/gbench.log" "${cmd[@]}" >"$out/gbench.stdout.json"
    c1=$(cpu_stat)
    [ -n "$LAST_PID" ] && rm -rf "/var/run/dpdk/dswbench$LAST_PID"   # its EAL runtime dir, if it died before removing it
    # One CPU runs the benchmark, so a clean run leaves the machine ~50% idle.
    idle=$(idle_pct "$c0" "$c1")
    echo "$idle" >"$out/cpu_idle_pct"
    echo '{}' | with_probes >"$out/host_probe.json"
    lost=$(gbench_lost "$out/gbench.json")
    { [ "$idle" -lt 45 ] || [ "$lost" -gt "$DSW_BENCH_MAX_LOST_PCT" ]; } && [ $attempt -lt 2 ] && [ $FORCE = 0 ] || break
    attempt=$((attempt + 1))
    if [ "$idle" -lt 45 ]; then log "  (CPU only $idle% idle while it ran (~50% is clean): repeating it)"
    else log "  (a repetition lost $lost% of its timed cycles to gaps: repeating it)"; fi
  done
  [ "$idle" -lt 45 ] && log "  warning: CPU only $idle% idle during the last attempt too: its figures are contended"
  [ "$lost" -gt "$DSW_BENCH_MAX_LOST_PCT" ] && log "  warning: a repetition lost $lost% of its timed cycles to gaps in the last attempt too"
  return 0
}

run_script() {  # PART TITLE QUICK_ARGS: scripts/bench_PART.sh with our runs, results dir and flags
  local part=$1 title=$2 quick=$3
  local args=(-n "$RUNS" -o "$RESULTS/$part")
  # shellcheck disable=SC2206
  [ $QUICK = 1 ] && args+=($quick)
  [ $INSTALL = 0 ] && args+=(--no-install)
  [ $FORCE = 1 ] && args+=(--force)
  log ""
  log "== $title: scripts/bench_$part.sh ${args[*]} =="
  run_part "$part" "$RESULTS/$part.log" bash "$ROOT/scripts/bench_$part.sh" "${args[@]}"
}

# ---------------------------------------------------------------- the table (python)

PYHELPER=$(cat <<'EOF'
import json, os, platform, re, statistics, subprocess, sys
from bench_common import fmt, host_contended, host_contended_names, load, machine_meta

def ratio(a, b):
    return a / b if a is not None and b else None

def host_busy(runs, name):
    """The table's line naming the runs whose host probe read contended (see bench_quiet.sh)."""
    hit = host_contended_names(runs, name)
    return ["   host-contended runs (dsw_host_probe): " + ", ".join(n for n, _ in hit)] if hit else []

def gbench_medians(path):
    # Google Benchmark JSON: with repetitions, the aggregate rows named *_median hold the median of
    # every counter. A single repetition has no aggregates: its one iteration row is the value.
    j = load(path)
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
    res = {}
    for name, b in out.items():
        res[name] = dict(cycles_per_packet=b.get("cycles_per_packet"), items_per_second=b.get("items_per_second"),
                         new_macs_per_s=b.get("new_macs_per_s"), macs=b.get("macs"), gap_pct=b.get("gap_pct"),
                         gaps_per_ms=b.get("gaps_per_ms"), ns_per_load=b.get("ns_per_load"),
                         runs_cycles_per_packet=[r.get("cycles_per_packet") for r in iters.get(name, [])])
    return res

# The rows the issue's targets judge: a repetition of one that lost too much to gaps is repeated.
GBENCH_TARGET_ROWS = ("BM_SwitchPath_2048Macs", "BM_SwitchPath_1MMacs", "BM_LearnNewMacs")

def gbench_lost(path):
    """The largest share of timed cycles (%) a repetition of a target row lost to gaps."""
    j = load(path) or {}
    return max([b.get("gap_pct", 0) for b in j.get("benchmarks", [])
                if (b.get("run_name") or b["name"]) in GBENCH_TARGET_ROWS
                and b.get("run_type", "iteration") == "iteration"] or [0])

def target_row(what, value, op, limit, spec="%.2f"):
    if value is None:
        state = "not measured"
    else:
        state = "met" if (value >= limit if op == ">=" else value <= limit) else "MISSED"
    return dict(target=what, value=value, op=op, limit=limit, state=state,
                text="%-62s %9s  %s %-7s %s" % (what, fmt(value, spec), op, spec % limit, state))

def summarize(results, out_json, out_txt, meta_kv):
    meta = dict(kv.split("=", 1) for kv in meta_kv)
    lines, targets, summary = [], [], dict(meta=meta)
    lines.append("dpdk_switch benchmark, %s, %s" % (meta.get("date"), meta.get("cpu_model")))
    lines.append("%s vCPUs, kernel %s, DPDK %s, OVS %s; main lcore 0, one forwarding lcore 1; median of %s"
                 % (meta.get("ncpu"), meta.get("kernel"), meta.get("dpdk"), meta.get("ovs") or "-", meta.get("runs")))

    # 1. switching cost
    g = gbench_medians(os.path.join(results, "gbench", "gbench.json"))
    summary["gbench"] = g
    lines += ["", "1. Switching cost (bench/dsw_bench_switch_path, Google Benchmark, median of %s repetitions)"
              % meta.get("runs")]
    if g:
        lines.append("   %-36s %12s %14s %14s %7s   %s" % ("benchmark", "cycles/pkt", "Mpkts/s/core", "new MACs/s",
                                                             "gaps %", "cycles/pkt of the repetitions"))
        for name, b in g.items():
            if name == "BM_HostMemoryLatency":
                continue
            lines.append("   %-36s %12s %14s %14s %7s   %s" % (
                name, fmt(b["cycles_per_packet"], "%.1f"),
                fmt(b["items_per_second"] / 1e6 if b["items_per_second"] else None, "%.1f"),
                fmt(b["new_macs_per_s"] / 1e6 if b["new_macs_per_s"] else None, "%.2f M"),
                fmt(b.get("gap_pct"), "%.1f"),
                " ".join(fmt(v, "%.1f") for v in b["runs_cycles_per_packet"])))
        lines.append("   gaps %: share of the timed cycles in bursts the CPU was taken from for over 20 us (host preemption)")
        lat = g.get("BM_HostMemoryLatency")
        if lat:
            lines.append("   host memory latency (not the switch; the 1M-MAC row's lookups wait on it): %s ns per dependent load"
                         " (%s cycles)" % (fmt(lat.get("ns_per_load"), "%.0f"), fmt(lat["cycles_per_packet"], "%.0f")))
        try:
            idle = int(open(os.path.join(results, "gbench", "cpu_idle_pct")).read())
            if idle < 45:
                lines.append("   contended: the CPUs were only %d%% idle while it ran (~50%% is clean)" % idle)
        except (OSError, ValueError):
            pass
        why = host_contended(load(os.path.join(results, "gbench", "host_probe.json")) or {})
        if why:
            lines.append("   host contended: dsw_host_probe on CPU 0 read %s" % why)
    else:
        lines.append("   not run, or no result (gbench/gbench.log)")
    gc = lambda n, k="cycles_per_packet": (g.get(n) or {}).get(k)
    targets.append(target_row("bench: cycles/packet at 2048 MACs", gc("BM_SwitchPath_2048Macs"), "<=", 20, "%.1f"))
    targets.append(target_row("bench: cycles/packet at 1M MACs", gc("BM_SwitchPath_1MMacs"), "<=", 50, "%.1f"))
    lm = gc("BM_LearnNewMacs", "new_macs_per_s")
    targets.append(target_row("bench: learning, M new MACs/s", lm / 1e6 if lm else None, ">=", 10, "%.1f"))
    plain = gc("BM_SwitchPath_2048Macs")
    for name, what, limit in (("BM_SwitchPath_2048Macs_ProxyOn", "ARP proxy on", 1.05),
                              ("BM_SwitchPath_2048Macs_TrunkPop", "trunk in, tag popped", 1.10),
                              ("BM_SwitchPath_2048Macs_AccessPush", "access in, tag pushed", 1.10)):
        targets.append(target_row("bench (issue 4): %s / untagged, cycles" % what, ratio(gc(name), plain), "<=", limit, "%.3f"))

    # 2. packet rate
    p = load(os.path.join(results, "pcap", "runs.json"))
    lines += ["", "2. Packet rate, Mpps forwarded (scripts/bench_pcap.sh: net_pcap x2, 64 B, %s s window after %s s)"
              % ((p or {}).get("meta", {}).get("window_s", "-"), (p or {}).get("meta", {}).get("warmup_s", "-"))]
    if p:
        med = {(m["traffic"], m["system"]): m["median_mpps"] for m in p["medians"]}
        traffics = list(dict.fromkeys(m["traffic"] for m in p["medians"]))
        systems = ["testpmd io", "testpmd mac", "ovs normal", "dpdk_switch"]
        lines.append("   %-9s %11s %12s %11s %12s %9s %9s %9s" % (
            "traffic", "testpmd io", "testpmd mac", "OVS NORMAL", "dpdk_switch", "sw/io", "sw/mac", "sw/ovs"))
        rows = []
        for t in traffics:
            v = {s: med.get((t, s)) for s in systems}
            sw = v["dpdk_switch"]
            r = dict(traffic=t, mpps=v, sw_over_io=ratio(sw, v["testpmd io"]), sw_over_mac=ratio(sw, v["testpmd mac"]),
                     sw_over_ovs=ratio(sw, v["ovs normal"]))
            rows.append(r)
            lines.append("   %-9s %11s %12s %11s %12s %9s %9s %9s" % (
                t, fmt(v["testpmd io"]), fmt(v["testpmd mac"]), fmt(v["ovs normal"]), fmt(sw),
                fmt(r["sw_over_io"], "%.3f"), fmt(r["sw_over_mac"], "%.3f"), fmt(r["sw_over_ovs"], "%.2f")))
        summary["pcap"] = rows
        busy = [r for r in p.get("runs", []) if r.get("contended")]
        if busy:
            lines.append("   contended runs (kept after 2 repeats; CPU < 45%% idle): %s" % ", ".join(
                "%s %s run %s" % (r["traffic"], r["system"], r["run"]) for r in busy))
        lines += host_busy(p.get("runs", []), lambda r: "%s %s run %s" % (r["traffic"], r["system"], r["run"]))
        failed = [r for r in p.get("runs", []) if r.get("mpps") is None]
        if failed:
            lines.append("   failed runs: %s" % ", ".join("%s %s run %s" % (r["traffic"], r["system"], r["run"])
                                                         for r in failed))
        if p.get("meta", {}).get("ovs_note"):
            lines.append("   OVS-DPDK not run: " + p["meta"]["ovs_note"])
        if p.get("vlan_over_plain") is not None:
            lines.append("   p1024vlan: a trunk [10] and an access port of VLAN 10 (a tag popped or pushed on every frame)")
            targets.append(target_row("pcap VLAN push/pop: dpdk_switch p1024vlan / p1024 (issue 4)",
                                      p["vlan_over_plain"], ">=", 0.9, "%.3f"))
        rr = {r["traffic"]: r for r in rows}
        g2 = lambda t, k: (rr.get(t) or {}).get(k)
        targets.append(target_row("pcap p1024 (2048 MACs): dpdk_switch / testpmd mac", g2("p1024", "sw_over_mac"), ">=", 0.95, "%.3f"))
        targets.append(target_row("pcap p1024 (2048 MACs): dpdk_switch / OVS NORMAL", g2("p1024", "sw_over_ovs"), ">=", 6, "%.2f"))
        targets.append(target_row("pcap p2 (2 MACs): dpdk_switch / testpmd mac", g2("p2", "sw_over_mac"), ">=", 0.95, "%.3f"))
        targets.append(target_row("pcap p2 (2 MACs): dpdk_switch / OVS NORMAL", g2("p2", "sw_over_ovs"), ">=", 3, "%.2f"))
        for t in ("p2uni", "p1024uni"):
            targets.append(target_row("pcap %s (flood): dpdk_switch / OVS NORMAL" % t, g2(t, "sw_over_ovs"), ">=", 5, "%.2f"))
    else:
        lines.append("   not run, or no result (pcap.log)")

    # 3. containers
    c = load(os.path.join(results, "containers", "runs.json"))
    lines += ["", "3. Containers (scripts/bench_containers.sh: netns on veth, tx off; iperf3 on CPU 0, forwarder on lcore 1)"]
    if c:
        m = c["medians"]
        lines.append("   %-36s %8s %9s %13s %9s" % ("path", "ping ms", "TCP Gb/s", "UDP64 rx pps", "idle CPU"))
        for path, v in m.items():
            if v.get("tcp_gbps") is None and v.get("ping_avg_ms") is None:
                lines.append("   %-36s %s" % (v["label"], "; ".join(v.get("errors") or ["no result"])))
                continue
            lines.append("   %-36s %8s %9s %13s %9s" % (v["label"], fmt(v["ping_avg_ms"], "%.3f"), fmt(v["tcp_gbps"]),
                                                   "-" if v["udp_rx_pps"] is None else "{:,.0f}".format(v["udp_rx_pps"]),
                                                   fmt(v.get("idle_cpu_cores"), "%.2f")))
        lines.append("   %-60s %7s %7s %7s" % ("ratio", "TCP", "UDP rx", "ping*"))
        for r in c.get("ratios", []):
            la, lb = m[r["numerator"]]["label"], m[r["denominator"]]["label"]
            lines.append("   %-60s %7s %7s %7s" % ("%s / %s" % (la, lb), fmt(r["tcp"], "%.3f"), fmt(r["udp_rx"], "%.3f"),
                                                  fmt(r["ping"], "%.3f")))
        lines.append("   * ping: ratio of average RTTs, lower is better; idle CPU: cores the switch used before any traffic")
        busy = [r for r in c.get("runs", []) if r.get("contended")]
        if busy:
            lines.append("   contended runs (kept after 2 repeats): %s" % ", ".join(
                "%s run %s" % (r["path"], r["run"]) for r in busy))
        lines += host_busy(c.get("runs", []), lambda r: "%s run %s" % (r["path"], r["run"]))
        summary["containers"] = dict(medians=m, ratios=c.get("ratios", []))
        rat = {(r["numerator"], r["denominator"]): r for r in c.get("ratios", [])}
        g3 = lambda a, b, k: (rat.get((a, b)) or {}).get(k)
        targets.append(target_row("containers TCP: dpdk_switch af_xdp / Linux bridge", g3("switch-xdp", "bridge", "tcp"), ">=", 1.0, "%.3f"))
        targets.append(target_row("containers TCP: dpdk_switch af_packet / testpmd io af_packet",
                                  g3("switch-afp", "testpmd-afp", "tcp"), ">=", 0.95, "%.3f"))
        targets.append(target_row("containers ping RTT: dpdk_switch af_xdp / Linux bridge", g3("switch-xdp", "bridge", "ping"), "<=", 1.0, "%.3f"))
    else:
        lines.append("   not run, or no result (containers.log)")

    # 4. vhost
    vh = load(os.path.join(results, "vhost", "runs.json"))
    lines += ["", "4. vhost-user (scripts/bench_vhost.sh: testpmd io peer, 2 virtio-user ports, 64 B frames circulating through the middle)"]
    if vh:
        m = vh["medians"]
        lines.append("   %-34s %10s   %s" % ("middle", "Mpps", "runs"))
        for mid, label in (("testpmd-io", "dpdk-testpmd --forward-mode=io"), ("switch", "dpdk_switch")):
            v = m.get(mid, {})
            lines.append("   %-34s %10s   %s" % (label, fmt(v.get("rx_pps") and v["rx_pps"] / 1e6),
                                                 " ".join(fmt(x and x / 1e6) for x in v.get("runs_rx_pps", []))))
        lines += host_busy(vh.get("runs", []), lambda r: "%s run %s" % (r["middle"], r["run"]))
        summary["vhost"] = dict(medians=m, ratio=vh.get("ratio"), memory=vh.get("memory"))
        targets.append(target_row("vhost: dpdk_switch / testpmd io (issue 5)", vh.get("ratio"), ">=", 0.8, "%.3f"))
    else:
        lines.append("   not run, or no result (vhost.log)")

    lines += ["", "Targets (issue 6, and issue 5 for vhost)"] + ["   " + t["text"] for t in targets]
    summary["targets"] = targets
    text = "\n".join(lines) + "\n"
    json.dump(summary, open(out_json, "w"), indent=1)
    open(out_txt, "w").write(text)
    return text

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "summarize":
    print(summarize(args[0], args[1], args[2], args[3:]), end="")
elif cmd == "meta":
    print(machine_meta())
elif cmd == "gbench_lost":
    print("%.0f" % gbench_lost(args[0]))
else:
    sys.exit("pyhelper: unknown command " + cmd)
EOF
)

bin_id() {  # what exactly was measured: the binaries' sha256 and mtime
  local f
  for f in "$BUILD_DIR/dpdk_switch/dpdk_switch" "$GBENCH_BIN"; do
    [ -e "$f" ] && printf '%s %s %s\n' "$(sha256sum "$f" | cut -c1-16)" "$(date -r "$f" -Is)" "$f"
  done
}

summarize() {
  local m=() line
  while IFS= read -r line; do m+=("$line"); done < <("$PY" -c "$PYHELPER" meta)
  m+=("date=$(date -Is)" "runs=$RUNS" "quick=$QUICK" "only=$ONLY" "build_dir=$BUILD_DIR"
      "git=$(git -C "$ROOT" describe --always --dirty 2>/dev/null)"
      "binaries_at_start=$BIN_START" "binaries_at_end=$(bin_id | tr '\n' ';')")
  [ "$BIN_START" = "$(bin_id | tr '\n' ';')" ] \
    || log "bench: WARNING: a binary changed while the bench ran (someone rebuilt it): runs may mix two builds"
  echo
  "$PY" -c "$PYHELPER" summarize "$RESULTS" "$RESULTS/summary.json" "$RESULTS/summary.txt" "${m[@]}"
  if "$PY" "$ROOT/scripts/plot_bench.py" "$RESULTS" -o "$RESULTS/bench.png" >"$RESULTS/plot.log" 2>&1; then
    log "chart: $RESULTS/bench.png"
  else
    log "bench: plot_bench.py failed (see $RESULTS/plot.log)"
  fi
  log "table: $RESULTS/summary.txt   all results: $RESULTS/"
}

main() {
  parse_args "$@"
  [ "$(id -u)" -eq 0 ] || die "needs root (namespaces, hugepages, apt)"
  trap 'on_signal 130' INT
  trap 'on_signal 143' TERM
  RESULTS=${RESULTS:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}
  mkdir -p "$RESULTS" || die "cannot create $RESULTS"
  install_deps
  "$PY" -c 'import matplotlib' 2>/dev/null || log "bench: $PY has no matplotlib: no chart (apt install python3-matplotlib)"
  build
  [ "$(bash "$ROOT/scripts/hugepages.sh")" = huge ] || log "bench: no hugepages: af_xdp and OVS-DPDK rows will be skipped"
  BIN_START=$(bin_id | tr '\n' ';')
  log "bench: results in $RESULTS"
  part gbench && run_gbench
  part pcap && run_script pcap "packet rate" "-w 3 -W 2"
  part containers && run_script containers containers "-t 2 -u 2 -c 5"
  part vhost && run_script vhost vhost "-w 3 -W 4"
  summarize
  local name bad=''
  for name in "${!PART_RC[@]}"; do [ "${PART_RC[$name]}" = 0 ] || bad+=" $name"; done
  [ -z "$bad" ] || { log "bench: failed parts:$bad"; return 1; }
}

main "$@"
