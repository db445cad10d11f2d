#!/usr/bin/env bash
# A private podman for dpdk_switch demos and tests: its own containers.conf (CNI backend, the
# dpdk-switch plugin), image store, run state and CNI network directory, all under DIR, so that
# the machine's podman setup is neither used nor changed.
#
#   podman_env.sh setup DIR NETWORK SOCKET SUBNET [PLUGIN_DIR]
#       DIR/containers.conf         the settings podman 4.3 (Debian 12) needs to run containers here
#       DIR/net.d/NETWORK.conflist  a CNI network of the dpdk-switch plugin on the switch at SOCKET,
#                                   addresses from host-local in SUBNET (leases in DIR/ipam)
#       DIR/podman                  podman with all of the above (use it as `podman`)
#       image dsw-busybox           imported from a tarball of Debian's busybox-static (sh, ip,
#                                   ping, wget, httpd and a page in /www): nothing can be pulled here
#     PLUGIN_DIR: where the dpdk-switch binary is (default /opt/cni/bin); host-local is taken from
#     /usr/lib/cni (Debian's containernetworking-plugins).
#   podman_env.sh clean DIR     removes every container and image of DIR, then DIR
#
# Containers must be run with `--cgroupns=host` (runc on this kernel, cgroupfs manager). DIR
# must be short: podman refuses a run root (DIR/run) of 50 characters or more.
set -euo pipefail

usage() {
  echo "usage: podman_env.sh setup DIR NETWORK SOCKET SUBNET [PLUGIN_DIR] | clean DIR" >&2
  exit 2
}

setup() {
  local dir=$1 net=$2 sock=$3 subnet=$4 plugin_dir=${5:-/opt/cni/bin}
  [ -x "$plugin_dir/dpdk-switch" ] || { echo "podman_env.sh: no $plugin_dir/dpdk-switch" >&2; exit 1; }
  for t in podman runc /usr/lib/cni/host-local /bin/busybox; do
    command -v "$t" >/dev/null || { echo "podman_env.sh: $t is missing: run scripts/install_deps.sh" >&2; exit 1; }
  done
  mkdir -p "$dir/net.d" "$dir/ipam" "$dir/rootfs/bin" "$dir/rootfs/www"
  dir=$(cd "$dir" && pwd)

  # default_ulimits = []: podman's default raises RLIMIT_NOFILE, which runc refuses here.
  # cgroupfs + --cgroupns=host: no systemd, and the container's cgroup namespace would fail.
  # network_backend = "cni": netavark is not in Debian 12; CNI is the door for our plugin.
  cat >"$dir/containers.conf" <<CONF
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
tmp_dir = "$dir/libpod"

[network]
network_backend = "cni"
network_config_dir = "$dir/net.d"
cni_plugin_dirs = ["$plugin_dir", "/usr/lib/cni"]
CONF

  cat >"$dir/net.d/$net.conflist" <<CONF
{
  "cniVersion": "1.0.0",
  "name": "$net",
  "plugins": [
    {
      "type": "dpdk-switch",
      "socket": "$sock",
      "ipam": {"type": "host-local", "subnet": "$subnet", "dataDir": "$dir/ipam",
               "routes": [{"dst": "0.0.0.0/0"}]}
    }
  ]
}
CONF

  cat >"$dir/podman" <<WRAP
#!/bin/sh
CONTAINERS_CONF="$dir/containers.conf" exec podman --root "$dir/storage" --runroot "$dir/run" \\
  --storage-driver vfs "\$@"
WRAP
  chmod +x "$dir/podman"

  cp /bin/busybox "$dir/rootfs/bin/busybox"
  for t in sh ip ping wget httpd cat sleep; do ln -sf busybox "$dir/rootfs/bin/$t"; done
  echo "Hello from a podman container on dpdk_switch" >"$dir/rootfs/www/index.html"
  tar -C "$dir/rootfs" -cf "$dir/busybox.tar" .
  "$dir/podman" import --quiet --change CMD=/bin/sh "$dir/busybox.tar" dsw-busybox >/dev/null
}

clean() {
  local dir=$1
  [ -d "$dir" ] || return 0
  if [ -x "$dir/podman" ]; then
    # -t 0: busybox as PID 1 ignores SIGTERM; the network goes (CNI DEL) either way.
    "$dir/podman" rm -a -f -t 0 >/dev/null 2>&1 || true
    "$dir/podman" rmi -a -f >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case ${1:-} in
  setup) [ $# -ge 5 ] && [ $# -le 6 ] || usage; shift; setup "$@" ;;
  clean) [ $# -eq 2 ] || usage; clean "$2" ;;
  *) usage ;;
esac
