#!/usr/bin/env bash
# The demo with real containers: two podman containers on a dpdk_switch network, through the
# dpdk-switch CNI plugin.
#
#   podman dsw-pc1 (httpd)             dpdk_switch              podman dsw-pc2
#   eth0 10.79.0.x -- veth -- dswXXXX -- veth port -||- veth port -- dswYYYY -- veth -- eth0
#
# Builds if needed, starts a switch with no ports, sets up a private podman (scripts/podman_env.sh:
# its own containers.conf, CNI directory and storage under a temp dir; the machine's podman is
# not touched), runs httpd in dsw-pc1, pings it and fetches its page with wget from dsw-pc2, shows
# the MACs learned behind the containers' ports, then removes the containers (`podman rm -f`:
# CNI DEL takes port, veth and address) and checks that nothing is left.
#
#   scripts/podman_demo.sh [--keep]    --keep: leave it running until Ctrl-C
#
# Env: DSW_BUILD_DIR (default ./build; when set, the binaries are taken from there, not built).
set -euo pipefail

keep=0
case ${1:-} in
  '') ;;
  --keep) keep=1 ;;
  *) echo "usage: scripts/podman_demo.sh [--keep]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "podman_demo.sh: needs root" >&2; exit 1; }

cd "$(dirname "$0")/.."
repo=$(pwd)
PREFIX=dsw-podman-demo
SOCK=/run/dpdk_switch/$PREFIX.sock
NET=dsw-podman-demo
SUBNET=10.79.0.0/24
C1=dsw-pc1 C2=dsw-pc2

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
die() { echo "podman_demo.sh: $*" >&2; exit 1; }

tmp="" switch_pid=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  set +e
  [ -n "$tmp" ] && scripts/podman_env.sh clean "$tmp/podman"
  if [ -n "$switch_pid" ] && kill -0 "$switch_pid" 2>/dev/null; then
    kill -TERM "$switch_pid"
    for _ in $(seq 50); do kill -0 "$switch_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$switch_pid" 2>/dev/null
    wait "$switch_pid" 2>/dev/null
  fi
  [ -n "$tmp" ] && rm -f "$SOCK" && rm -rf "/var/run/dpdk/$PREFIX" "$tmp"
  echo "podman_demo: cleaned up"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; exit 130' INT
trap 'exit 143' TERM

say "dependencies"
scripts/install_deps.sh
if [ -n "${DSW_BUILD_DIR:-}" ]; then
  build=$DSW_BUILD_DIR
else
  say "build"
  scripts/build.sh
  build=$repo/build
fi
SWITCH=$build/dpdk_switch/dpdk_switch
CTL=$build/dpdk_switch/dpdk_switch_ctl
PLUGIN_DIR=$build/dpdk_switch/cni
[ -x "$SWITCH" ] && [ -x "$PLUGIN_DIR/dpdk-switch" ] || die "no binaries in $build (run scripts/build.sh)"
ctl() { "$CTL" --socket "$SOCK" "$@"; }
if [ -S "$SOCK" ] && ctl show port info all >/dev/null 2>&1; then die "a switch already answers on $SOCK"; fi
tmp=$(mktemp -d /tmp/dsw-podman-demo.XXXXXX)

say "dpdk_switch, no ports (the plugin adds them), socket $SOCK"
cat >"$tmp/switch.yaml" <<EOF
eal: { lcores: "0-1", no_huge: true, memory_mb: 512, file_prefix: $PREFIX }
switch: { ctl_socket: $SOCK }
ports: []
EOF
mkdir -p /run/dpdk_switch
"$SWITCH" -- --config "$tmp/switch.yaml" </dev/null >"$tmp/switch.log" 2>&1 &
switch_pid=$!
for _ in $(seq 200); do
  kill -0 "$switch_pid" 2>/dev/null || { cat "$tmp/switch.log" >&2; die "the switch exited during start-up"; }
  ctl show port info all >/dev/null 2>&1 && break
  sleep 0.1
done

say "a private podman in $tmp/podman, network $NET ($SUBNET)"
scripts/podman_env.sh setup "$tmp/podman" "$NET" "$SOCK" "$SUBNET" "$PLUGIN_DIR"
PODMAN=$tmp/podman/podman
cat "$tmp/podman/containers.conf" "$tmp/podman/net.d/$NET.conflist"

say "podman run $C1 (httpd) and $C2"
"$PODMAN" run -d --cgroupns=host --network "$NET" --name "$C1" dsw-busybox httpd -f -p 80 -h /www
"$PODMAN" run -d --cgroupns=host --network "$NET" --name "$C2" dsw-busybox sleep 3600
IP1=$("$PODMAN" inspect -f "{{(index .NetworkSettings.Networks \"$NET\").IPAddress}}" "$C1")
echo "$C1 has $IP1"
ctl show port info all

say "ping -c 3 $IP1 (from $C2)"
"$PODMAN" exec "$C2" ping -c 3 "$IP1"

say "wget -q -O - http://$IP1/ (from $C2)"
ok=0
for _ in $(seq 20); do
  if "$PODMAN" exec "$C2" wget -q -O - "http://$IP1/"; then ok=1; break; fi
  sleep 0.5
done
[ "$ok" = 1 ] || die "wget from $C2 to $C1 failed"

say "show mac table --json"
ctl --json show mac table

if [ "$keep" = 1 ]; then
  echo "Left running (Ctrl-C to stop and clean up). podman: $PODMAN; switch: $CTL --socket $SOCK"
  wait "$switch_pid" || true
  switch_pid=""
  die "the switch exited on its own"
fi

say "podman rm -f $C1 $C2: the plugin's DEL removes ports, veths and leases"
"$PODMAN" rm -f -t 0 "$C1" "$C2"
ports=$(ctl --json show port info all)
echo "$ports"
[ "$ports" = '{"ports":[]}' ] || die "ports left on the switch"
leases=$(find "$tmp/podman/ipam/$NET" -name '10.*' | wc -l)
[ "$leases" = 0 ] || die "$leases address leases left"
echo "no ports, no leases left"
