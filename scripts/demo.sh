#!/usr/bin/env bash
# Two containers talking through dpdk_switch:
#
#   dsw-c1 (netns)                         dpdk_switch                         dsw-c2 (netns)
#   eth0 172.17.0.2 -- veth -- dsw-v1 -- veth port c1 -- c2 veth port -- dsw-v2 -- veth -- eth0 172.17.0.3
#                                                                                    python3 -m http.server 8080
#
# The containers keep their default offloads (no `ethtool tx off`): the veth ports carry their
# partial checksums and 64 KB TCP segments through the switch as they are.
#
# Installs missing packages, builds, creates both containers, starts the switch with
# config/two_containers.yaml, pings c2 from c1, fetches a page from c2's web server with curl, prints
# the switch's MAC table and port counters, and removes everything again on exit or Ctrl-C.
# Exits non-zero if ping or curl fails.
#
#   scripts/demo.sh [--keep]     --keep: leave it all running until Ctrl-C
#
# Env: DSW_BUILD_DIR (default ./build; when set, the binaries are taken from there, not built).
# Needs root.
set -euo pipefail

keep=0
case ${1:-} in
  '') ;;
  --keep) keep=1 ;;
  *) echo "usage: scripts/demo.sh [--keep]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "demo.sh: needs root (namespaces, veth, DPDK)" >&2; exit 1; }

cd "$(dirname "$0")/.."
repo=$(pwd)
CONFIG=$repo/config/two_containers.yaml
DEMO_PREFIX=demo # eal.file_prefix in CONFIG
SOCK=/run/dpdk_switch/demo.sock
PYTHON=/usr/bin/python3 # Debian's; a pyenv/venv python3 on PATH would do for http.server too
C1=dsw-c1 V1=dsw-v1 IP1=172.17.0.2
C2=dsw-c2 V2=dsw-v2 IP2=172.17.0.3
PORT=8080

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() { echo "demo.sh: $*" >&2; exit 1; }

# --- everything made below is undone here, whatever way the script ends --------------------------
tmp="" switch_pid="" http_pid="" made_containers=0 own_sock=0
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  if [ -n "$http_pid" ]; then
    kill "$http_pid" 2>/dev/null
    wait "$http_pid" 2>/dev/null
  fi
  if [ -n "$switch_pid" ] && kill -0 "$switch_pid" 2>/dev/null; then
    kill -TERM "$switch_pid"
    for _ in $(seq 50); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$switch_pid" 2>/dev/null; then
      echo "demo.sh: switch (pid $switch_pid) ignored SIGTERM for 5 s, killing it" >&2
      kill -KILL "$switch_pid"
    fi
    wait "$switch_pid" 2>/dev/null
    src=$?
    [ "$src" -eq 0 ] || echo "demo.sh: the switch exited with code $src" >&2
  fi
  [ "$own_sock" = 1 ] && rm -f "$SOCK" # a switch that crashed or was killed cannot remove it
  # EAL keeps its runtime directory (config, memory map: 6 MiB in /run with no_huge) for
  # secondaries that might attach later; once the demo's switch is gone none will.
  [ "$own_sock" = 1 ] && rm -rf "/var/run/dpdk/$DEMO_PREFIX"
  if [ "$made_containers" = 1 ]; then
    scripts/container.sh del "$C1" "$V1"
    scripts/container.sh del "$C2" "$V2"
  fi
  [ -n "$tmp" ] && rm -rf "$tmp"
  echo "demo: cleaned up"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; exit 130' INT
trap 'exit 143' TERM

show_switch_log() {
  [ -n "$tmp" ] && [ -s "$tmp/switch.log" ] || return 0
  echo "--- last lines of the switch's log ---" >&2
  tail -n 30 "$tmp/switch.log" >&2
}

# --- dependencies and build ----------------------------------------------------------------------
say "dependencies"
scripts/install_deps.sh # idempotent: calls apt only for what is missing
if [ -n "${DSW_BUILD_DIR:-}" ]; then
  build=$DSW_BUILD_DIR
else
  say "build"
  scripts/build.sh # ninja does nothing when the build is up to date
  build=$repo/build
fi
SWITCH=$build/dpdk_switch/dpdk_switch
CTL=$build/dpdk_switch/dpdk_switch_ctl
{ [ -x "$SWITCH" ] && [ -x "$CTL" ]; } || die "no binaries in $build/dpdk_switch (run scripts/build.sh)"
[ -f "$CONFIG" ] || die "$CONFIG is missing"
ctl() { "$CTL" --socket "$SOCK" "$@"; }

# --- a previous run that was killed hard may have left things behind -----------------------------
if [ -S "$SOCK" ]; then
  ctl show port info all >/dev/null 2>&1 \
    && die "a switch already answers on $SOCK (another demo running?); stop it first"
  rm -f "$SOCK"
fi
own_sock=1
scripts/container.sh del "$C1" "$V1"
scripts/container.sh del "$C2" "$V2"
tmp=$(mktemp -d /tmp/dsw-demo.XXXXXX)

# --- containers ----------------------------------------------------------------------------------
say "containers: $C1 ($IP1, host end $V1) and $C2 ($IP2, host end $V2)"
made_containers=1
scripts/container.sh add "$C1" "$V1" "$IP1/24"
scripts/container.sh add "$C2" "$V2" "$IP2/24"
ip -n "$C1" -br addr show eth0
ip -n "$C2" -br addr show eth0

# --- switch --------------------------------------------------------------------------------------
say "dpdk_switch -- --config ${CONFIG#"$repo"/} --ctl-socket $SOCK"
mkdir -p "$(dirname "$SOCK")"
# No EAL options on the command line: the config's eal: section supplies them.
"$SWITCH" -- --config "$CONFIG" --ctl-socket "$SOCK" </dev/null >"$tmp/switch.log" 2>&1 &
switch_pid=$!
# The socket appears once every port has started; poll rather than sleep a guessed time.
ready=0
for _ in $(seq 200); do # 20 s
  if ! kill -0 "$switch_pid" 2>/dev/null; then
    wait "$switch_pid" && rc=0 || rc=$?
    switch_pid=""
    show_switch_log
    die "the switch exited during start-up (exit code $rc)"
  fi
  if [ -S "$SOCK" ] && ctl show port info all >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.1
done
[ "$ready" = 1 ] || { show_switch_log; die "no answer on $SOCK after 20 s"; }
echo "switch running, pid $switch_pid, log $tmp/switch.log"
ctl show port info all

# --- traffic -------------------------------------------------------------------------------------
say "ping -c 3 $IP2 (from $C1)"
if ! ip netns exec "$C1" ping -c 3 -W 2 "$IP2"; then
  show_switch_log
  die "ping from $C1 to $C2 failed"
fi

say "python3 -m http.server $PORT in $C2; curl http://$IP2:$PORT/ from $C1"
mkdir "$tmp/www"
cat >"$tmp/www/index.html" <<EOF
<!doctype html>
<html><body><h1>Hello from $C2</h1><p>served at $IP2:$PORT through dpdk_switch</p></body></html>
EOF
ip netns exec "$C2" "$PYTHON" -m http.server "$PORT" --bind "$IP2" --directory "$tmp/www" \
  </dev/null >"$tmp/http.log" 2>&1 &
http_pid=$!
# The server needs a moment to listen: retry a refused connection for up to 10 s.
ok=0
for _ in $(seq 20); do
  if body=$(ip netns exec "$C1" curl -sS --max-time 5 "http://$IP2:$PORT/" 2>"$tmp/curl.err"); then
    ok=1
    break
  fi
  kill -0 "$http_pid" 2>/dev/null || break
  sleep 0.5
done
if [ "$ok" != 1 ]; then
  cat "$tmp/curl.err" "$tmp/http.log" >&2
  show_switch_log
  die "curl from $C1 to http://$IP2:$PORT/ failed"
fi
echo "$body"

say "show mac table"
ctl show mac table
say "show port stats all"
ctl show port stats all

# --- keep it running on request ------------------------------------------------------------------
if [ "$keep" = 1 ]; then
  cat <<EOF

Left running (Ctrl-C to stop and clean up). Try:
  ip netns exec $C1 ping $IP2
  ip netns exec $C1 curl http://$IP2:$PORT/
  $CTL --socket $SOCK            # interactive prompt
  $CTL --socket $SOCK --json show port stats all
EOF
  # `wait` returns early when Ctrl-C runs the INT trap, which exits through cleanup.
  wait "$switch_pid" && rc=0 || rc=$?
  switch_pid=""
  show_switch_log
  die "the switch exited on its own (exit code $rc)"
fi
