# Sourced by the bench wrappers (bench.sh, bench_pcap.sh, bench_containers.sh, bench_vhost.sh): runs the
# harness, bench/dswbench, as `dswbench [PART] ARGS...` in place of the wrapper's shell (exec: a signal to
# the wrapper reaches the harness, which stops and cleans up what it started).
# env: PYTHON (default /usr/bin/python3)
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PYTHON:-/usr/bin/python3}
dswbench() { PYTHONPATH="$ROOT/bench${PYTHONPATH:+:$PYTHONPATH}" exec "$PY" -m dswbench "$@"; }
