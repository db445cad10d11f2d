#!/usr/bin/env bash
# bench_vhost.sh: a DPDK app on vhost-user through dpdk_switch, against dpdk-testpmd io on the same vhost
# ports (issue 5; bench/README.md). The harness is bench/dswbench/vhost.py; --help tells more.
#
# usage: scripts/bench_vhost.sh [-n RUNS] [-w WARMUP_S] [-W WINDOW_S] [-o RESULTS_DIR] [--only testpmd-io|switch]
#            [--no-install] [--force]
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
set -u
. "$(dirname "${BASH_SOURCE[0]}")/bench_env.sh"
dswbench vhost "$@"
