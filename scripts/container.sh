#!/usr/bin/env bash
# A "container" for dpdk_switch demos and tests: a network namespace whose eth0 is one end of a
# veth pair; the other end (HOSTIF) stays in the root namespace for a switch port (veth).
# Its offloads stay as the kernel sets them, as in a container of docker, podman or Kubernetes.
#
#   container.sh add NAME HOSTIF IP/PREFIX [--mac MAC|random] [--no-ipv6] [--ctl SOCKET PORTNAME]
#                    [--port-type veth|af_packet|af_xdp] [--tx-off] [--rx-cpus MASK]
#   container.sh del NAME HOSTIF [--ctl SOCKET PORTNAME]
#   container.sh rx-cpus NAME MASK     (--rx-cpus on an existing container; 0: no steering)
#
#   --mac       eth0's MAC. Default: a fixed pattern from the IP, 02:42:<ip as hex> (locally
#               administered, like Docker's), so 172.17.0.2 is 02:42:ac:11:00:02. `random` asks for
#               a random locally administered one.
#   --no-ipv6   no IPv6 inside the container: no DAD/router-solicitation/MLD frames, so the only
#               traffic is what you send (tests of learning and aging want a quiet link).
#   --ctl       also `port add PORTNAME veth iface=HOSTIF` (add) or `port del PORTNAME` (del) on
#               the switch listening on SOCKET, via dpdk_switch_ctl ($DSW_BUILD_DIR or ./build).
#               If the switch refuses the port, `add` fails and undoes the container.
#   --port-type the switch port's type for --ctl add: veth (default: the container keeps its
#               offloads), af_packet or af_xdp (these two imply --tx-off; af_xdp needs the switch
#               on hugepages).
#   --tx-off    `ethtool -K eth0 tx off` in the container: its kernel then completes every TCP/UDP
#               checksum and segments before eth0. A veth port takes the container's partial
#               checksums and 64 KB segments as they are; net_af_packet and net_af_xdp (DPDK
#               22.11) cannot: they would pass partial checksums on unfinished, and the receiver
#               drops the segments (ping works, TCP does not).
#   --rx-cpus   the CPUs (a hex mask, as in rps_cpus: 1 = CPU 0) that run the kernel's receive
#               processing of eth0. Give it the CPUs the switch does not poll. Without it, a frame
#               the switch sends into the container is processed (IP, TCP, and for an ACK the
#               sender's next segments) in softirq on the CPU that sent it: the switch's busy
#               worker, which then forwards less: steering it away roughly doubled TCP through
#               af_packet; af_xdp gained less, on some hosts nothing, and its RTT grew (BENCHMARKS.md,
#               "Figures behind code comments"). The Linux bridge does this work on the sender's CPU anyway.
#
# `add` fails if NAME or HOSTIF already exists and undoes what it made when a step fails.
# `del` removes whatever of the two exists (quietly, exit 0), after killing the processes still
# running in NAME (otherwise the namespace and its eth0 outlive `ip netns del`). Needs root.
set -euo pipefail

usage() {
  cat >&2 <<'EOF'
usage: container.sh add NAME HOSTIF IP/PREFIX [--mac MAC|random] [--no-ipv6] [--ctl SOCKET PORTNAME]
                        [--port-type veth|af_packet|af_xdp] [--tx-off] [--rx-cpus MASK]
       container.sh del NAME HOSTIF [--ctl SOCKET PORTNAME]
       container.sh rx-cpus NAME MASK
EOF
  exit 2
}
die() { echo "container.sh: $*" >&2; exit 1; }

ctl_bin() {
  local repo build
  repo=$(cd "$(dirname "$0")/.." && pwd)
  build=${DSW_BUILD_DIR:-$repo/build}
  echo "$build/dpdk_switch/dpdk_switch_ctl"
}

ip_to_mac() { # 172.17.0.2/24 -> 02:42:ac:11:00:02
  local a b c d
  IFS=. read -r a b c d <<<"${1%/*}"
  printf '02:42:%02x:%02x:%02x:%02x\n' $((10#$a)) $((10#$b)) $((10#$c)) $((10#$d))
}

random_mac() { # locally administered (bit 1 of the first octet), unicast (bit 0 clear)
  local -a o
  read -r -a o < <(od -An -N6 -tu1 /dev/urandom)
  printf '%02x:%02x:%02x:%02x:%02x:%02x\n' \
    $(( (o[0] & 0xfc) | 0x02 )) "${o[1]}" "${o[2]}" "${o[3]}" "${o[4]}" "${o[5]}"
}

netns_exists() { ip netns list | awk '{print $1}' | grep -qxF -- "$1"; }

check_cpu_mask() { [[ $1 =~ ^[0-9a-fA-F]+(,[0-9a-fA-F]+)*$ ]] || die "bad CPU mask '$1' (hex, e.g. 1 for CPU 0)"; }

# Receive packet steering (RPS) of every RX queue of NS's eth0: see --rx-cpus above. (ip netns
# exec mounts the namespace's own /sys, where eth0 is this container's.)
set_rx_cpus() { # NS MASK
  ip netns exec "$1" sh -c 'for q in /sys/class/net/eth0/queues/rx-*/rps_cpus; do echo "$1" >"$q" || exit 1; done' \
      sh "$2" 2>/dev/null \
    || { echo "container.sh: the kernel refused --rx-cpus $2 (this machine's CPUs: $(cat /sys/devices/system/cpu/online))" >&2; return 1; }
}

kill_netns_pids() {
  local ns=$1 pids
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  # shellcheck disable=SC2086
  kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 20); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.1
  done
  # shellcheck disable=SC2086
  kill -KILL $pids 2>/dev/null || true
}

remove() { # NAME HOSTIF; quiet about what is absent
  local ns=$1 hostif=$2
  if netns_exists "$ns"; then
    kill_netns_pids "$ns"
  fi
  # Delete the veth through its host end first: `ip netns del` frees the namespace (and eth0
  # with it) asynchronously, so HOSTIF could otherwise linger for a moment and clash with a
  # quick re-add.
  ip link del "$hostif" 2>/dev/null || true
  if netns_exists "$ns"; then
    ip netns del "$ns" 2>/dev/null || true
  fi
}

cmd=${1:-}
if [ "$cmd" = rx-cpus ]; then
  [ $# -eq 3 ] || usage
  check_cpu_mask "$3"
  netns_exists "$2" || die "no namespace $2"
  set_rx_cpus "$2" "$3"
  exit
fi
[ $# -ge 3 ] || usage
ns=$2 hostif=$3
shift 3

cidr=
if [ "$cmd" = add ]; then
  [ $# -ge 1 ] || usage
  cidr=$1
  shift
  [[ $cidr =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] || die "bad IP/PREFIX '$cidr'"
  IFS=./ read -r o1 o2 o3 o4 plen <<<"$cidr"
  for o in "$o1" "$o2" "$o3" "$o4"; do [ $((10#$o)) -le 255 ] || die "bad IP/PREFIX '$cidr'"; done
  [ $((10#$plen)) -le 32 ] || die "bad IP/PREFIX '$cidr'"
fi

mac="" no_ipv6=0 ctl_sock="" ctl_port="" port_type=veth rx_cpus="" tx_off=0
while [ $# -gt 0 ]; do
  case $1 in
    --mac) [ $# -ge 2 ] || usage; mac=$2; shift 2 ;;
    --no-ipv6) no_ipv6=1; shift ;;
    --ctl) [ $# -ge 3 ] || usage; ctl_sock=$2 ctl_port=$3; shift 3 ;;
    --port-type) [ $# -ge 2 ] || usage; port_type=$2; shift 2 ;;
    --tx-off) tx_off=1; shift ;;
    --rx-cpus) [ $# -ge 2 ] || usage; rx_cpus=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ ${#hostif} -le 15 ] || die "interface name '$hostif' is longer than 15 characters"
[[ $ns =~ ^[A-Za-z0-9_.-]+$ ]] || die "bad namespace name '$ns'"
case $port_type in
  veth) ;;
  af_packet|af_xdp) tx_off=1 ;;
  *) die "bad port type '$port_type' (veth, af_packet or af_xdp)" ;;
esac
[ -z "$rx_cpus" ] || check_cpu_mask "$rx_cpus"

case $cmd in
  add)
    [ "$(id -u)" -eq 0 ] || die "needs root"
    case $mac in
      '') mac=$(ip_to_mac "$cidr") ;;
      random) mac=$(random_mac) ;;
    esac
    [[ $mac =~ ^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$ ]] || die "bad MAC '$mac'"
    netns_exists "$ns" && die "namespace $ns already exists (container.sh del $ns $hostif)"
    ip link show "$hostif" >/dev/null 2>&1 && die "interface $hostif already exists"

    trap 'remove "$ns" "$hostif"; echo "container.sh: add $ns failed, undone" >&2' ERR
    ip netns add "$ns"
    # Create the peer directly inside the namespace: named eth0 in the root namespace it would
    # clash with the host's own eth0.
    ip link add "$hostif" type veth peer name eth0 netns "$ns"

    # The host end is a wire into the switch, not an interface of the host: no IPv6 (and no
    # address at all), or the root namespace's kernel would send DAD/router solicitations/MLD
    # out of it, af_packet would capture those outgoing frames, and the switch would learn the
    # host's MAC on this port and flood its chatter to every container.
    # (Written through /proc, not sysctl(8), which would read a dot in the name as a separator.)
    if [ -e "/proc/sys/net/ipv6/conf/$hostif/disable_ipv6" ]; then
      echo 1 >"/proc/sys/net/ipv6/conf/$hostif/disable_ipv6"
    fi
    ip link set "$hostif" up

    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 address "$mac"
    if [ "$no_ipv6" = 1 ]; then
      # Before eth0 goes up, so that not even DAD leaves it.
      if [ -d /proc/sys/net/ipv6 ]; then
        ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
          net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.eth0.disable_ipv6=1
      fi
    fi
    # --tx-off (see above): only for ports that cannot carry a partial checksum.
    [ "$tx_off" = 0 ] || ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
    ip -n "$ns" addr add "$cidr" dev eth0
    [ -z "$rx_cpus" ] || set_rx_cpus "$ns" "$rx_cpus"
    ip -n "$ns" link set eth0 up

    if [ -n "$ctl_sock" ]; then
      # The switch's own refusal (on stderr) says why.
      "$(ctl_bin)" --socket "$ctl_sock" port add "$ctl_port" "$port_type" "iface=$hostif" >/dev/null \
        || { echo "container.sh: port add $ctl_port on $ctl_sock failed" >&2; false; }
    fi
    trap - ERR
    ;;
  del)
    if [ -n "$ctl_sock" ]; then
      # Take the port out of the switch before its interface disappears under it.
      "$(ctl_bin)" --socket "$ctl_sock" port del "$ctl_port" >/dev/null 2>&1 \
        || echo "container.sh: warning: port del $ctl_port on $ctl_sock failed" >&2
    fi
    remove "$ns" "$hostif"
    ;;
  *) usage ;;
esac
