#!/usr/bin/env bash
# bench_vhost.sh: a DPDK app on vhost-user through dpdk_switch, against dpdk-testpmd io on the same
# vhost ports, in one run (issue 5's vhost target; see bench/README.md).
#
#        ┌───────────── the peer: dpdk-testpmd io, net_virtio_user0/1 (CPU 0) ─────────────┐
#        │ port 0 (02:..:01, sends to 02:..:02)            port 1 (02:..:02, sends to 02:..:01)
#        ╘═ vhost-user ═ vh0 ┐   the middle, lcore 1 (CPU 1)  ┌ vh1 ═ vhost-user ═╛
#                            └────────────────────────────────┘
#   middles   testpmd-io  dpdk-testpmd --forward-mode=io, net_vhost0/1 (server)
#             switch      dpdk_switch, two vhost ports (server): the frames are known unicast
#                         (each stream's destination is the other stream's source)
#   traffic   the peer starts with `start tx_first 8` (8 bursts of 64 B frames per port) and then
#             forwards in io mode what it receives on one port out of the other, so the frames
#             circulate peer -> middle -> peer; the rate is that of the slower forwarder, and the
#             middle (the vhost side, which copies every frame into or out of the peer's memory)
#             is the slower one
#   memory    2 MiB hugepages when scripts/hugepages.sh can reserve them (the middle --in-memory,
#             the peer --single-file-segments, as virtio-user needs), else --no-huge everywhere
#             (vhost-user <-> virtio-user works so too, ANCHORS.md section 3)
#   measure   the peer's Rx-pps, both ports, over a WINDOW-second window after WARMUP seconds
#             (two `show port stats all`: testpmd times the interval itself)
#
# Why one peer and not issue 5's txonly peer -> middle -> rxonly peer: with 2 CPUs the two peers
# must share CPU 0, and the rxonly one, scheduled a few ms at a time, received 0.03 Mpps of the
# 9 Mpps sent (measured); that measures the scheduler, not the middle.
#
# Runs are interleaved (run 1 of both middles, then run 2, ...); the table gives medians and the
# ratio switch / testpmd-io. Raw runs: RESULTS/runs.json; logs: RESULTS/logs/.
#
# usage: scripts/bench_vhost.sh [-n RUNS] [-w WARMUP_S] [-W WINDOW_S] [-o RESULTS_DIR] [--only testpmd-io|switch]
#            [--no-install] [--force]
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -uo pipefail

# shellcheck source=bench_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"   # ROOT PY BUILD_DIR SWITCH_BIN CTL_BIN TESTPMD

MAC0=02:00:00:00:00:01 MAC1=02:00:00:00:00:02
MID_PREFIX=dswbv_mid PEER_PREFIX=dswbv_peer
MIDDLES="testpmd-io switch"
RUNS=3 WARMUP=5 WINDOW=10 RESULTS='' INSTALL=1 FORCE=0 MIN_IDLE=85
TMP='' LOGDIR='' RAW='' PIDS=() OVS_PIDS=() FIFOS=()
MID_MEM=() PEER_MEM=() MEM=''   # EAL memory options, set in main

log() { printf '%s\n' "$*" >&2; }
die() { log "bench_vhost: $*"; exit 1; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
# shellcheck source=bench_quiet.sh
. "$ROOT/scripts/bench_quiet.sh"

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -n) RUNS=${2:?}; shift ;;
      -w) WARMUP=${2:?}; shift ;;
      -W) WINDOW=${2:?}; shift ;;
      -o) RESULTS=${2:?}; shift ;;
      --no-install) INSTALL=0 ;;
      --force) FORCE=1 ;;
      --only) MIDDLES=${2:?}; shift; [[ $MIDDLES =~ ^(testpmd-io|switch)$ ]] || die "--only wants testpmd-io or switch" ;;
      -h|--help) usage 0 ;;
      *) log "unknown argument: $1"; usage 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ && $WINDOW =~ ^[1-9][0-9]*$ ]] || die "-n/-w/-W want whole numbers"
}

# ---------------------------------------------------------------- processes

alive() { kill -0 "$1" 2>/dev/null; }

stop_all() {  # closes every testpmd's stdin (its way to exit), then TERM, then KILL
  local fd p
  for fd in "${FIFOS[@]}"; do eval "exec $fd>&-" 2>/dev/null; done
  FIFOS=()
  for p in "${PIDS[@]}"; do alive "$p" && kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    local any=0; for p in "${PIDS[@]}"; do alive "$p" && any=1; done
    [ $any = 0 ] && break
    sleep 0.1
  done
  for p in "${PIDS[@]}"; do alive "$p" && kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  PIDS=()
  rm -f "$TMP"/*.sock "$TMP"/*.fifo 2>/dev/null
  local pre; for pre in $MID_PREFIX $PEER_PREFIX; do rm -rf "/var/run/dpdk/$pre"; rm -f /dev/hugepages/"$pre"map_* 2>/dev/null; done
}

cleanup() {
  sample_stop
  stop_all
  [ -n "$TMP" ] && rm -rf "$TMP"
}

# testpmd NAME LOG ARGS...: starts dpdk-testpmd -i with its stdin on a fifo we hold open; the fd
# number is left in FD_<NAME> for commands.
testpmd() {
  local name=$1 logf=$2; shift 2
  local fifo=$TMP/$name.fifo fd
  mkfifo "$fifo"
  stdbuf -oL -eL "$TESTPMD" "$@" <"$fifo" >"$logf" 2>&1 & PIDS+=($!)
  exec {fd}>"$fifo"
  FIFOS+=("$fd")
  printf -v "FD_${name//-/_}" '%s' "$fd"
}

send() { local var="FD_${1//-/_}"; printf '%s\n' "$2" >&"${!var}"; }

wait_log() {  # FILE PATTERN SECONDS
  local _; for _ in $(seq $(($3 * 10))); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}

start_middle() {  # MIDDLE NAME -> 0 when it listens on both sockets
  local mid=$1 name=$2 cfg
  case $mid in
    testpmd-io)
      testpmd mid "$LOGDIR/$name.mid.log" -l 0,1 --main-lcore 0 --no-pci "${MID_MEM[@]}" --file-prefix $MID_PREFIX \
        --vdev "net_vhost0,iface=$TMP/vh0.sock,queues=1" --vdev "net_vhost1,iface=$TMP/vh1.sock,queues=1" \
        -- -i --nb-cores=1 --forward-mode=io --auto-start
      wait_log "$LOGDIR/$name.mid.log" 'testpmd>' 30
      ;;
    switch)
      cfg=$LOGDIR/$name.yaml
      printf 'ports:\n  - {name: vh0, type: vhost, path: %s}\n  - {name: vh1, type: vhost, path: %s}\n' \
        "$TMP/vh0.sock" "$TMP/vh1.sock" >"$cfg"
      "$SWITCH_BIN" -l 0,1 --main-lcore 0 --no-pci "${MID_MEM[@]}" --file-prefix $MID_PREFIX \
        -- --config "$cfg" --ctl-socket "$TMP/ctl.sock" </dev/null >"$LOGDIR/$name.mid.log" 2>&1 & PIDS+=($!)
      local _; for _ in $(seq 150); do
        "$CTL_BIN" --socket "$TMP/ctl.sock" show switch stats >/dev/null 2>&1 && return 0
        sleep 0.2
      done
      return 1
      ;;
  esac
}

last_pps() {  # LOG FIELD(Rx-pps|Tx-pps) -> the sum over both ports of the last `show port stats all`
  grep -o "$2: *[0-9]*" "$1" | tail -n 2 | grep -o '[0-9]*$' | awk '{ s += $1 } END { if (NR) print s }'
}

measure() {  # MIDDLE RUN: one run; appends a JSON line to RAW
  local mid=$1 run=$2 name="$1-$2" err='' rx='' tx='' mid_stats=''
  wait_for_quiet_cpu
  if ! start_middle "$mid" "$name"; then
    err="middle did not start (logs/$name.mid.log)"
  else
    testpmd peer "$LOGDIR/$name.peer.log" --lcores 0@0,1@0 --no-pci "${PEER_MEM[@]}" --file-prefix $PEER_PREFIX \
      --vdev "net_virtio_user0,path=$TMP/vh0.sock,queues=1,mac=$MAC0" \
      --vdev "net_virtio_user1,path=$TMP/vh1.sock,queues=1,mac=$MAC1" \
      -- -i --total-num-mbufs=16384 --nb-cores=1 --forward-mode=io --txpkts=64 --eth-peer=0,$MAC1 --eth-peer=1,$MAC0
    if ! wait_log "$LOGDIR/$name.peer.log" 'testpmd>' 30; then
      err="the peer did not start (logs/$name.peer.log)"
    else
      sleep 1
      send peer "start tx_first 8"
      sleep "$WARMUP"
      send peer "show port stats all"
      sample_start "$WINDOW"
      sleep "$WINDOW"
      send peer "show port stats all"
      sample_stop
      sleep 1
      rx=$(last_pps "$LOGDIR/$name.peer.log" Rx-pps) tx=$(last_pps "$LOGDIR/$name.peer.log" Tx-pps)
      [ "$mid" = switch ] && mid_stats=$("$CTL_BIN" --socket "$TMP/ctl.sock" --json show switch stats 2>/dev/null)
      [ -n "$rx" ] || err="no Rx-pps from the peer (logs/$name.peer.log)"
    fi
  fi
  stop_all
  "$PY" - "$mid" "$run" "${rx:-}" "${tx:-}" "$err" "$mid_stats" <<'EOF' | with_probes >>"$RAW"
import json, sys
mid, run, rx, tx, err, stats = sys.argv[1:7]
rec = dict(middle=mid, run=int(run), rx_pps=int(rx) if rx else None, tx_pps=int(tx) if tx else None)
if err: rec["error"] = err
if stats:
    try: rec["switch_stats"] = json.loads(stats)
    except ValueError: pass
print(json.dumps(rec))
EOF
  local flooded=''
  [ -n "$mid_stats" ] && flooded=" (switch: $("$PY" -c 'import json,sys; s=json.loads(sys.argv[1]); print("flooded %s, learned %s" % (s.get("flooded"), s.get("learned")))' "$mid_stats" 2>/dev/null))"
  log "  run $run $(printf '%-10s' "$mid") ${err:-the peer received ${rx} pps (sent ${tx:-?} pps)$flooded}"
}

summarize() {
  "$PY" - "$RAW" "$RESULTS/runs.json" "$RESULTS/summary.txt" "$RUNS" "$WARMUP" "$WINDOW" "$1" <<'EOF'
import json, statistics, sys
from bench_common import host_contended_lines
raw, out_json, out_txt, runs, warm, win, mem = sys.argv[1:8]
recs = [json.loads(l) for l in open(raw) if l.strip()]
med = lambda v: statistics.median(v) if v else None
medians = {}
for mid in ("testpmd-io", "switch"):
    rs = [r for r in recs if r["middle"] == mid]
    medians[mid] = dict(rx_pps=med([r["rx_pps"] for r in rs if r.get("rx_pps") is not None]),
                        tx_pps=med([r["tx_pps"] for r in rs if r.get("tx_pps") is not None]),
                        runs_rx_pps=[r.get("rx_pps") for r in rs], errors=sorted({r["error"] for r in rs if r.get("error")}))
a, b = medians["switch"]["rx_pps"], medians["testpmd-io"]["rx_pps"]
ratio = a / b if a is not None and b else None
f = lambda x: "-" if x is None else "%.2f" % (x / 1e6)
lines = ["vhost-user: testpmd io peer (2 virtio-user ports) <-> middle, 64 B frames circulating, median of %s run(s)" % runs,
         "the peer's Rx-pps (both ports) over %s s after %s s; the peer on CPU 0, the middle on CPU 1; memory: %s"
         % (win, warm, "2 MiB hugepages" if mem == "huge" else "--no-huge"), "",
         "%-34s %10s %10s   %s" % ("middle", "rx Mpps", "tx Mpps", "rx Mpps of the runs")]
labels = {"testpmd-io": "dpdk-testpmd --forward-mode=io", "switch": "dpdk_switch (known unicast)"}
for mid, m in medians.items():
    lines.append("%-34s %10s %10s   %s%s" % (labels[mid], f(m["rx_pps"]), f(m["tx_pps"]),
                 " ".join(f(v) for v in m["runs_rx_pps"]), ("  (" + "; ".join(m["errors"]) + ")") if m["errors"] else ""))
lines += ["", "dpdk_switch / testpmd io: %s   (target issue 5: >= 0.80: %s)" % (
    "-" if ratio is None else "%.3f" % ratio, "-" if ratio is None else ("met" if ratio >= 0.8 else "MISSED"))]
lines += host_contended_lines(recs, lambda r: "%s run %s" % (r["middle"], r["run"]))
text = "\n".join(lines) + "\n"
json.dump(dict(medians=medians, ratio=ratio, memory=mem, runs=recs), open(out_json, "w"), indent=1)
open(out_txt, "w").write(text)
print(text, end="")
EOF
}

main() {
  parse_args "$@"
  [ "$(id -u)" -eq 0 ] || die "needs root"
  trap cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  if ! command -v "$TESTPMD" >/dev/null && [ $INSTALL = 1 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq dpdk >/dev/null 2>&1
  fi
  command -v "$TESTPMD" >/dev/null || die "$TESTPMD not found (apt install dpdk)"
  [ -x "$SWITCH_BIN" ] && [ -x "$CTL_BIN" ] || die "$SWITCH_BIN not built (scripts/build.sh)"
  RESULTS=${RESULTS:-$ROOT/bench/results/vhost-$(date +%Y%m%d-%H%M%S)}
  LOGDIR=$RESULTS/logs RAW=$RESULTS/runs.jsonl
  mkdir -p "$LOGDIR" || die "cannot create $RESULTS"
  : >"$RAW"
  TMP=$(mktemp -d /tmp/dsw_bench_vhost.XXXXXX)
  MEM=$(bash "$ROOT/scripts/hugepages.sh")
  if [ "$MEM" = huge ]; then
    MID_MEM=(--in-memory -m 1024) PEER_MEM=(--single-file-segments -m 512)
  else
    MID_MEM=(--no-huge -m 1024) PEER_MEM=(--no-huge -m 512)
  fi
  log "bench_vhost: $RUNS run(s) of: $MIDDLES; memory: $MEM; ~$(( RUNS * 2 * (WARMUP + WINDOW + 8) / 60 + 1 )) min; results in $RESULTS"
  local run mid
  for run in $(seq "$RUNS"); do
    for mid in $MIDDLES; do measure "$mid" "$run"; done
  done
  echo
  summarize "$MEM" && rm -f "$RAW"
}

main "$@"
