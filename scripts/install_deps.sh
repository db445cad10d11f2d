#!/usr/bin/env bash
# Installs everything dpdk_switch needs to build, test and demo, from Debian's packages.
# Idempotent: skips apt when every package is already there. Needs root.
set -euo pipefail

PKGS=(
  # build
  build-essential pkg-config meson ninja-build
  dpdk dpdk-dev libdpdk-dev librte-net-af-xdp23 libnuma-dev libyaml-cpp-dev nlohmann-json3-dev
  libreadline-dev libpcap-dev libgtest-dev libbenchmark-dev libmicrohttpd-dev
  # the CNI plugin (rtnetlink)
  libmnl-dev
  # the frame fuzzer (libFuzzer + ASan/UBSan)
  clang libclang-rt-14-dev
  # integration tests and demo: namespaces, traffic, capture
  iproute2 iputils-ping ethtool curl tcpdump iperf3 python3 python3-pytest python3-scapy python3-yaml python3-prometheus-client procps psmisc
  # real containers on the switch: podman (CNI backend) with the dpdk-switch plugin, host-local
  # IPAM, and a busybox image made from busybox-static (scripts/podman_env.sh)
  podman runc containernetworking-plugins busybox-static
  # scripts/dsw-docker and its test (a private dockerd: no iptables, no docker0)
  docker.io
  # OVS-DPDK: the third VTEP of tests/integration/test_vxlan_ovs.py and the bench's peer (installing
  # it starts nothing; the tests and the bench run private instances)
  openvswitch-switch-dpdk
  # the benchmark harness's lint step (scripts/test.sh)
  python3-pyflakes
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install_deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
