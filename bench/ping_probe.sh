#!/usr/bin/env bash
# Ping RTT between two containers on veth, through the Linux bridge and through dpdk_switch (veth
# ports), variants interleaved round by round, to find where the switch's extra round-trip time
# goes (issue 28's "ping RTT <= 1.5x the bridge's"). As bench_containers: containers on veth with
# default offloads, the switch's worker on lcore 1 (main lcore 0), receive timestamps held on.
#
#   bench/ping_probe.sh [-r ROUNDS] [-c PINGS] [-i INTERVAL] [VARIANT...]     (root; under the heavy lock)
#
# Variants (default: bridge switch):
#   bridge         the Linux bridge over both host ends
#   switch         dpdk_switch, ports type veth
#   switch-steer   the same with both containers' receive processing on CPU 0 (rps_cpus=1)
#   bridge-poll, switch-poll   the same as bridge / switch with /dev/cpu_dma_latency held at 0:
#                  idle CPUs poll instead of halting (a halted vCPU needs an IPI and the
#                  hypervisor to wake)
#   switch-taskset ping pinned to CPU 0 (taskset -c 0)
#   switch-loop    the worker's loop while idle: polls and cycles over 2 s (show lcores), to
#                  stderr, then as switch
#   bridge-trace, switch-trace   the same as bridge / switch under ftrace (an instance named pinf):
#                  each device's xmit and receive of every echo and reply (< 200 bytes), the
#                  switch worker's recvmmsg returning frames and its sendmmsg calls, ping's wakeup;
#                  bench/ping_trace.py prints the median time of each step (tracing adds its own)
# Prints one line per variant and round (median, mean, min of the RTTs in us), then medians of the
# rounds' medians. Names: netns pinf1/pinf2, host ends pinfv1/pinfv2, bridge pinfbr0, EAL prefix pinfp.
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=5 count=200 interval=0.01
while getopts "r:c:i:" o; do
  case $o in
    r) rounds=$OPTARG ;;
    c) count=$OPTARG ;;
    i) interval=$OPTARG ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
variants=("$@")
[ $# -eq 0 ] && variants=(bridge switch)

build=${DSW_BUILD_DIR:-build}
tmp=$(mktemp -d /tmp/pinf-probe.XXXXXX)
sw_pid="" ts_pid="" qos_pid=""
T=/sys/kernel/tracing/instances/pinf

stop_switch() {
  if [ -n "$sw_pid" ]; then
    kill "$sw_pid" 2>/dev/null || true
    wait "$sw_pid" 2>/dev/null || true
    sw_pid=""
  fi
  rm -rf /var/run/dpdk/pinfp 2>/dev/null || true
}
stop_qos() {
  if [ -n "$qos_pid" ]; then
    kill "$qos_pid" 2>/dev/null || true
    wait "$qos_pid" 2>/dev/null || true
    qos_pid=""
  fi
}
cleanup() {
  stop_switch
  stop_qos
  [ -n "$ts_pid" ] && kill "$ts_pid" 2>/dev/null
  ip link del pinfbr0 2>/dev/null || true
  [ -d "$T" ] && { echo 0 >"$T/tracing_on"; rmdir "$T"; }
  scripts/container.sh del pinf1 pinfv1 >/dev/null 2>&1 || true
  scripts/container.sh del pinf2 pinfv2 >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

scripts/container.sh add pinf1 pinfv1 10.77.0.1/24 --no-ipv6 >/dev/null
scripts/container.sh add pinf2 pinfv2 10.77.0.2/24 --no-ipv6 >/dev/null
# ping asks for receive timestamps; one socket holding them on keeps the kernel from patching
# them on and off around each ping process (bench/dswbench/netns.py, RxTimestamps).
python3 -c 'import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.setsockopt(socket.SOL_SOCKET, 29, 1); time.sleep(100000)' &
ts_pid=$!

cat >"$tmp/sw.yaml" <<EOF
ports:
  - {name: c1, type: veth, iface: pinfv1}
  - {name: c2, type: veth, iface: pinfv2}
EOF

start_switch() {
  "$build/dpdk_switch/dpdk_switch" -l 0,1 --main-lcore 0 --no-pci --no-huge -m 1024 --file-prefix pinfp -- \
    --config "$tmp/sw.yaml" --ctl-socket "$tmp/ctl.sock" >"$tmp/sw.log" 2>&1 &
  sw_pid=$!
  for _ in $(seq 100); do
    "$build/dpdk_switch/dpdk_switch_ctl" --socket "$tmp/ctl.sock" show port stats all >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "ping_probe: the switch did not start:" >&2
  cat "$tmp/sw.log" >&2
  exit 1
}
start_bridge() {
  ip link add pinfbr0 type bridge
  ip link set pinfv1 master pinfbr0
  ip link set pinfv2 master pinfbr0
  ip link set pinfbr0 up
}
# /dev/cpu_dma_latency at 0 while the file is open: no CPU halts in idle.
start_qos() {
  python3 -c 'import os, struct, time
fd = os.open("/dev/cpu_dma_latency", os.O_WRONLY); os.write(fd, struct.pack("i", 0)); time.sleep(100000)' &
  qos_pid=$!
  sleep 0.2
}
steer() {
  for ns in pinf1 pinf2; do
    ip netns exec "$ns" sh -c "for q in /sys/class/net/eth0/queues/rx-*/rps_cpus; do echo $1 >\$q; done"
  done
}

trace_on() {
  mkdir -p "$T"
  echo mono >"$T/trace_clock"
  echo 16384 >"$T/buffer_size_kb"
  local e
  for e in net_dev_xmit netif_rx netif_receive_skb napi_gro_receive_entry; do
    echo "len < 200" >"$T/events/net/$e/filter"
    echo 1 >"$T/events/net/$e/enable"
  done
  echo 'comm == "ping"' >"$T/events/sched/sched_waking/filter"
  echo 1 >"$T/events/sched/sched_waking/enable"
  if [ -n "$sw_pid" ]; then
    local tid
    # The worker: the thread that busy-polls (the most CPU).
    tid=$(ps -T -o spid=,pcpu= -p "$sw_pid" | sort -k2 -gr | awk 'NR == 1 { print $1 }')
    echo "ret > 0 && common_pid == $tid" >"$T/events/syscalls/sys_exit_recvmmsg/filter"
    echo "common_pid == $tid" >"$T/events/syscalls/sys_enter_sendmmsg/filter"
    echo "common_pid == $tid" >"$T/events/syscalls/sys_exit_sendmmsg/filter"
    for e in sys_exit_recvmmsg sys_enter_sendmmsg sys_exit_sendmmsg; do echo 1 >"$T/events/syscalls/$e/enable"; done
  fi
  echo >"$T/trace"
  echo 1 >"$T/tracing_on"
}
trace_off() {
  echo 0 >"$T/tracing_on"
  cat "$T/trace" >"$1"
  rmdir "$T"
}

# One ping run: "median mean min" in us.
ping_run() {
  local pre=()
  [ "${1:-}" = pinned ] && pre=(taskset -c 0)
  # Warm: ARP resolved, the switch's MACs learned.
  ip netns exec pinf1 ping -c 3 -i 0.05 -q 10.77.0.2 >/dev/null
  ip netns exec pinf1 "${pre[@]}" ping -c "$count" -i "$interval" 10.77.0.2 |
    sed -n 's/.*time=\([0-9.]*\) ms/\1/p' | sort -g |
    awk '{ v[NR] = $1; s += $1 } END { printf "%.1f %.1f %.1f\n", v[int((NR + 1) / 2)] * 1000, s / NR * 1000, v[1] * 1000 }'
}

run_variant() {
  local v=$1 r
  case $v in
    bridge) start_bridge; r=$(ping_run); ip link del pinfbr0 ;;
    bridge-poll) start_bridge; start_qos; r=$(ping_run); stop_qos; ip link del pinfbr0 ;;
    switch) start_switch; r=$(ping_run); stop_switch ;;
    switch-poll) start_switch; start_qos; r=$(ping_run); stop_qos; stop_switch ;;
    switch-steer) steer 1; start_switch; r=$(ping_run); stop_switch; steer 0 ;;
    switch-taskset) start_switch; r=$(ping_run pinned); stop_switch ;;
    switch-loop) start_switch
      "$build/dpdk_switch/dpdk_switch_ctl" --socket "$tmp/ctl.sock" --json show lcores >"$tmp/l0.json"
      sleep 2
      "$build/dpdk_switch/dpdk_switch_ctl" --socket "$tmp/ctl.sock" --json show lcores >"$tmp/l1.json"
      python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
def w(j): return [l for l in (j["lcores"] if isinstance(j, dict) else j) if l.get("polls")][0]
x, y = w(a), w(b)
polls = y["polls"] - x["polls"]; idle = y["idle_cycles"] - x["idle_cycles"]; busy = y["busy_cycles"] - x["busy_cycles"]
print("switch-loop: %d polls in 2 s: %.2f us a poll (idle %d, busy %d cycles)" % (polls, 2e6 / polls, idle, busy), file=sys.stderr)' \
        "$tmp/l0.json" "$tmp/l1.json" || cat "$tmp/l1.json" >&2
      r=$(ping_run); stop_switch ;;
    bridge-trace) start_bridge; trace_on; r=$(ping_run); trace_off "$tmp/bridge.trace"; ip link del pinfbr0
      bench/ping_trace.py "$tmp/bridge.trace" >&2 ;;
    switch-trace) start_switch; trace_on; r=$(ping_run); trace_off "$tmp/switch.trace"; stop_switch
      bench/ping_trace.py "$tmp/switch.trace" >&2 ;;
    *) echo "ping_probe: unknown variant $v" >&2; exit 2 ;;
  esac
  echo "$r"
}

declare -A med
for round in $(seq "$rounds"); do
  for v in "${variants[@]}"; do
    r=$(run_variant "$v")
    # shellcheck disable=SC2086  # "median mean min": three words
    printf "round %d %-15s median %6s us  mean %6s us  min %6s us\n" "$round" "$v" $r
    med[$v]+="${r%% *} "
  done
done
for v in "${variants[@]}"; do
  # shellcheck disable=SC2086  # the word list of the rounds' medians
  m=$(printf '%s\n' ${med[$v]} | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf "%-15s median of round medians %6s us  (rounds: %s)\n" "$v" "$m" "${med[$v]% }"
done
