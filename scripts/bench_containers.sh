#!/usr/bin/env bash
# bench_containers.sh: container-to-container traffic through dpdk_switch and its peers, all in one
# run, on the same two containers (the method of ANCHORS.md sections 2 and 4; see bench/README.md).
#
#   containers  netns dswb1 (172.18.0.2) and dswb2 (172.18.0.3); eth0 is a veth whose host end is
#               dswbv1/dswbv2; `ethtool -K eth0 tx off` in both (scripts/container.sh)
#   paths       bridge       the Linux bridge dswbbr0 over dswbv1/dswbv2 (same offloads: tx off)
#               bridge-steered  the same with the containers' receive processing steered as for
#                            the DPDK paths (below): shows what steering does to the bridge
#               xdp-redirect the kernel's XDP redirect between the host ends, no lookup
#                            (bench/xdp_redirect.c, built with clang): the least work a forwarder
#                            taking frames off veth with XDP can do, a reference for the af_xdp paths
#               testpmd-afp  dpdk-testpmd --forward-mode=io, net_af_packet on dswbv1/dswbv2
#               switch-afp   dpdk_switch, ports type af_packet
#               switch-afp-sleep  the same with switch.idle_sleep_us: 1000 (an idle worker backs off
#                            1, 2, 4 ... 1000 us between empty polls): what the CPU saving costs
#               switch-afp-hold   the same with switch.tx_flush_us: 50 (TX batches held up to 50 us,
#                            as OVS's tx-flush-interval): what fewer TX syscalls buy and cost
#               testpmd-xdp  dpdk-testpmd --forward-mode=io, net_af_xdp (hugepages)
#               switch-xdp   dpdk_switch, ports type af_xdp (hugepages)
#               ovs-afp      OVS-DPDK, netdev bridge, NORMAL, type=dpdk net_af_packet ports (a private
#                            ovsdb + ovs-vswitchd in a temp dir; openvswitch-switch-dpdk is installed
#                            with apt if missing, and the row is skipped with a note if that fails)
#   per run     ping -c 20 -i 0.2 (avg RTT); iperf3 TCP 5 s (receiver Gbit/s); iperf3 UDP -b 0 -l 64
#               5 s (received pps); for dpdk_switch also the CPU it uses while idle (2 s after start,
#               before any traffic; cores = CPU-s / s). iperf3 server and client are pinned to CPU 0 (taskset -c 0); the
#               DPDK forwarders busy-poll lcore 1 (main lcore 0).
#   steering    on the af_packet paths (and bridge-steered) the kernel's receive processing of both
#               containers' eth0 runs on the CPUs other than lcore 1 (rps_cpus; container.sh
#               --rx-cpus): otherwise the forwarder's own TX syscall runs the receiving TCP stack,
#               and for ACKs the sender's next segments, on the forwarding CPU (af_packet TCP 2.1 ->
#               3.5 Gbit/s). The af_xdp paths and the plain bridge run without it, each at its best:
#               steered, af_xdp TCP was no faster on this host and its RTT 40 us longer
#               (BENCHMARKS.md). --steer all: every path but the plain bridge (the method before
#               2026-12-05); --steer none (or --no-steer): no path.
#
# Runs are interleaved (run 1 of every path, then run 2, ...); the table gives medians and ratios.
# Raw runs: RESULTS/runs.json; logs and iperf3 JSON: RESULTS/logs/.
#
# usage: scripts/bench_containers.sh [-n RUNS] [-t TCP_S] [-u UDP_S] [-c PINGS] [-o RESULTS_DIR]
#            [--only PATHS] [--no-install] [--force] [--steer afp|all|none] [--no-steer]
#   --only PATHS  comma/space separated path names from the list above, or groups: switch, testpmd,
#                 afp, xdp, ovs, bridge (e.g. --only switch-afp,bridge)
#   --steer MODE  which paths get receive steering (above): afp (default), all, none
#   --no-steer    --steer none (the method of the runs before 2026-11-25 03:20)
#   -n 1 -t 2 -u 2 -c 5 is a quick smoke run.
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -uo pipefail

# shellcheck source=bench_env.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"   # ROOT PY BUILD_DIR SWITCH_BIN CTL_BIN TESTPMD
# shellcheck source=bench_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/bench_lib.sh"   # processes, packages, the private OVS-DPDK

NS1=dswb1 NS2=dswb2 IF1=dswbv1 IF2=dswbv2 IP1=172.18.0.2 IP2=172.18.0.3 PLEN=24
BR=dswbbr0          # the Linux bridge
OVS_BR=dswbovs0     # the OVS bridge (its LOCAL port is a tap of that name)
SW_PREFIX=dswbc     # EAL --file-prefix of the switch
TP_PREFIX=dswbc_tp  # ... and of testpmd
IPERF_PORT=5211

ALL_PATHS="bridge bridge-steered xdp-redirect testpmd-afp switch-afp switch-afp-sleep switch-afp-hold testpmd-xdp switch-xdp ovs-afp"
RUNS=3 TCP_S=5 UDP_S=5 PINGS=20 RESULTS='' ONLY=all INSTALL=1 FORCE=0 STEER=afp
FWD_CPU=1                 # the forwarding lcore's CPU; containers' receive processing is steered off it
RX_CPUS=''                # that steering: a hex mask of every other online CPU (set in setup)
PATHS=''                  # the paths to run, in ALL_PATHS order
TMP='' RAW='' LOGDIR='' SOCK='' MEM='' BPFFS_MOUNTED=0 CONTAINERS=0 OVS_OK=0 OVS_NOTE=''
PIDS=()                   # every process we started and have not reaped yet
MEM_ARGS=()               # EAL memory options for af_packet paths: --in-memory, or --no-huge -m 1024
OVS_RUN='' OVS_PIDS=()    # the private OVS instance: its temp dir and daemon pids
OVS_VSWITCHD=ovs-vswitchd # the DPDK build of ovs-vswitchd
FIFO_FD=''                # testpmd's stdin, held open while it runs
WATCH_PID=''              # the sampler of foreign DPDK processes during a measurement
MAX_RETRIES=2             # a run that other people's work overlapped is repeated up to this often
CONTENDED_SHARE=0.05      # ... other work using more than this share of the CPUs' time
MIN_IDLE=85               # before a path starts, the CPUs must be this idle (%)
declare -A SKIP=()        # path -> why it is not run

# ---------------------------------------------------------------- messages and arguments

log() { printf '%s\n' "$*" >&2; }
die() { log "bench_containers: $*"; exit 1; }
usage() { sed -n '2,/^set -uo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }

select_paths() {  # ONLY -> PATHS
  local want=' ' w p
  for w in ${ONLY//,/ }; do
    case $w in
      all)     want+="$ALL_PATHS " ;;
      switch)  want+="switch-afp switch-afp-sleep switch-afp-hold switch-xdp " ;;
      testpmd) want+="testpmd-afp testpmd-xdp " ;;
      afp)     want+="testpmd-afp switch-afp switch-afp-sleep switch-afp-hold ovs-afp " ;;
      xdp)     want+="xdp-redirect testpmd-xdp switch-xdp " ;;
      ovs)     want+="ovs-afp " ;;
      bridge)  want+="bridge bridge-steered " ;;
      bridge-steered|xdp-redirect|testpmd-afp|switch-afp|switch-afp-sleep|switch-afp-hold|testpmd-xdp|switch-xdp|ovs-afp) want+="$w " ;;
      *) die "--only: unknown path '$w' (paths: $ALL_PATHS; groups: switch testpmd afp xdp ovs)" ;;
    esac
  done
  PATHS=''
  for p in $ALL_PATHS; do [[ $want == *" $p "* ]] && PATHS+="$p "; done
  PATHS=${PATHS% }
  [ -n "$PATHS" ] || die "--only selects no path"
}

parse_args() {
  while [ $# -gt 0 ]; do
    case $1 in
      -n|--runs)    RUNS=${2:?}; shift ;;
      -t|--tcp)     TCP_S=${2:?}; shift ;;
      -u|--udp)     UDP_S=${2:?}; shift ;;
      -c|--pings)   PINGS=${2:?}; shift ;;
      -o|--results) RESULTS=${2:?}; shift ;;
      --only)       ONLY=${2:?}; shift ;;
      --no-install) INSTALL=0 ;;
      --force)      FORCE=1 ;;
      --steer)      STEER=${2:?}; shift ;;
      --no-steer)   STEER=none ;;
      -h|--help)    usage 0 ;;
      *)            log "unknown argument: $1"; usage 2 ;;
    esac
    shift
  done
  [[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "-n wants a positive integer"
  [[ $STEER =~ ^(afp|all|none)$ ]] || die "--steer wants afp, all or none"
  [[ $TCP_S =~ ^[1-9][0-9]*$ && $UDP_S =~ ^[1-9][0-9]*$ ]] || die "-t/-u want whole seconds"
  [[ $PINGS =~ ^[1-9][0-9]*$ ]] || die "-c wants a positive integer"
  select_paths
}

wants() { [[ " $PATHS " == *" $1 "* ]]; }

# ---------------------------------------------------------------- processes

# shellcheck source=scripts/bench_quiet.sh
source "$(dirname "${BASH_SOURCE[0]}")/bench_quiet.sh"

watch_start() {  # samples the CPU for other people's work while we measure (see "watch" below)
  rm -f "$TMP/watch.json"
  LOGDIR=$LOGDIR "$PY" -c "$PYHELPER" watch "$(ps -o pgid= -p $$ | tr -d ' ')" "$TMP/watch.json" \
      "${OVS_PIDS[@]}" & WATCH_PID=$!; track $WATCH_PID
}

watch_stop() {  # -> the sampler's JSON: {"samples", "elapsed_s", "cpu_s", "cpu_share", "busy", "dpdk"}
  [ -n "$WATCH_PID" ] && stop_pid "$WATCH_PID" 3
  WATCH_PID=''
  cat "$TMP/watch.json" 2>/dev/null || echo '{}'
}

# ---------------------------------------------------------------- setup and cleanup

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do stop_pid "$p" 5; done
  stop_jobs
  close_fifo
  ovs_stop
  ip link del "$BR" 2>/dev/null
  if [ $CONTAINERS = 1 ]; then
    bash "$ROOT/scripts/container.sh" del "$NS1" "$IF1"
    bash "$ROOT/scripts/container.sh" del "$NS2" "$IF2"
  fi
  [ $BPFFS_MOUNTED = 1 ] && umount /sys/fs/bpf 2>/dev/null
  [ -n "$TMP" ] && rm -rf "$TMP"
  rm -rf "/var/run/dpdk/$SW_PREFIX" "/var/run/dpdk/$TP_PREFIX"   # EAL runtime dirs (empty with --in-memory)
  exit $rc
}

setup() {
  [ "$(id -u)" -eq 0 ] || die "needs root"
  "$PY" -c 'import json, statistics' 2>/dev/null || die "$PY cannot run (set PYTHON=)"
  TMP=$(mktemp -d /tmp/dsw_bench_ct.XXXXXX) || die "mktemp failed"
  SOCK=$TMP/ctl.sock
  RESULTS=${RESULTS:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)-containers}
  LOGDIR=$RESULTS/logs RAW=$RESULTS/runs.jsonl
  mkdir -p "$LOGDIR" || die "cannot create $LOGDIR"
  : >"$RAW"
  local c; for c in iperf3 ethtool taskset ping; do
    command -v "$c" >/dev/null || { [ $INSTALL = 1 ] && apt_install iperf3 ethtool iputils-ping util-linux; }
    command -v "$c" >/dev/null || die "$c not found"
  done
  if wants testpmd-afp || wants testpmd-xdp; then
    command -v "$TESTPMD" >/dev/null || { [ $INSTALL = 1 ] && apt_install dpdk; }
    command -v "$TESTPMD" >/dev/null || die "$TESTPMD not found (apt install dpdk)"
  fi
  if wants switch-afp || wants switch-afp-sleep || wants switch-afp-hold || wants switch-xdp; then
    [ -x "$SWITCH_BIN" ] || die "$SWITCH_BIN not built (scripts/build.sh, or DSW_BUILD_DIR=, or --only)"
    [ -x "$CTL_BIN" ]    || die "$CTL_BIN not built"
  fi
  MEM=$(bash "$ROOT/scripts/hugepages.sh")
  if [ "$MEM" = huge ]; then MEM_ARGS=(--in-memory); else MEM_ARGS=(--no-huge -m 1024); fi
  if [ "$MEM" != huge ]; then
    for c in testpmd-xdp switch-xdp; do wants $c && SKIP[$c]="no hugepages (af_xdp needs them)"; done
  fi
  if wants testpmd-xdp || wants switch-xdp; then
    # libxdp wants a bpffs to pin its dispatcher; without one it warns and loads the program alone.
    if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
      mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf 2>/dev/null && BPFFS_MOUNTED=1
    fi
  fi
  wants ovs-afp && { ovs_setup || { SKIP[ovs-afp]=$OVS_NOTE; log "  OVS-DPDK row skipped: $OVS_NOTE"; }; }
  RX_CPUS=$(other_cpus_mask $FWD_CPU)
  [ $STEER != none ] && [ "$RX_CPUS" = 0 ] && { STEER=none; log "  one CPU only: no receive steering"; }
  [ $STEER = none ] && wants bridge-steered && SKIP[bridge-steered]="no receive steering (--steer none)"
  make_containers
  wants xdp-redirect && { build_xdp_redirect || SKIP[xdp-redirect]="could not build bench/xdp_redirect.c (logs/xdp-redirect.build.log)"; }
  hold_rx_timestamps
}

build_xdp_redirect() {  # -> $TMP/to_if1.o, $TMP/to_if2.o: the redirect to each host end (its ifindex built in)
  command -v clang >/dev/null || { [ $INSTALL = 1 ] && apt_install clang linux-libc-dev; }
  # linux/bpf.h includes asm/types.h, which Debian keeps under the multiarch include folder.
  local i ifc multiarch; multiarch=$(gcc -print-multiarch 2>/dev/null || echo "$(uname -m)-linux-gnu")
  for i in 1 2; do
    ifc=IF$i
    clang -O2 -target bpf -I"/usr/include/$multiarch" \
      -DTO_IFINDEX="$(cat "/sys/class/net/${!ifc}/ifindex")" \
      -c "$ROOT/bench/xdp_redirect.c" -o "$TMP/to_if$i.o" >>"$LOGDIR/xdp-redirect.build.log" 2>&1 || return 1
  done
}

# ping asks for receive timestamps (SO_TIMESTAMP). The kernel turns them on for the first such
# socket and off after the last by patching its code (netstamp_clear), 1.3 ms on CPU 0 here; a
# reply that arrives meanwhile is stamped only when ping, waiting for that CPU, reads it. So the
# first ping of every ping process read 1.4-2.5 ms through any forwarder on another CPU (+0.07 ms
# on a 20-ping average) and never through the bridge, whose reply is ready before ping sleeps.
# One socket holding timestamps on for the whole run, as chrony or tcpdump would, removes it.
hold_rx_timestamps() { "$PY" -c "$PYHELPER" hold-timestamps & track $!; }   # $!: python itself, for stop_pid

other_cpus_mask() {  # CPU -> hex mask of the online CPUs but CPU (0 if there is none)
  local cpu=$1 mask=0 range r a b c
  IFS=, read -r -a range </sys/devices/system/cpu/online
  for r in "${range[@]}"; do
    a=${r%-*} b=${r#*-}
    for ((c = a; c <= b; c++)); do [ $c != "$cpu" ] && mask=$((mask | (1 << c))); done
  done
  printf '%x\n' $mask
}

steered() {  # PATH: true when this path's receive processing goes to RX_CPUS (--steer)
  case $STEER:$1 in
    none:*|*:bridge|afp:*-xdp|afp:xdp-redirect) return 1 ;;
  esac
}

steer_rx() {  # PATH: the containers' receive processing for this path (rps_cpus of both eth0)
  local mask=0 ns
  steered "$1" && mask=$RX_CPUS
  for ns in "$NS1" "$NS2"; do
    bash "$ROOT/scripts/container.sh" rx-cpus "$ns" "$mask" || log "  warning: could not set rps_cpus=$mask in $ns"
  done
}

make_containers() {
  local ns
  for ns in "$NS1" "$NS2"; do
    ip netns list | awk '{print $1}' | grep -qxF "$ns" && die "namespace $ns exists (a bench still running? else: scripts/container.sh del $ns ...)"
  done
  ip link show "$BR" >/dev/null 2>&1 && die "interface $BR exists (a bench still running? else: ip link del $BR)"
  CONTAINERS=1
  bash "$ROOT/scripts/container.sh" add "$NS1" "$IF1" "$IP1/$PLEN" --no-ipv6 || die "container $NS1 failed"
  bash "$ROOT/scripts/container.sh" add "$NS2" "$IF2" "$IP2/$PLEN" --no-ipv6 || die "container $NS2 failed"
}

# ---------------------------------------------------------------- the forwarders

open_fifo() {  # -> FIFO: testpmd's stdin, held open by us (testpmd quits on EOF)
  FIFO=$TMP/testpmd.in
  rm -f "$FIFO"; mkfifo "$FIFO"
  exec {FIFO_FD}<>"$FIFO"
}

close_fifo() { [ -n "$FIFO_FD" ] && { exec {FIFO_FD}>&-; FIFO_FD=''; rm -f "$TMP/testpmd.in"; }; return 0; }

FWD_PID='' FWD_CMD='' FWD_LOG=''

ctl_stats() { "$CTL_BIN" --socket "$SOCK" --json show port stats all; }

wait_log() {  # PID FILE REGEX LIMIT_S: until FILE matches, or the process is gone
  local end=$((SECONDS + $4))
  while [ $SECONDS -lt $end ]; do
    grep -qE "$3" "$2" 2>/dev/null && return 0
    alive "$1" || return 1
    sleep 0.2
  done
  return 1
}

start_path() {  # PATH NAME: starts the forwarder; returns 1 (and logs why) if it does not come up
  local path=$1 name=$2 cfg type dev0 dev1 _
  FWD_PID='' FWD_CMD='' FWD_LOG=$LOGDIR/$name.log
  case $path in
    bridge|bridge-steered)
      FWD_CMD="ip link add $BR type bridge; ip link set $IF1 master $BR; ip link set $IF2 master $BR; ip link set $BR up"
      { ip link add "$BR" type bridge &&
        { [ ! -e "/proc/sys/net/ipv6/conf/$BR/disable_ipv6" ] || echo 1 >"/proc/sys/net/ipv6/conf/$BR/disable_ipv6"; } &&
        ip link set "$IF1" master "$BR" && ip link set "$IF2" master "$BR" && ip link set "$BR" up; } >"$FWD_LOG" 2>&1
      ;;
    testpmd-afp|testpmd-xdp)
      if [ $path = testpmd-afp ]; then
        dev0="net_af_packet0,iface=$IF1" dev1="net_af_packet1,iface=$IF2"
        local mem=("${MEM_ARGS[@]}")
      else
        dev0="net_af_xdp0,iface=$IF1,start_queue=0,queue_count=1" dev1="net_af_xdp1,iface=$IF2,start_queue=0,queue_count=1"
        local mem=(--in-memory)
      fi
      local cmd=("$TESTPMD" -l 0,1 --main-lcore 0 --no-pci "${mem[@]}" --file-prefix "$TP_PREFIX"
                 --vdev "$dev0" --vdev "$dev1" -- --nb-cores=1 --forward-mode=io --auto-start)
      FWD_CMD=$(printf '%q ' "${cmd[@]}")
      open_fifo
      # stdbuf: testpmd's stdout is a file, and its "Press enter to exit" would otherwise sit in
      # the stdio buffer until it exits.
      stdbuf -oL -eL "${cmd[@]}" <"$FIFO" >"$FWD_LOG" 2>&1 & FWD_PID=$!; track $FWD_PID
      wait_log $FWD_PID "$FWD_LOG" 'Press enter to exit' 60 || { log "  testpmd did not start (logs/$name.log)"; return 1; }
      ;;
    switch-afp|switch-afp-sleep|switch-afp-hold|switch-xdp)
      type=af_packet; [ $path = switch-xdp ] && type=af_xdp
      cfg=$LOGDIR/$name.yaml
      printf 'ports:\n  - {name: c1, type: %s, iface: %s}\n  - {name: c2, type: %s, iface: %s}\n' \
        $type "$IF1" $type "$IF2" >"$cfg"
      [ $path = switch-afp-sleep ] && printf 'switch:\n  idle_sleep_us: 1000\n' >>"$cfg"
      [ $path = switch-afp-hold ] && printf 'switch:\n  tx_flush_us: 50\n' >>"$cfg"
      local mem=("${MEM_ARGS[@]}"); [ $type = af_xdp ] && mem=(--in-memory)
      local cmd=("$SWITCH_BIN" -l 0,1 --main-lcore 0 --no-pci "${mem[@]}" --file-prefix "$SW_PREFIX"
                 -- --config "$cfg" --ctl-socket "$SOCK")
      FWD_CMD=$(printf '%q ' "${cmd[@]}")
      "${cmd[@]}" </dev/null >"$FWD_LOG" 2>&1 & FWD_PID=$!; track $FWD_PID
      for _ in $(seq 150); do
        alive $FWD_PID || break
        ctl_stats >/dev/null 2>&1 && return 0
        sleep 0.2
      done
      log "  dpdk_switch did not answer on its control socket (logs/$name.log)"; return 1
      ;;
    xdp-redirect)
      FWD_CMD="ip link set dev $IF1 xdpdrv obj to_if2.o sec xdp program to_peer; ip link set dev $IF2 xdpdrv obj to_if1.o sec xdp program to_peer; ip -n NS link set dev eth0 xdpdrv obj to_if1.o sec xdp program pass (both containers)"
      { ip link set dev "$IF1" xdpdrv obj "$TMP/to_if2.o" sec xdp program to_peer &&
        ip link set dev "$IF2" xdpdrv obj "$TMP/to_if1.o" sec xdp program to_peer &&
        ip -n "$NS1" link set dev eth0 xdpdrv obj "$TMP/to_if1.o" sec xdp program pass &&
        ip -n "$NS2" link set dev eth0 xdpdrv obj "$TMP/to_if1.o" sec xdp program pass; } >"$FWD_LOG" 2>&1 \
        || { log "  the XDP redirect did not load (logs/$name.log)"; return 1; }
      ;;
    ovs-afp)
      FWD_CMD="ovs-vswitchd (dpdk-init, pmd-cpu-mask=0x2, dpdk-lcore-mask=0x1, dpdk-extra=\"--no-pci --file-prefix=$OVS_PREFIX\"), netdev bridge $OVS_BR, NORMAL, p0/p1 type=dpdk dpdk-devargs=net_af_packet0,iface=$IF1 / net_af_packet1,iface=$IF2"
      ovs_start "net_af_packet0,iface=$IF1" "net_af_packet1,iface=$IF2" >"$FWD_LOG" 2>&1 \
        || { log "  OVS did not start (logs/$name.log)"; return 1; }
      ;;
  esac
}

stop_path() {  # PATH NAME -> exit status of the forwarder (0 for the bridge)
  local path=$1 name=$2 rc=0
  case $path in
    bridge|bridge-steered) ip link del "$BR" 2>/dev/null ;;
    xdp-redirect)
      ip link set dev "$IF1" xdpdrv off; ip link set dev "$IF2" xdpdrv off
      ip -n "$NS1" link set dev eth0 xdpdrv off; ip -n "$NS2" link set dev eth0 xdpdrv off
      ;;
    ovs-afp) ovs_stop "$FWD_LOG" ;;
    *)
      if [ -n "$FWD_PID" ]; then
        if [[ $path == switch-* ]]; then
          ctl_stats >"$LOGDIR/$name.stats.json" 2>/dev/null
          "$CTL_BIN" --socket "$SOCK" --json show lcores >"$LOGDIR/$name.lcores.json" 2>/dev/null
        fi
        stop_pid "$FWD_PID" 15; rc=$?
      fi
      close_fifo
      rm -f "$SOCK"
      ;;
  esac
  # An XDP program left on a host end (a PMD that did not detach) would change every later path.
  local i; for i in "$IF1" "$IF2"; do
    if ip link show "$i" 2>/dev/null | grep -q ' xdp'; then
      log "  warning: XDP program left on $i after $path: removing it"
      ip link set dev "$i" xdp off 2>/dev/null; ip link set dev "$i" xdpgeneric off 2>/dev/null
    fi
  done
  FWD_PID=''
  return $rc
}

# ---------------------------------------------------------------- the measurements

in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

wait_reachable() {  # up to 30 s: the first ping also resolves ARP (and lets the switch learn)
  local _; for _ in $(seq 30); do
    in_ns "$NS1" ping -c 1 -W 1 -q "$IP2" >/dev/null 2>&1 && return 0
  done
  return 1
}

iperf_run() {  # KIND(tcp|udp) OUTFILE: one iperf3 test, server in NS2, client in NS1, both on CPU 0
  local kind=$1 out=$2 srv _ secs=$TCP_S extra=()
  [ "$kind" = udp ] && secs=$UDP_S extra=(-u -b 0 -l 64)
  in_ns "$NS2" taskset -c 0 iperf3 -s -1 -p $IPERF_PORT >"${out%.json}.server.log" 2>&1 & srv=$!; track $srv
  for _ in $(seq 50); do
    in_ns "$NS2" ss -Htln "sport = :$IPERF_PORT" 2>/dev/null | grep -q . && break
    sleep 0.1
  done
  interruptible timeout --foreground $((secs + 30)) ip netns exec "$NS1" taskset -c 0 iperf3 -c "$IP2" -p $IPERF_PORT \
      -t "$secs" -J --get-server-output "${extra[@]}" >"$out" 2>"${out%.json}.client.err"
  local end=$((SECONDS + 5))
  while alive $srv && [ $SECONDS -lt $end ]; do sleep 0.1; done
  if alive $srv; then stop_pid $srv 2; else reap $srv; fi
}

idle_cpu() {  # PID -> the cores it used over 2 s with no traffic (utime + stime, all threads)
  local pid=$1 t0 t1 tck
  tck=$(getconf CLK_TCK)
  t0=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 1
  sleep 2
  t1=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 1
  awk -v a="$t0" -v b="$t1" -v t="$tck" 'BEGIN { printf "%.3f\n", (b - a) / t / 2 }'
}

measure_path() {  # PATH RUN: start, measure, stop; appends one record to $RAW. A run that other
  # people's work overlapped (a busy-polling DPDK process, or other processes using more than
  # CONTENDED_SHARE of the CPUs' time) is repeated, up to MAX_RETRIES times. Each run starts
  # when the host probe reads quiet (wait_for_quiet_cpu); it is not sampled during the traffic,
  # where it would count the guest's own network interrupts on CPU 1 (the pcap windows have none),
  # nor after it, where the teardown's own work reads as contended for some seconds.
  local path=$1 run=$2 name="$1-$2" err rc ping_f tcp_f udp_f watch why attempt=0
  ping_f=$LOGDIR/$name.ping.txt tcp_f=$LOGDIR/$name.tcp.json udp_f=$LOGDIR/$name.udp.json
  while :; do
    err='' rc=0 watch='{}' PROBE_BEFORE=''
    : >"$ping_f"; : >"$tcp_f"; : >"$udp_f"
    if [ -n "${SKIP[$path]:-}" ]; then
      err="skipped: ${SKIP[$path]}"
    else
      wait_for_quiet_cpu
      steer_rx "$path"
      if ! start_path "$path" "$name"; then
        err="did not start (logs/$name.log)"
      elif [[ $path == switch-* ]] && ! idle_cpu "$FWD_PID" >"$LOGDIR/$name.idlecpu"; then
        err="could not read the switch's CPU time"
      elif ! wait_reachable; then
        err="$IP2 not reachable from $NS1 within 30 s"
      else
        watch_start
        interruptible ip netns exec "$NS1" ping -c "$PINGS" -i 0.2 -q "$IP2" >"$ping_f" 2>&1
        iperf_run tcp "$tcp_f"
        # What the switch lost during TCP at full RX rings (kernel.rx_ring_full + pmd.imissed),
        # before UDP's flood overruns them on purpose.
        [[ $path == switch-* ]] && ctl_stats >"$LOGDIR/$name.tcp.stats.json" 2>/dev/null
        iperf_run udp "$udp_f"
        watch=$(watch_stop)
      fi
      stop_path "$path" "$name"; rc=$?
    fi
    why=$(pyh contended "$watch")
    [ -z "$why" ] && break
    attempt=$((attempt + 1))
    [ $attempt -gt $MAX_RETRIES ] && { log "  run $run $path: $why, again: kept, marked contended"; break; }
    log "  run $run $path: $why: repeating it"
  done
  pyh record "$path" "$run" "$name" "$FWD_CMD" "$rc" "$err" "$watch" "$attempt" | with_probes >>"$RAW"
}

run_all() {
  local run path
  for run in $(seq "$RUNS"); do
    for path in $PATHS; do measure_path "$path" "$run"; done
  done
}

plan_summary() {
  local n per=$((PINGS / 5 + TCP_S + UDP_S + 10))
  n=$(wc -w <<<"$PATHS")
  log "bench_containers: $RUNS run(s) of: $PATHS"
  log "                  ~$((n * RUNS * per / 60 + 1)) min; memory: $MEM; results in $RESULTS"
  local p; for p in "${!SKIP[@]}"; do log "                  $p skipped: ${SKIP[$p]}"; done
}

# ---------------------------------------------------------------- JSON, medians, table (python)

PYHELPER=$(cat <<'EOF'
import json, os, platform, re, statistics, subprocess, sys
from bench_common import fmt, host_contended_lines, load, machine_meta

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

def hold_timestamps():
    # One SO_TIMESTAMP socket (asm-generic 29; Python has no name for it), held until this
    # bench stops it or is gone (a SIGKILLed bench must not leave it behind).
    import socket, time
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, 29, 1)
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(1)


def ping_result(path):
    try:
        text = open(path).read()
    except OSError:
        return {}
    res = {}
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", text)
    if m:
        res.update(ping_min_ms=float(m[1]), ping_avg_ms=float(m[2]), ping_max_ms=float(m[3]))
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    if m:
        res.update(ping_sent=int(m[1]), ping_received=int(m[2]))
    return res

def tcp_result(path):
    j = load(path)
    if not j or "end" not in j or "sum_received" not in j.get("end", {}):
        err = (j or {}).get("error", "no iperf3 result")
        return {"tcp_error": err}
    e = j["end"]
    return {"tcp_gbps": e["sum_received"]["bits_per_second"] / 1e9,
            "tcp_sender_gbps": e["sum_sent"]["bits_per_second"] / 1e9,
            "tcp_retransmits": e["sum_sent"].get("retransmits")}

def udp_result(path):
    # iperf3 3.12 -J: end.sum_received is the server's view (packets = highest sequence seen,
    # lost_packets = gaps), end.sum_sent the client's. Received pps = (packets - lost) / seconds.
    j = load(path)
    e = (j or {}).get("end", {})
    recv, sent = e.get("sum_received"), e.get("sum_sent") or e.get("sum")
    if not recv or not sent or not recv.get("seconds"):
        return {"udp_error": (j or {}).get("error", "no iperf3 result")}
    rx = recv["packets"] - recv["lost_packets"]
    return {"udp_rx_pps": rx / recv["seconds"], "udp_rx_packets": rx, "udp_lost": recv["lost_packets"],
            "udp_tx_pps": sent["packets"] / sent["seconds"], "udp_tx_packets": sent["packets"]}

def record(path, run, name, cmd, rc, err, watch="{}", repeats="0"):
    logdir = os.environ["LOGDIR"]
    w = json.loads(watch or "{}")
    rec = dict(path=path, label=LABELS.get(path, path), run=int(run), cmd=cmd.strip(), exit_status=int(rc),
               logs="logs/%s.*" % name, repeats=int(repeats), cpu_watch=w)
    why = contended(watch)
    if why:
        rec["contended"] = why
    if err:
        rec["error"] = err
    else:
        rec.update(ping_result(os.path.join(logdir, name + ".ping.txt")))
        rec.update(tcp_result(os.path.join(logdir, name + ".tcp.json")))
        rec.update(udp_result(os.path.join(logdir, name + ".udp.json")))
        try:
            rec["idle_cpu_cores"] = float(open(os.path.join(logdir, name + ".idlecpu")).read())
        except (OSError, ValueError):
            pass
        stats = load(os.path.join(logdir, name + ".stats.json"))
        if stats:
            rec["switch_port_stats"] = stats.get("ports")
        lcores = load(os.path.join(logdir, name + ".lcores.json"))
        if lcores and lcores.get("lcores"):   # the whole run's sends, mostly UDP's
            rec["frames_per_tx_burst"] = lcores["lcores"][0].get("frames_per_tx_burst")
        tcp_stats = load(os.path.join(logdir, name + ".tcp.stats.json"))
        if tcp_stats:   # after ping and TCP: frames dropped at full RX rings, all ports
            rec["tcp_ring_drops"] = sum((p.get("kernel") or {}).get("rx_ring_full", 0) + (p.get("pmd") or {}).get("imissed", 0)
                                        for p in tcp_stats.get("ports", []))
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
        if rc not in ("0", 0):
            line += "  (forwarder exit status %s)" % rc
        if why:
            line += "  (CONTENDED: %s)" % why
    print("  run %-2s %-12s %s" % (run, path, line), file=sys.stderr)
    return json.dumps(rec)

DPDK_NAMES = ("dpdk-testpmd", "dpdk_switch", "ovs-vswitchd", "ovs-vswitchd-dp")

def watch(pgid, out, *exclude):
    # Samples /proc every 0.2 s while a path is measured, and adds up the CPU time (utime + stime,
    # all threads) that processes outside this bench used meanwhile. This bench's own processes
    # share its process group (the forwarder, iperf3, ping); kernel threads (ksoftirqd, kworkers)
    # do the traffic's work and are not counted; nor are the OVS daemons we started (they detach
    # into their own group). CPU time, not "was it runnable": with both CPUs saturated, a process
    # that wakes for a microsecond waits runnable for a while and would look busy.
    import signal, time
    skip = {int(p) for p in exclude} | {os.getpid()}
    tck = os.sysconf("SC_CLK_TCK")
    first, last, comms, dpdk = {}, {}, {}, {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    t0 = time.monotonic()
    samples = 0
    while not stop:
        for d in os.listdir("/proc"):
            if not d.isdigit() or int(d) in skip:
                continue
            try:
                st = open("/proc/%s/stat" % d).read()
            except OSError:
                continue
            comm = st[st.index("(") + 1:st.rindex(")")]
            f = st[st.rindex(")") + 2:].split()
            ppid, pg = int(f[1]), int(f[2])
            if pg == int(pgid) or ppid == 2 or d == "2":
                continue
            key = (int(d), f[19])                       # pid and start time: a reused pid is another process
            ticks = int(f[11]) + int(f[12])             # utime + stime
            if comm in DPDK_NAMES:
                dpdk["%s(%s)" % (comm, d)] = 1
            if key not in first:
                first[key] = ticks if samples == 0 else 0   # started during the window: all its time counts
            last[key] = ticks
            comms[key] = comm
        samples += 1
        time.sleep(0.2)
    elapsed = time.monotonic() - t0
    used = {}
    for key, t in last.items():
        if t - first[key] > 0:
            used[comms[key]] = used.get(comms[key], 0) + (t - first[key]) / tck
    total = sum(used.values())
    share = total / (elapsed * (os.cpu_count() or 1)) if elapsed > 0 else 0.0
    json.dump(dict(samples=samples, elapsed_s=elapsed, cpu_s=total, cpu_share=share,
                   busy={k: round(v, 2) for k, v in sorted(used.items(), key=lambda kv: -kv[1])[:8]},
                   dpdk=sorted(dpdk)), open(out, "w"))

def contended(watch_json):
    # -> why a run does not count ("" if it does)
    w = json.loads(watch_json or "{}")
    why = []
    if w.get("dpdk"):
        why.append("other DPDK processes ran: " + " ".join(w["dpdk"]))
    if w.get("cpu_share", 0) > float(os.environ.get("CONTENDED_SHARE", "0.05")):
        why.append("other processes used %.0f%% of the CPUs (%s CPU-s)" % (
            100 * w["cpu_share"], " ".join("%s:%.1f" % kv for kv in w.get("busy", {}).items())))
    return "; ".join(why)

def med(vals):
    ok = [v for v in vals if v is not None]
    return statistics.median(ok) if ok else None

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


def summarize(raw, out_json, out_txt, meta_kv):
    runs = [json.loads(l) for l in open(raw) if l.strip()]
    meta = dict(kv.split("=", 1) for kv in meta_kv)
    paths = list(dict.fromkeys(r["path"] for r in runs))
    medians = {}
    for p in paths:
        rs = [r for r in runs if r["path"] == p]
        m = {k: med([r.get(k) for r in rs]) for k in
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
                  % os.environ.get("MAX_RETRIES", "")] + [
            "  %s run %s: %s" % (r["path"], r["run"], r["contended"]) for r in busy]
    lines += host_contended_lines(runs, lambda r: "%s run %s" % (r["path"], r["run"]))
    text = "\n".join(lines) + "\n"
    json.dump(dict(meta=meta, medians=medians, ratios=ratios, runs=runs), open(out_json, "w"), indent=1)
    open(out_txt, "w").write(text)
    return text

cmd, args = sys.argv[1], sys.argv[2:]
if cmd == "record":
    print(record(*args))
elif cmd == "watch":
    watch(*args)
elif cmd == "contended":
    print(contended(args[0]))
elif cmd == "summarize":
    print(summarize(args[0], args[1], args[2], args[3:]), end="")
elif cmd == "cpu-meta":
    print(machine_meta())
elif cmd == "hold-timestamps":
    hold_timestamps()
else:
    sys.exit("pyhelper: unknown command " + cmd)
EOF
)

pyh() { LOGDIR=$LOGDIR MAX_RETRIES=$MAX_RETRIES CONTENDED_SHARE=$CONTENDED_SHARE "$PY" -c "$PYHELPER" "$@"; }

summarize() {
  write_summary "runs=$RUNS" "steer=$STEER" "rx_cpus=$RX_CPUS" "tcp_s=$TCP_S" "udp_s=$UDP_S" "pings=$PINGS" "memory=$MEM" \
    "paths=$PATHS" "switch_bin=$SWITCH_BIN" "testpmd=$(command -v "$TESTPMD")" "ovs_note=$OVS_NOTE"
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
