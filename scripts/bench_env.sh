# Sourced by the bench scripts: where the repository, the binaries and the peers are.
# env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd), PYTHON (default /usr/bin/python3)
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
export PYTHONPATH="$ROOT/scripts${PYTHONPATH:+:$PYTHONPATH}"   # bench_common.py for the embedded Python
BUILD_DIR=${DSW_BUILD_DIR:-$ROOT/build}
SWITCH_BIN=$BUILD_DIR/dpdk_switch/dpdk_switch
CTL_BIN=$BUILD_DIR/dpdk_switch/dpdk_switch_ctl
TESTPMD=${TESTPMD:-dpdk-testpmd}
# The harness in Python (bench/dswbench), run as `dswbench PART ARGS...` by the thin wrappers.
dswbench() { PYTHONPATH="$ROOT/bench${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m dswbench "$@"; }
