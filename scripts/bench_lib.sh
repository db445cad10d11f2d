# Sourced by bench_pcap.sh and bench_containers.sh: the summary they write, bookkeeping of the
# processes a bench starts, and the private OVS-DPDK instance both run (the method of ANCHORS.md
# section 1). Uses the caller's log, pyh, RAW, RESULTS, PIDS, OVS_PIDS, OVS_RUN, OVS_VSWITCHD,
# OVS_BR, OVS_OK, OVS_NOTE, TMP, LOGDIR, MEM and INSTALL.
# shellcheck shell=bash

is_number() { [[ $1 =~ ^[0-9]+([.][0-9]+)?$ ]]; }

# ---------------------------------------------------------------- the summary

write_summary() {  # META...: $RESULTS/runs.json and summary.txt from the records in $RAW, with the
  # host's meta (the caller's pyh cpu-meta), the date and the caller's META lines (key=value)
  local meta=() line
  while IFS= read -r line; do meta+=("$line"); done < <(pyh cpu-meta)
  echo
  pyh summarize "$RAW" "$RESULTS/runs.json" "$RESULTS/summary.txt" "${meta[@]}" "date=$(date -Is)" "$@" && rm -f "$RAW"
  log "raw runs: $RESULTS/runs.json   table: $RESULTS/summary.txt   logs: $LOGDIR/"
}

# ---------------------------------------------------------------- processes

track()   { PIDS+=("$1"); }
untrack() { local p keep=(); for p in "${PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done; PIDS=("${keep[@]}"); }

alive() {  # PID: running (an exited but unreaped child is a zombie, which kill -0 still accepts)
  local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ $st != Z* ]]
}

reap() {  # PID: wait for our child; returns its exit status
  local rc=0; wait "$1" 2>/dev/null || rc=$?; untrack "$1"; return $rc
}

stop_pid() {  # PID [GRACE_S]: SIGTERM, then SIGKILL after GRACE_S (10); returns its exit status
  local pid=$1 end=$((SECONDS + ${2:-10}))
  kill -TERM "$pid" 2>/dev/null
  while alive "$pid" && [ $SECONDS -lt $end ]; do sleep 0.1; done
  alive "$pid" && { log "  pid $pid ignored SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  reap "$pid"
}

stop_foreign_pid() {  # PID: a daemon we started but is not our child (OVS detaches)
  local pid=$1 end=$((SECONDS + 10))
  kill -TERM "$pid" 2>/dev/null
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && { log "  pid $pid ignored SIGTERM: SIGKILL"; kill -KILL "$pid" 2>/dev/null; }
  return 0
}

interruptible() {  # CMD...: CMD in the background, waited for: a signal to this shell ends the
  # wait at once and its trap stops CMD (bash runs a trap only after a foreground command returns,
  # and a command started just after bench.sh listed the tree to signal never gets the signal).
  # CMD must be a program, not a shell function: a function runs in a forked subshell, which the
  # trap would stop while the program it started ran on (so: ip netns exec, not in_ns).
  "$@" & local p=$!; track $p; reap $p
}

nap() { interruptible sleep "$1"; }  # SECONDS: a sleep that a signal interrupts at once

stop_jobs() {  # every background job of this shell still running, tracked or not (a signal that
  # lands between a job's start and its track must not leave it behind)
  local p; for p in $(jobs -p); do alive "$p" && stop_pid "$p" 5; done
  return 0
}

# ---------------------------------------------------------------- packages

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_install() {  # PKG...: quietly, waiting for another apt to finish
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "$@" >"$LOGDIR/apt-install.log" 2>&1 && return 0
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >>"$LOGDIR/apt-install.log" 2>&1
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
    --no-install-recommends "$@" >>"$LOGDIR/apt-install.log" 2>&1
}

# ---------------------------------------------------------------- OVS-DPDK (a private instance)

# Its EAL gets a file prefix of its own, like every DPDK process here (without one it would take
# "rte", the default of any other DPDK program on the machine, and leave /var/run/dpdk/rte behind).
OVS_PREFIX=dswbovs

ovs() { OVS_RUNDIR=$OVS_RUN OVS_LOGDIR=$OVS_RUN OVS_DBDIR=$OVS_RUN OVS_SYSCONFDIR=$OVS_RUN "$@"; }

ovs_setup() {  # installs openvswitch-switch-dpdk if missing; OVS_OK=1 when a DPDK ovs-vswitchd can run, else OVS_NOTE says why
  local dpdk_bin=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
  if ! have_pkg openvswitch-switch-dpdk && [ $INSTALL = 1 ]; then
    log "installing openvswitch-switch-dpdk (apt) ..."
    apt_install openvswitch-switch-dpdk || log "  apt-get install openvswitch-switch-dpdk failed (logs/apt-install.log)"
  fi
  # Debian's alternative for /usr/sbin/ovs-vswitchd may still point at the build without DPDK; run
  # the DPDK build through a symlink named ovs-vswitchd, so that its process name stays
  # "ovs-vswitchd" (what every bench's wait for a quiet CPU looks for), without touching the
  # system's alternatives.
  if [ -x "$dpdk_bin" ]; then
    mkdir -p "$TMP/ovsbin" && ln -sf "$dpdk_bin" "$TMP/ovsbin/ovs-vswitchd" && OVS_VSWITCHD=$TMP/ovsbin/ovs-vswitchd
  fi
  if ! command -v ovsdb-server >/dev/null || ! command -v "$OVS_VSWITCHD" >/dev/null; then
    OVS_NOTE="openvswitch-switch-dpdk is not installed"
  elif ! "$OVS_VSWITCHD" --version 2>/dev/null | grep -q DPDK; then
    OVS_NOTE="$OVS_VSWITCHD has no DPDK"
  elif [ "$MEM" != huge ]; then
    OVS_NOTE="OVS-DPDK needs hugepages (dpdk-socket-mem)"
  else
    OVS_OK=1
  fi
  [ $OVS_OK = 1 ]
}

ovs_start() {  # DEVARGS0 DEVARGS1: ovsdb-server + ovs-vswitchd, netdev bridge (NORMAL), two dpdk ports
  local pid p
  OVS_RUN=$(mktemp -d "$TMP/ovs.XXXXXX") || return 1
  ovsdb-tool create "$OVS_RUN/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
  ovs ovsdb-server "$OVS_RUN/conf.db" --remote="punix:$OVS_RUN/db.sock" --pidfile="$OVS_RUN/ovsdb-server.pid" \
      --detach --no-chdir --log-file="$OVS_RUN/ovsdb-server.log" || return 1
  pid=$(cat "$OVS_RUN/ovsdb-server.pid") && OVS_PIDS+=("$pid")
  ovs ovs-vsctl --no-wait init || return 1
  ovs ovs-vsctl --no-wait set Open_vSwitch . other_config:dpdk-init=true other_config:dpdk-socket-mem=1024 \
      other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
      "other_config:dpdk-extra=\"--no-pci --file-prefix=$OVS_PREFIX\"" || return 1
  ovs "$OVS_VSWITCHD" "unix:$OVS_RUN/db.sock" --pidfile="$OVS_RUN/ovs-vswitchd.pid" --detach --no-chdir \
      --log-file="$OVS_RUN/ovs-vswitchd.log" || return 1
  pid=$(cat "$OVS_RUN/ovs-vswitchd.pid") && OVS_PIDS+=("$pid")
  ovs ovs-vsctl --timeout=60 add-br "$OVS_BR" -- set bridge "$OVS_BR" datapath_type=netdev || return 1
  # The devargs hold commas: double-quoted inside the argument (ANCHORS.md pitfall 5).
  ovs ovs-vsctl --timeout=60 add-port "$OVS_BR" p0 -- set Interface p0 type=dpdk "options:dpdk-devargs=\"$1\"" || return 1
  ovs ovs-vsctl --timeout=60 add-port "$OVS_BR" p1 -- set Interface p1 type=dpdk "options:dpdk-devargs=\"$2\"" || return 1
  for p in p0 p1; do
    [ "$(ovs ovs-vsctl get Interface $p ofport)" -gt 0 ] 2>/dev/null \
      || { log "  OVS port $p: $(ovs ovs-vsctl get Interface $p error 2>&1)"; return 1; }
  done
}

ovs_stop() {  # [LOGFILE]: stops the private OVS, removes the tap netdevs it leaves (ANCHORS.md pitfall 8);
  # its daemons' logs are appended to LOGFILE
  [ -n "$OVS_RUN" ] || return 0
  local p dev
  ovs timeout 20 ovs-appctl -t ovs-vswitchd exit --cleanup >/dev/null 2>&1
  ovs timeout 10 ovs-appctl -t ovsdb-server exit >/dev/null 2>&1
  for p in "${OVS_PIDS[@]}"; do stop_foreign_pid "$p"; done
  OVS_PIDS=()
  for dev in "$OVS_BR" ovs-netdev; do
    [ -e "/sys/class/net/$dev/tun_flags" ] && ip link del "$dev" 2>/dev/null
  done
  [ -n "${1:-}" ] && cat "$OVS_RUN"/ovs-vswitchd.log "$OVS_RUN"/ovsdb-server.log >>"$1" 2>/dev/null
  rm -rf "$OVS_RUN" "/var/run/dpdk/$OVS_PREFIX"
  OVS_RUN=''
}
