#!/usr/bin/env bash
# bench_pcap.sh: in-process packet rate of dpdk_switch against dpdk-testpmd and OVS-DPDK, measured
# on the same two net_pcap ports with the same traffic (the method of ANCHORS.md section 1; see
# bench/README.md).
#
#   p2, p1024        bidirectional known unicast: port 0 replays P_fwd.pcap, port 1 P_rev.pcap;
#                    systems: testpmd io (ceiling), testpmd mac, OVS-DPDK NORMAL, dpdk_switch
#   p2uni, p1024uni  one direction: port 0 replays P_fwd.pcap, port 1 is a net_null sink, so the
#                    switch never learns B and floods every packet; systems: testpmd io, OVS-DPDK
#                    NORMAL (floods too), dpdk_switch
#   p1024vlan        p1024 with VLANs: port 0 is a trunk [10] replaying the A->B frames tagged, port 1
#                    an access port of VLAN 10 replaying B->A untagged, so the switch pops the tag of
#                    every frame one way and pushes one every frame the other way; dpdk_switch only
#                    (its cost of push/pop end to end: compare with its p1024 row)
#
# OVS-DPDK runs as a private instance (ovsdb-server + ovs-vswitchd in a temp dir, netdev bridge,
# NORMAL, pmd on lcore 1, dpdk-extra --no-pci); openvswitch-switch-dpdk is installed with apt if
# missing (not with --no-install), and its rows are skipped with a note if it cannot run.
#
# Mpps = packets sent by both ports per second, over WINDOW s after WARMUP s. Each (traffic, system)
# is run RUNS times, interleaved; the table gives medians. Raw runs: RESULTS/runs.json, logs: RESULTS/logs/.
#
# usage: scripts/bench_pcap.sh [-n RUNS] [-w WINDOW_S] [-W WARMUP_S] [-o RESULTS_DIR]
#            [--only testpmd,ovs,switch] [--no-ovs] [--no-install] [--traffic "p2 p1024 p1024vlan"] [--no-uni]
#            [--pcap-dir DIR] [--mem huge|nohuge] [--force]
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -uo pipefail

# shellcheck source=bench_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"   # ROOT PY BUILD_DIR SWITCH_BIN CTL_BIN TESTPMD
# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"   # processes, packages, the private OVS-DPDK
SW_PREFIX=dswbench        # EAL --file-prefix of the switch
TP_PREFIX=dswbench_tp     # ... and of testpmd
OVS_BR=dswbovs0           # the OVS bridge (its LOCAL port is a tap of that name)

RUNS=3 WINDOW=10 WARMUP=8 RESULTS='' ONLY=all TRAFFIC="p2 p1024 p1024vlan" UNI=1 PCAP_DIR='' MEM='' FORCE=0
INSTALL=1 NO_OVS=0
RUN_TESTPMD=1 RUN_OVS=1 RUN_SWITCH=1   # from --only / --no-ovs
OVS_OK=0 OVS_NOTE='' OVS_RUN='' OVS_PIDS=() OVS_VSWITCHD=ovs-vswitchd
TMP='' RAW='' REC='' LOGDIR='' SOCK='' DEV0='' DEV1=''
MAX_RETRIES=2  # a run that other work overlapped (see CONTENDED_IDLE) is repeated up to this often
CONTENDED_IDLE=45  # a clean window is ~50% idle (one core busy-polls, the main lcore sleeps): less is contended
MIN_IDLE=85    # before a run starts (nothing of ours running), the CPUs must be this idle (%)
PIDS=()        # every process we started and have not reaped yet
MEM_ARGS=()    # EAL memory options: --in-memory, or --no-huge -m 1024

# ---------------------------------------------------------------- messages and arguments

log() { printf '%s\n' "$*" >&2; }
die() { log "bench_pcap: $*"; exit 1; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -n|--runs)    RUNS=${2:?}; shift ;;
      -w|--window)  WINDOW=${2:?}; shift ;;
      -W|--warmup)  WARMUP=${2:?}; shift ;;
      -o|--results) RESULTS=${2:?}; shift ;;
      --only)       ONLY=${2:?}; shift ;;
      --no-ovs)     NO_OVS=1 ;;
      --no-install) INSTALL=0 ;;
      --traffic)    TRAFFIC=${2:?}; shift ;;
      --no-uni)     UNI=0 ;;
      --pcap-dir)   PCAP_DIR=${2:?}; shift ;;
      --mem)        MEM=${2:?}; shift ;;
      --force)      FORCE=1 ;;
      -h|--help)    usage 0 ;;
      *)            log "unknown argument: $1"; usage 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"
  { is_number "$WINDOW" && is_number "$WARMUP"; } || die "-w/-W want seconds (e.g. 10 or 2.5)"
  local w
  if [ "$ONLY" != all ]; then
    RUN_TESTPMD=0 RUN_OVS=0 RUN_SWITCH=0
    for w in ${ONLY//,/ }; do
      case $w in
        testpmd) RUN_TESTPMD=1 ;;
        ovs)     RUN_OVS=1 ;;
        switch)  RUN_SWITCH=1 ;;
        *) die "--only wants a comma separated list of testpmd, ovs, switch" ;;
      esac
    done
  fi
  [ $NO_OVS = 1 ] && RUN_OVS=0
  case $MEM in ""|huge|nohuge) ;; *) die "--mem wants huge or nohuge" ;; esac
  for t in $TRAFFIC; do case $t in p2|p1024|p1024vlan) ;; *) die "--traffic: unknown $t (p2, p1024, p1024vlan)" ;; esac; done
}

# ---------------------------------------------------------------- processes

wait_pid() {  # PID LIMIT_S: wait for it to exit by itself; after LIMIT_S stop it
  local end=$((SECONDS + $2))
  while alive "$1" && [ $SECONDS -lt $end ]; do sleep 0.2; done
  alive "$1" && { log "  pid $1 still running after $2 s: stopping it"; stop_pid "$1"; return $?; }
  reap "$1"
}

# shellcheck source=scripts/bench_quiet.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_quiet.sh"

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  sample_stop
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  stop_jobs
  ovs_stop
  [ -n "$TMP" ] && rm -rf "$TMP"
  rm -rf "/var/run/dpdk/$SW_PREFIX" "/var/run/dpdk/$TP_PREFIX"   # EAL runtime dirs (empty with --in-memory)
  exit $rc
}

# ---------------------------------------------------------------- setup

setup() {
  "$PY" -c 'import json, statistics' 2>/dev/null || die "$PY cannot run (set PYTHON=)"
  command -v "$TESTPMD" >/dev/null || [ $RUN_TESTPMD = 0 ] || die "$TESTPMD not found (apt install dpdk)"
  if [ $RUN_SWITCH = 1 ]; then
    [ -x "$SWITCH_BIN" ] || die "$SWITCH_BIN not built (scripts/build.sh, or DSW_BUILD_DIR=, or --only testpmd)"
    [ -x "$CTL_BIN" ]    || die "$CTL_BIN not built"
  fi
  TMP=$(mktemp -d /tmp/dsw_bench_pcap.XXXXXX) || die "mktemp failed"
  SOCK=$TMP/ctl.sock REC=$TMP/rec.json
  RESULTS=${RESULTS:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}
  LOGDIR=$RESULTS/logs RAW=$RESULTS/runs.jsonl
  mkdir -p "$LOGDIR" || die "cannot create $LOGDIR"
  : >"$RAW"
  setup_memory
  setup_pcaps
  [ $RUN_OVS = 1 ] && { ovs_setup || { RUN_OVS=0; log "bench_pcap: OVS-DPDK rows skipped: $OVS_NOTE"; }; }
}

setup_memory() {  # hugepages when the kernel gives them; --no-huge cannot be combined with --in-memory
  MEM=${MEM:-$(bash "$ROOT/scripts/hugepages.sh")}
  if [ "$MEM" = huge ]; then MEM_ARGS=(--in-memory); else MEM_ARGS=(--no-huge -m 1024); fi
}

setup_pcaps() {
  if [ -z "$PCAP_DIR" ]; then
    PCAP_DIR=$TMP/pcap
    "$PY" "$ROOT/scripts/gen_pcap.py" "$PCAP_DIR" || die "gen_pcap.py failed"
  fi
  local t; for t in $TRAFFIC; do
    { [ -r "$PCAP_DIR/${t}_fwd.pcap" ] && [ -r "$PCAP_DIR/${t}_rev.pcap" ]; } || die "no ${t}_fwd/rev.pcap in $PCAP_DIR"
  done
}

port_devargs() {  # TRAFFIC -> DEV0 DEV1
  local base=${1%uni}
  DEV0="net_pcap0,rx_pcap=$PCAP_DIR/${base}_fwd.pcap,infinite_rx=1"
  if [ "$base" = "$1" ]; then DEV1="net_pcap1,rx_pcap=$PCAP_DIR/${base}_rev.pcap,infinite_rx=1"
  else DEV1="net_null0,no-rx=1"; fi
}


# ---------------------------------------------------------------- testpmd

testpmd_feed() {  # testpmd's stdin: stats after WARMUP and after WINDOW more, then stop and quit.
  # exec: one process, so stopping the tracked pid stops the feeder (no orphaned sleeper).
  exec "$PY" -c 'import sys, time
warmup, window = float(sys.argv[1]), float(sys.argv[2])
try:
    time.sleep(warmup); print("show port stats all", flush=True)
    time.sleep(window); print("show port stats all", flush=True)
    print("stop", flush=True); print("quit", flush=True)
except BrokenPipeError:   # testpmd is gone already
    pass' "$WARMUP" "$WINDOW"
}

run_testpmd() {  # MODE TRAFFIC RUN: one run; appends its record to $RAW
  local mode=$1 traffic=$2 run=$3 name="testpmd-$1-$2-$3"
  local log=$LOGDIR/$name.log fifo=$TMP/testpmd.in pid feeder rc c0 c1
  port_devargs "$traffic"
  local cmd=("$TESTPMD" -l 0,1 --main-lcore 0 --no-pci "${MEM_ARGS[@]}" --file-prefix "$TP_PREFIX"
             --vdev "$DEV0" --vdev "$DEV1" -- -i --nb-cores=1 "--forward-mode=$mode" --auto-start)
  rm -f "$fifo"; mkfifo "$fifo"
  "${cmd[@]}" <"$fifo" >"$log" 2>&1 & pid=$!; track $pid
  testpmd_feed >"$fifo" & feeder=$!; track $feeder
  nap "$WARMUP"; sample_start "$WINDOW"; c0=$(cpu_stat); nap "$WINDOW"; c1=$(cpu_stat); sample_stop
  wait_pid $pid $(( ${WARMUP%.*} + ${WINDOW%.*} + 60 )); rc=$?
  stop_pid $feeder 1
  rm -f "$fifo"
  pyh record "testpmd $mode" "$traffic" "$run" "logs/$name.log" "$(printf '%q ' "${cmd[@]}")" \
      "$(pyh testpmd-result "$log" "$rc")" "$c0" "$c1" >"$REC"
}

# ---------------------------------------------------------------- dpdk_switch

switch_config() {  # DEV0 DEV1 TRAFFIC -> YAML
  local tag0='' tag1=''
  [ "$3" = p1024vlan ] && tag0=', trunk: [10]' tag1=', vlan: 10'
  printf 'switch: {mac_table_size: 65536}\nports:\n'
  printf '  - {name: p0, type: dpdk, devargs: "%s"%s}\n' "$1" "$tag0"
  printf '  - {name: p1, type: dpdk, devargs: "%s"%s}\n' "$2" "$tag1"
}

ctl_stats() { "$CTL_BIN" --socket "$SOCK" --json show port stats all; }

ctl_sample() {  # -> {"t0":..,"t1":..,"stats":{..}}: one stats read with the times around it
  local t0 t1 stats
  t0=$(date +%s.%N); stats=$(ctl_stats) || return 1; t1=$(date +%s.%N)
  printf '{"t0": %s, "t1": %s, "stats": %s}' "$t0" "$t1" "$stats"
}

wait_switch_ready() {  # PID: until the control socket answers (30 s), or the switch is gone
  local _; for _ in $(seq 150); do
    alive "$1" || return 1
    ctl_stats >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

run_switch() {  # TRAFFIC RUN: one run; appends its record to $RAW
  local traffic=$1 run=$2 name="dpdk_switch-$1-$2"
  local log=$LOGDIR/$name.log cfg=$LOGDIR/$name.yaml pid rc s0='' s1='' err='' c0='' c1=''
  port_devargs "$traffic"
  switch_config "$DEV0" "$DEV1" "$traffic" >"$cfg"
  local cmd=("$SWITCH_BIN" -l 0,1 --main-lcore 0 --no-pci "${MEM_ARGS[@]}" --file-prefix "$SW_PREFIX"
             -- --config "$cfg" --ctl-socket "$SOCK")
  "${cmd[@]}" </dev/null >"$log" 2>&1 & pid=$!; track $pid
  if wait_switch_ready $pid; then
    nap "$WARMUP"
    sample_start "$WINDOW"
    c0=$(cpu_stat)
    { s0=$(ctl_sample) && nap "$WINDOW" && s1=$(ctl_sample); } || err="reading stats failed"
    c1=$(cpu_stat)
    sample_stop
  else
    err="switch did not answer on $SOCK (see logs/$name.log)"
  fi
  stop_pid $pid 15; rc=$?
  rm -f "$SOCK"
  pyh record dpdk_switch "$traffic" "$run" "logs/$name.log" "$(printf '%q ' "${cmd[@]}")" \
      "$(pyh switch-result "$s0" "$s1" "$rc" "$err")" "$c0" "$c1" >"$REC"
}

# ---------------------------------------------------------------- OVS-DPDK (a private instance)

ovs_sample() {  # -> {"t0":..,"t1":..,"ports":"<ovs-ofctl dump-ports>"}: the ports' live rte_eth_stats
  local t0 t1 out
  t0=$(date +%s.%N); out=$(ovs ovs-ofctl dump-ports "$OVS_BR" 2>&1) || return 1; t1=$(date +%s.%N)
  "$PY" -c 'import json, sys; print(json.dumps({"t0": float(sys.argv[1]), "t1": float(sys.argv[2]), "ports": sys.argv[3]}))' \
      "$t0" "$t1" "$out"
}

run_ovs() {  # TRAFFIC RUN: one run; appends its record to $RAW
  local traffic=$1 run=$2 name="ovs-$1-$2"
  local log=$LOGDIR/$name.log pmd=$LOGDIR/$name.pmd-stats.txt s0='' s1='' err='' c0='' c1=''
  port_devargs "$traffic"
  local desc="ovs-vswitchd (dpdk-init=true dpdk-socket-mem=1024 dpdk-lcore-mask=0x1 pmd-cpu-mask=0x2 dpdk-extra=\"--no-pci --file-prefix=$OVS_PREFIX\"), bridge $OVS_BR datapath_type=netdev (NORMAL), p0 dpdk-devargs=\"$DEV0\", p1 dpdk-devargs=\"$DEV1\""
  : >"$pmd"
  if ovs_start "$DEV0" "$DEV1" >"$log" 2>&1; then
    nap "$WARMUP"
    ovs ovs-appctl dpif-netdev/pmd-stats-clear >/dev/null 2>&1
    sample_start "$WINDOW"
    c0=$(cpu_stat)
    { s0=$(ovs_sample) && nap "$WINDOW" && s1=$(ovs_sample); } || err="reading ovs-ofctl dump-ports failed"
    c1=$(cpu_stat)
    sample_stop
    ovs ovs-appctl dpif-netdev/pmd-stats-show >"$pmd" 2>&1
  else
    err="OVS did not start (see logs/$name.log)"
  fi
  ovs_stop "$log"
  pyh record "ovs normal" "$traffic" "$run" "logs/$name.log" "$desc" \
      "$(pyh ovs-result "$s0" "$s1" "$pmd" "$err")" "$c0" "$c1" >"$REC"
}

# ---------------------------------------------------------------- the plan

run_cell() {  # RUN_FUNC ARGS...: one run, appended to $RAW. A run whose window found the CPUs busy
  # with other work (idle < CONTENDED_IDLE%; ~50% is clean), or in which the host probe read
  # contended, is repeated, up to MAX_RETRIES times. A clean attempt is kept; when none is, the one
  # in which the probe found the CPU taken least often (the table lists it under "contended runs").
  local attempt=0 idle host tries=()
  while :; do
    wait_for_quiet_cpu   # and for the host: PROBE_BEFORE
    : >"$REC"
    "$@"   # and samples the host during its window: PROBE_DURING
    host=$(host_contended "$PROBE_DURING" busy)
    "$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); r["repeats"] = int(sys.argv[2]); print(json.dumps(r))' \
        "$REC" "$attempt" 2>/dev/null | with_probes >"$REC.$attempt" || cp "$REC" "$REC.$attempt"
    tries+=("$REC.$attempt")
    idle=$("$PY" -c 'import json, sys; r = json.load(open(sys.argv[1])); i = r.get("cpu_idle_pct")
print("" if i is None else int(i))' "$REC" 2>/dev/null)
    { { [ -n "$idle" ] && [ "$idle" -lt $CONTENDED_IDLE ]; } || [ -n "$host" ]; } \
      && [ $attempt -lt $MAX_RETRIES ] && [ $FORCE = 0 ] || break
    attempt=$((attempt + 1))
    if [ -n "$host" ]; then log "  ($host in the window: repeating this run, attempt $((attempt + 1)))"
    else log "  (CPU only $idle% idle: repeating this run, attempt $((attempt + 1)))"; fi
  done
  # The last attempt is the clean one if any was (the loop stops there); else the least taken.
  "$PY" -c 'import json, sys
from bench_common import host_contended
recs = [json.load(open(f)) for f in sys.argv[1:]]
last = recs[-1]
taken = lambda r: ((r.get("host_probe") or {}).get("during") or {}).get("gaps_per_ms", 0)
kept = last if not host_contended(last) else min(recs, key=taken)
kept.update(kept_attempt=kept["repeats"], repeats=len(recs) - 1)
print(json.dumps(kept))' "${tries[@]}" >>"$RAW" 2>/dev/null \
      || cat "${tries[-1]}" >>"$RAW"
  rm -f "${tries[@]}"
}

run_all() {  # runs are interleaved (run 1 of everything, then run 2, ...) so drift hits all alike
  local run t traffics=$TRAFFIC
  [ $UNI = 1 ] && for t in $TRAFFIC; do [ $t = p1024vlan ] || traffics+=" ${t}uni"; done
  for run in $(seq "$RUNS"); do
    for t in $traffics; do
      if [ $t = p1024vlan ]; then   # VLAN push/pop: the switch's own cost, against its p1024 row
        [ $RUN_SWITCH = 1 ] && run_cell run_switch "$t" "$run"
        continue
      fi
      if [ $RUN_TESTPMD = 1 ]; then
        run_cell run_testpmd io "$t" "$run"
        [[ $t == *uni ]] || run_cell run_testpmd mac "$t" "$run"
      fi
      [ $RUN_OVS = 1 ] && run_cell run_ovs "$t" "$run"
      [ $RUN_SWITCH = 1 ] && run_cell run_switch "$t" "$run"
    done
  done
}

plan_summary() {
  local n_t n_sys=0 per
  n_t=$(wc -w <<<"$TRAFFIC")
  [ $RUN_TESTPMD = 1 ] && n_sys=$((n_sys + 2 * n_t + UNI * n_t))
  [ $RUN_OVS = 1 ] && n_sys=$((n_sys + n_t + UNI * n_t))
  [ $RUN_SWITCH = 1 ] && n_sys=$((n_sys + n_t + UNI * n_t))
  per=$(( ${WARMUP%.*} + ${WINDOW%.*} + 4 ))
  log "bench_pcap: $((n_sys * RUNS)) runs of ~${per} s (~$((n_sys * RUNS * per / 60)) min), memory: $MEM ${MEM_ARGS[*]}"
  log "            window ${WINDOW} s after ${WARMUP} s warm-up; results in $RESULTS"
}

# ---------------------------------------------------------------- JSON, medians, table (python)

PYHELPER=$(cat <<'EOF'
import json, os, platform, re, statistics, subprocess, sys
from bench_common import fmt, host_contended, host_contended_lines, machine_meta

CONTENDED_IDLE = float(os.environ.get("CONTENDED_IDLE", "45"))

def testpmd_result(log, rc):
    # Each "show port stats all" prints one block per port; Tx-pps of a block is the rate since the
    # previous show, timed by testpmd. The first show reads 0, so use each port's last block.
    text = open(log, errors="replace").read()
    blocks = re.findall(r"NIC statistics for port (\d+).*?Rx-pps:\s+(\d+).*?Tx-pps:\s+(\d+)", text, re.S)
    last, seen = {}, {}
    for port, rx, tx in blocks:
        last[int(port)] = (int(rx), int(tx))
        seen[int(port)] = seen.get(int(port), 0) + 1
    res = {"exit_status": int(rc)}
    if not last or min(seen.values()) < 2:
        res.update(mpps=None, error="no second 'show port stats all' in the log")
        return res
    ports = [{"port": p, "rx_pps": rx, "tx_pps": tx} for p, (rx, tx) in sorted(last.items())]
    res.update(mpps=sum(p["tx_pps"] for p in ports) / 1e6, ports=ports)
    return res

def switch_result(s0, s1, rc, err):
    res = {"exit_status": int(rc)}
    if rc not in ("0", 0):
        res["warning"] = "dpdk_switch exited with status %s after SIGTERM" % rc
    if err or not s0 or not s1:
        res.update(mpps=None, error=err or "no stats samples")
        return res
    a, b = json.loads(s0), json.loads(s1)
    elapsed = (b["t0"] + b["t1"]) / 2 - (a["t0"] + a["t1"]) / 2
    before = {p["name"]: p for p in a["stats"]["ports"]}
    ports = []
    for p in b["stats"]["ports"]:
        q = before.get(p["name"], {})
        d = {k: p.get(k, 0) - q.get(k, 0) for k in ("rx_packets", "tx_packets")}
        drops = {k: v - q.get("drops", {}).get(k, 0) for k, v in p.get("drops", {}).items()}
        ports.append(dict(name=p["name"], **d, tx_mpps=d["tx_packets"] / elapsed / 1e6, drops=drops))
    res.update(mpps=sum(p["tx_packets"] for p in ports) / elapsed / 1e6, elapsed_s=elapsed,
               ports=ports, ctl_read_s=[a["t1"] - a["t0"], b["t1"] - b["t0"]])
    return res

def ovs_result(s0, s1, pmd_file, err):
    # ovs-ofctl dump-ports: "port  1: rx pkts=N, ...\n           tx pkts=N, ..." per port (LOCAL too).
    # The tx pkts of the two dpdk ports are their live rte_eth_stats opackets.
    res = {"exit_status": 0}
    try:
        pmd = open(pmd_file).read()
    except OSError:
        pmd = ""
    stats = {}
    for key, pat in (("cycles_per_pkt", r"avg processing cycles per packet:\s+([\d.]+)"),
                     ("emc_hits", r"emc hits:\s+(\d+)"), ("smc_hits", r"smc hits:\s+(\d+)"),
                     ("megaflow_hits", r"megaflow hits:\s+(\d+)"),
                     ("upcalls_ok", r"miss with success upcall:\s+(\d+)"),
                     ("upcalls_failed", r"miss with failed upcall:\s+(\d+)"),
                     ("idle_cycles_pct", r"idle cycles:\s+\d+\s+\(([\d.]+)%\)")):
        m = re.search(pat, pmd)
        if m:
            stats[key] = float(m[1])
    if stats:
        res["pmd_stats"] = stats
    if err or not s0 or not s1:
        res.update(mpps=None, error=err or "no dump-ports samples")
        return res
    a, b = json.loads(s0), json.loads(s1)
    def ports(text):
        out = {}
        for m in re.finditer(r"port\s+\"?([^:\s\"]+)\"?:\s+rx pkts=(\d+).*?tx pkts=(\d+)", text, re.S):
            out[m[1]] = (int(m[2]), int(m[3]))
        return out
    pa, pb = ports(a["ports"]), ports(b["ports"])
    elapsed = (b["t0"] + b["t1"]) / 2 - (a["t0"] + a["t1"]) / 2
    rows = []
    for name, (rx, tx) in pb.items():
        if name == "LOCAL" or name not in pa:
            continue
        rows.append(dict(name=name, rx_packets=rx - pa[name][0], tx_packets=tx - pa[name][1],
                         tx_mpps=(tx - pa[name][1]) / elapsed / 1e6))
    if len(rows) != 2:
        res.update(mpps=None, error="dump-ports shows %d dpdk ports, not 2" % len(rows))
        return res
    res.update(mpps=sum(r["tx_packets"] for r in rows) / elapsed / 1e6, elapsed_s=elapsed, ports=rows)
    return res

def cpu_idle_pct(c0, c1):
    # "cpu user nice system idle iowait ...": one forwarding core busy-polls, the main lcore sleeps,
    # so a clean run is ~50% idle on 2 vCPUs; much less means something else competed for the CPU.
    try:
        a, b = [list(map(int, c.split()[1:])) for c in (c0, c1)]
    except ValueError:
        return None
    d = [y - x for x, y in zip(a, b)]
    return 100.0 * (d[3] + d[4]) / sum(d) if sum(d) else None

def record(system, traffic, run, log, cmd, result, c0="", c1=""):
    rec = dict(system=system, traffic=traffic, run=int(run), log=log, cmd=cmd.strip(), **json.loads(result))
    rec["cpu_idle_pct"] = idle = cpu_idle_pct(c0, c1)
    mpps = "%.2f Mpps" % rec["mpps"] if rec["mpps"] is not None else "FAILED: " + rec.get("error", "")
    warn = ("  (" + rec["warning"] + ")") if rec.get("warning") else ""
    if idle is not None and idle < CONTENDED_IDLE:
        rec["contended"] = True
        warn += "  (CPU only %.0f%% idle in the window: something else was running)" % idle
    idle_s = "" if idle is None else "  idle %.0f%%" % idle
    print("  run %-2s %-9s %-12s %s%s%s" % (run, traffic, system, mpps, idle_s, warn), file=sys.stderr)
    return json.dumps(rec)

SYSTEMS = ["testpmd io", "testpmd mac", "ovs normal", "dpdk_switch"]

def summarize(raw, out_json, out_txt, meta_kv):
    runs = [json.loads(l) for l in open(raw) if l.strip()]
    traffics = list(dict.fromkeys(r["traffic"] for r in runs))
    meta = dict(kv.split("=", 1) for kv in meta_kv)
    for k in ("runs", "window_s", "warmup_s", "cpu_mhz"):
        try:
            meta[k] = float(meta[k]) if "." in meta[k] else int(meta[k])
        except (KeyError, ValueError):
            pass
    mhz = float(meta.get("cpu_mhz") or 0)
    cells, medians = {}, []
    for t in traffics:
        for s in SYSTEMS:
            rs = [r for r in runs if r["traffic"] == t and r["system"] == s]
            if not rs:
                continue
            vals = [r["mpps"] for r in rs]
            # A run the host probe called contended (even after its repeats) counts only when
            # the cell has no clean one: it measured the host, not the system.
            ok = ([r["mpps"] for r in rs if r["mpps"] is not None and not host_contended(r)]
                  or [v for v in vals if v is not None])
            med = statistics.median(ok) if ok else None
            cells[t, s] = (med, rs)
            medians.append(dict(traffic=t, system=s, median_mpps=med, runs_mpps=vals,
                                host_contended_runs=[r["run"] for r in rs if host_contended(r)]))
    def med(t, s):
        return cells.get((t, s), (None, []))[0]
    def ratio(a, b):
        return a / b if a is not None and b else None
    lines = ["Mpps forwarded (sum of both ports' TX), median of %s run(s), %s s window after %s s warm-up, %s"
             % (meta.get("runs"), meta.get("window_s"), meta.get("warmup_s"), meta.get("memory")),
             "", "%-9s %11s %12s %11s %12s %8s %8s %8s %11s %12s" % (
                 "traffic", "testpmd io", "testpmd mac", "OVS NORMAL", "dpdk_switch", "sw/mac", "sw/io", "sw/ovs",
                 "sw cyc/pkt", "ovs cyc/pkt")]
    ratios = []
    for t in traffics:
        io, mac, ovs, sw = med(t, "testpmd io"), med(t, "testpmd mac"), med(t, "ovs normal"), med(t, "dpdk_switch")
        r_mac, r_io, r_ovs = ratio(sw, mac), ratio(sw, io), ratio(sw, ovs)
        cyc = mhz / sw if sw and mhz else None
        ovs_cyc = [r.get("pmd_stats", {}).get("cycles_per_pkt") for r in runs
                   if r["traffic"] == t and r["system"] == "ovs normal"]
        ovs_cyc = [c for c in ovs_cyc if c is not None]
        ovs_cyc = statistics.median(ovs_cyc) if ovs_cyc else None
        ratios.append(dict(traffic=t, switch_over_testpmd_mac=r_mac, switch_over_testpmd_io=r_io,
                           switch_over_ovs=r_ovs, switch_cycles_per_pkt=cyc, ovs_pmd_cycles_per_pkt=ovs_cyc))
        lines.append("%-9s %11s %12s %11s %12s %8s %8s %8s %11s %12s" % (
            t, fmt(io), fmt(mac), fmt(ovs), fmt(sw), fmt(r_mac, "%.3f"), fmt(r_io, "%.3f"), fmt(r_ovs, "%.2f"),
            fmt(cyc, "%.0f"), fmt(ovs_cyc, "%.0f")))
    vlan = ratio(med("p1024vlan", "dpdk_switch"), med("p1024", "dpdk_switch"))
    if vlan is not None:
        lines += ["", "VLAN push/pop end to end: dpdk_switch p1024vlan / p1024 = %.3f (issue 4: within 10%%: %s)"
                  % (vlan, "met" if vlan >= 0.9 else "MISSED")]
    lines += ["", "runs (Mpps; * host-contended, left out of the median when the cell has a clean run):"]
    for (t, s), (_, rs) in cells.items():
        lines.append("  %-9s %-12s %s" % (t, s, " ".join(fmt(r["mpps"]) + ("*" if host_contended(r) else "")
                                                         for r in rs)))
    failed = [r for r in runs if r["mpps"] is None]
    if failed:
        lines += ["", "failed runs:"] + ["  %s %s run %s: %s (%s)" % (r["traffic"], r["system"], r["run"],
                                                                    r.get("error"), r["log"]) for r in failed]
    busy = [r for r in runs if r.get("cpu_idle_pct") is not None and r["cpu_idle_pct"] < CONTENDED_IDLE]
    if busy:
        lines += ["", "contended runs (CPU < %d%% idle in the window; ~50%% is clean):" % CONTENDED_IDLE] + [
            "  %s %s run %s: %.0f%% idle" % (r["traffic"], r["system"], r["run"], r["cpu_idle_pct"]) for r in busy]
    lines += host_contended_lines(runs, lambda r: "%s %s run %s" % (r["traffic"], r["system"], r["run"]))
    if meta.get("ovs_note"):
        lines += ["", "OVS-DPDK not run: " + meta["ovs_note"]]
    lines += ["", "*uni rows: one direction into a net_null sink; the switch and OVS flood (unknown unicast), "
              "testpmd mac is not run there (io is the ceiling).",
              "sw cyc/pkt = CPU MHz / switch Mpps (one forwarding core); ovs cyc/pkt = its pmd-stats-show "
              "'avg processing cycles per packet'."]
    text = "\n".join(lines) + "\n"
    json.dump(dict(meta=meta, medians=medians, ratios=ratios, vlan_over_plain=vlan, runs=runs), open(out_json, "w"), indent=1)
    open(out_txt, "w").write(text)
    return text

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "testpmd-result":
    print(json.dumps(testpmd_result(*args)))
elif cmd == "switch-result":
    print(json.dumps(switch_result(*args)))
elif cmd == "ovs-result":
    print(json.dumps(ovs_result(*args)))
elif cmd == "record":
    print(record(*args))
elif cmd == "summarize":
    print(summarize(args[0], args[1], args[2], args[3:]), end="")
elif cmd == "cpu-meta":
    print(machine_meta())
else:
    sys.exit("pyhelper: unknown command " + cmd)
EOF
)

pyh() { CONTENDED_IDLE=$CONTENDED_IDLE "$PY" -c "$PYHELPER" "$@"; }

summarize() {
  write_summary "runs=$RUNS" "window_s=$WINDOW" "warmup_s=$WARMUP" "memory=$MEM ${MEM_ARGS[*]}" \
    "switch_bin=$SWITCH_BIN" "testpmd=$(command -v "$TESTPMD")" "only=$ONLY" "ovs_note=$OVS_NOTE"
}

main() {
  parse_args "$@"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  setup
  plan_summary
  run_all
  summarize
}

main "$@"
