#!/usr/bin/env bash
# bench_containers.sh: container-to-container traffic (ping, iperf3 TCP, UDP 64 B) through dpdk_switch and
# its peers, on the same two containers (bench/README.md). The harness is bench/dswbench/containers.py;
# --help lists the paths and options.
#
# usage: scripts/bench_containers.sh [-n RUNS] [-t TCP_S] [-u UDP_S] [-c PINGS] [-o RESULTS_DIR]
#            [--only PATHS] [--no-install] [--force] [--steer afp|all|none] [--no-steer]
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
dswbench containers "$@"
