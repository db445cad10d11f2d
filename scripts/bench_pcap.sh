#!/usr/bin/env bash
# bench_pcap.sh: in-process packet rate of dpdk_switch against dpdk-testpmd and OVS-DPDK on the same two
# net_pcap ports (bench/README.md). The harness is bench/dswbench/pcap_rate.py; --help lists the options.
#
# usage: scripts/bench_pcap.sh [-n RUNS] [-w WINDOW_S] [-W WARMUP_S] [-o RESULTS_DIR]
#            [--only testpmd,ovs,switch] [--no-ovs] [--no-install] [--traffic "p2 p1024 p1024vlan p1024vx"] [--no-uni]
#            [--pcap-dir DIR] [--mem huge|nohuge] [--force]
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
dswbench pcap "$@"
