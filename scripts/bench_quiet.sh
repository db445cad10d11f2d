# Sourced by the bench scripts: wait until nothing else keeps the 2 vCPUs busy before a measured
# run. Uses the caller's PIDS and OVS_PIDS (processes it started), FORCE, MIN_IDLE, log and die.
# shellcheck shell=bash

foreign_dpdk_pids() {  # busy-polling DPDK processes we did not start (pgrep -x: names <= 15 chars)
  local name p
  for name in dpdk-testpmd dpdk_switch ovs-vswitchd ovs-vswitchd-dp; do
    for p in $(pgrep -x "$name"); do [[ " ${PIDS[*]} ${OVS_PIDS[*]} " == *" $p "* ]] || echo "$p"; done
  done
}

cpu_idle_over() {  # SECONDS -> the idle share (%) of all CPUs over that time
  local a b
  a=$(head -n 1 /proc/stat); sleep "$1"; b=$(head -n 1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN { n = split(a, x, " "); split(b, y, " "); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    print (t > 0) ? int(100 * (y[5] - x[5] + y[6] - x[6]) / t) : 100 }'
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
}
