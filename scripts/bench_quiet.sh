# Sourced by the bench scripts: wait until nothing else keeps the 2 vCPUs busy before a measured
# run, in the guest or (as far as a probe can tell) on the host. Uses the caller's PIDS and
# OVS_PIDS (processes it started), BUILD_DIR, PY, FORCE, MIN_IDLE, log and die.
# shellcheck shell=bash

foreign_dpdk_pids() {  # busy-polling DPDK processes we did not start (pgrep -x: names <= 15 chars)
  local name p
  for name in dpdk-testpmd dpdk_switch ovs-vswitchd ovs-vswitchd-dp; do
    for p in $(pgrep -x "$name"); do [[ " ${PIDS[*]} ${OVS_PIDS[*]} " == *" $p "* ]] || echo "$p"; done
  done
}

cpu_stat() { head -n 1 /proc/stat; }   # the CPUs' "cpu ..." line: two of them give an idle share

idle_pct() {  # "cpu ..." line at the start and at the end -> idle share (%) of all CPUs in between
  awk -v a="$1" -v b="$2" 'BEGIN { n = split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    print (t > 0) ? int(100 * (y[5] - x[5] + y[6] - x[6]) / t) : 100 }'
}

cpu_idle_over() {  # SECONDS -> the idle share (%) of all CPUs over that time
  local a
  a=$(cpu_stat); sleep "$1"; idle_pct "$a" "$(cpu_stat)"
}

wait_for_quiet_cpu() {  # two busy pollers on 2 vCPUs would make every figure meaningless; so would a compile
  local n=0 others idle
  while others=$(foreign_dpdk_pids) && [ -n "$others" ]; do
    [ $FORCE = 1 ] && { log "  warning: other DPDK processes running: ${others//$'\n'/ } (--force)"; return; }
    [ $n = 0 ] && log "  waiting for other DPDK processes to exit:" && ps -o pid=,etimes=,args= -p "${others//$'\n'/,}" >&2
    n=$((n + 1)); [ $n -gt 600 ] && die "other DPDK processes still running after 300 s: ${others//$'\n'/ }"
    sleep 0.5
  done
  # Nothing of ours runs now, so the CPUs should be nearly idle: wait (up to 5 min) until they are.
  n=0
  while idle=$(cpu_idle_over 1) && [ "$idle" -lt $MIN_IDLE ] && [ $FORCE = 0 ]; do
    [ $n = 0 ] && log "  waiting for the CPUs to be idle (${idle}% idle, want ${MIN_IDLE}%)"
    n=$((n + 1)); [ $n -gt 300 ] && { log "  warning: CPUs still busy (${idle}% idle) after 300 s: going on"; break; }
    foreign_dpdk_pids | grep -q . && { wait_for_quiet_cpu; return; }
  done
  wait_for_quiet_host   # below: what the guest cannot see
}

# ---------------------------------------------------------------- the host
# On a shared host the hypervisor runs other tenants on our vCPUs' cores, and the guest does not
# see it: no steal time in /proc/stat, the CPUs read idle, yet testpmd io falls from ~81 to ~50 Mpps
# for seconds to minutes at a time. dsw_host_probe (bench/host_probe.cc) spins 1 ms at a time on
# one CPU and counts how often the CPU was taken from it (gaps in the TSC). Sampled during
# testpmd windows on this host (BENCHMARKS.md): 0.05-0.70 gaps/ms in every window at its usual
# rate, 0.78-0.98 in every window 23-36% slower. On the idle CPU before a window, the same
# sampling reads more, in steps of 0.05 (20 spins): 0.60-0.95 before windows at the usual rate
# (0.95 once), 0.95-2.0 before slow ones (1.00 in 6 of 11).
PROBE_BIN=${DSW_HOST_PROBE:-$BUILD_DIR/bench/dsw_host_probe}
# A reading is contended above either limit (the Python of every part reads the same variables):
export DSW_BENCH_MAX_GAPS_PER_MS=${DSW_BENCH_MAX_GAPS_PER_MS:-0.7}  # the CPU taken this often a ms,
export DSW_BENCH_MAX_IDLE_GAPS_PER_MS=${DSW_BENCH_MAX_IDLE_GAPS_PER_MS:-0.95}  # (on an idle CPU)
export DSW_BENCH_MAX_LOST_PCT=${DSW_BENCH_MAX_LOST_PCT:-20}         # or this share of its time lost
HOST_WAIT_S=${DSW_BENCH_HOST_WAIT_S:-180}           # how long a run waits for the host to calm down,
HOST_WAIT_TOTAL_S=${DSW_BENCH_HOST_WAIT_TOTAL_S:-900}  # and all runs of a part together (then: no waits)
HOST_WAITED_S=0
PROBE_CPU=1                                         # the forwarding lcore's CPU
PROBE_BEFORE='' PROBE_DURING=''                     # readings before and in a window (JSON, or empty)
SAMPLE_PID='' SAMPLE_OUT=''

host_probe() {  # 2 s of PROBE_CPU sampled as in a window (the verdict's limits hold for that pattern only);
  # the JSON line, or nothing (and false) when the probe is not built
  [ -x "$PROBE_BIN" ] && "$PROBE_BIN" --cpu "$PROBE_CPU" --ms 1 --every-ms 100 --for-s 2 2>/dev/null
}

sample_start() {  # SECONDS: sample PROBE_CPU during a window, in the background: 1 ms every
  # 100 ms, so the forwarder there keeps 99% of it. sample_stop reads it into PROBE_DURING.
  PROBE_DURING='' SAMPLE_PID=''
  [ -x "$PROBE_BIN" ] || return 0
  SAMPLE_OUT=${SAMPLE_OUT:-$(mktemp /tmp/dsw_probe.XXXXXX)}
  "$PROBE_BIN" --cpu "$PROBE_CPU" --ms 1 --every-ms 100 --for-s "$1" >"$SAMPLE_OUT" 2>/dev/null &
  SAMPLE_PID=$!
}

sample_stop() {  # ends the sample (it prints what it saw on SIGTERM) -> PROBE_DURING
  [ -n "$SAMPLE_PID" ] || return 0
  kill -TERM "$SAMPLE_PID" 2>/dev/null
  wait "$SAMPLE_PID" 2>/dev/null
  PROBE_DURING=$(cat "$SAMPLE_OUT" 2>/dev/null) SAMPLE_PID=''
  rm -f "$SAMPLE_OUT"; SAMPLE_OUT=''
}

host_contended() {  # JSON idle|busy: prints why when the probe's CPU was taken too often or too
  # long, else nothing (busy: sampled in a window, with a forwarder on the CPU)
  [ -n "$1" ] || return 0
  "$PY" -c 'import json, sys
from bench_common import probe_contended
why = probe_contended(json.loads(sys.argv[1]), sys.argv[2] == "idle")
if why: print("host contended: " + why)' "$1" "$2" 2>/dev/null
}

wait_for_quiet_host() {  # probe PROBE_CPU until it reads quiet, HOST_WAIT_S at most (and no more
  # once the part has waited HOST_WAIT_TOTAL_S in all); sets PROBE_BEFORE
  local start=$SECONDS why n=0
  PROBE_DURING=''
  PROBE_BEFORE=$(host_probe) || { PROBE_BEFORE=''; return 0; }
  while why=$(host_contended "$PROBE_BEFORE" idle) && [ -n "$why" ] && [ $FORCE = 0 ]; do
    if [ $((HOST_WAITED_S + SECONDS - start)) -ge "$HOST_WAIT_TOTAL_S" ]; then
      log "  ($why; this part has waited ${HOST_WAIT_TOTAL_S} s for the host already: going on)"; break
    fi
    [ $n = 0 ] && log "  waiting for the host ($why)"
    [ $((SECONDS - start)) -ge "$HOST_WAIT_S" ] && { log "  warning: host still contended after ${HOST_WAIT_S} s: going on"; break; }
    sleep 3
    n=$((n + 1))
    PROBE_BEFORE=$(host_probe)
  done
  [ $n -gt 0 ] && [ -z "$why" ] && log "  host quiet again after $((SECONDS - start)) s"
  [ $n -gt 0 ] && HOST_WAITED_S=$((HOST_WAITED_S + SECONDS - start))
  return 0
}

with_probes() {  # a JSON record on stdin -> the same with "host_probe": {"before", "during"}
  "$PY" -c 'import json, sys
r = json.loads(sys.stdin.read())
def reading(s):
    try: return json.loads(s)
    except ValueError: return None
r["host_probe"] = {k: reading(v) for k, v in zip(("before", "during"), sys.argv[1:]) if reading(v)}
print(json.dumps(r))' "$PROBE_BEFORE" "$PROBE_DURING"
}
