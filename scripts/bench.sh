#!/usr/bin/env bash
# bench.sh: the benchmark suite of issue 6 in one command: dpdk_switch against testpmd, OVS-DPDK, the Linux
# bridge and the kernel's XDP redirect (bench/README.md, BENCHMARKS.md). The harness is bench/dswbench
# (python3 -m dswbench); --help tells what it does.
#
# usage: scripts/bench.sh [-n RUNS] [--quick] [--only gbench,pcap,containers,vhost] [-o RESULTS]
#            [--no-install] [--no-build] [--force]
# env: DSW_BUILD_DIR (default ./build; when set, bench.sh never builds), PYTHON (default /usr/bin/python3)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
dswbench "$@"
