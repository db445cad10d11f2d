#!/usr/bin/env bash
# README command 2: installs what the tests need, builds, and runs every test: the GoogleTest
# units (real EAL, --no-huge, net_pcap/net_ring vdevs) and the integration tests (the real
# binaries against network namespaces). Needs root. Prints one closing line
# "N passed, N failed" over both suites; exits non-zero if anything failed.
#
#   scripts/test.sh [--unit-only|--integration-only] [-k PYTEST_EXPR]
set -uo pipefail
cd "$(dirname "$0")/.."

unit=1 integration=1 pytest_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --unit-only) integration=0 ;;
    --integration-only) unit=0 ;;
    -k) pytest_args+=(-k "$2"); shift ;;
    *) echo "usage: $0 [--unit-only|--integration-only] [-k EXPR]" >&2; exit 2 ;;
  esac
  shift
done

[ "$(id -u)" = 0 ] || { echo "test.sh: run as root (namespaces, veths, EAL)" >&2; exit 2; }
scripts/install_deps.sh || exit 1
# Hugepages if the kernel gives them; every test also runs with EAL's --no-huge fallback.
mem=$(scripts/hugepages.sh)
echo "test.sh: memory mode: $mem"
scripts/build.sh || exit 1

passed=0 failed=0 log=$(mktemp -d) bg=
trap '[ -z "$bg" ] || kill -- -"$bg" 2>/dev/null; rm -rf "$log"' EXIT

if [ "$unit" = 1 ]; then
  # Two compile-only jobs of the unit part, the fuzz targets (clang + ASan: the whole switch once
  # more) and the portable build, take minutes of CPU that the tests below leave idle (a switch
  # under test busy-polls one CPU, the other mostly waits for namespaces, pings and timeouts).
  # They build there, in a session of their own (killed on exit), as SCHED_IDLE: they get a CPU
  # only when no test process wants it, so the tests run as they would alone. Their results are
  # reported in their own sections, after the integration tests.
  setsid chrt --idle 0 bash -c '
    scripts/fuzz.sh build >"$1/fuzz-build.txt" 2>&1
    { [ -f build-portable/build.ninja ] ||
      meson setup build-portable -Dnative=false -Dtests=false -Dbench=false -Doptimization=0 \
        >/dev/null 2>"$1/portable.txt"; } &&
      ninja -C build-portable -j "$(nproc)" >"$1/portable.txt" 2>&1
    echo $? >"$1/portable.rc"' bash "$log" &
  bg=$!
fi

if [ "$unit" = 1 ]; then
  # One EAL per binary: the second maps two worker lcores onto one CPU (cross-worker rings); the
  # third is the grammar under ASan/UBSan, without EAL.
  for bin in dsw_unit_tests dsw_cross_worker_tests dsw_sanitized_tests; do
    echo "== unit tests: $bin (GoogleTest, real EAL) =="
    "build/tests/$bin" --gtest_brief=1 2>&1 | grep -v '^dsw\.' | tee "$log/unit.txt"
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log/unit.txt" | tail -1)
    f=$(sed -n 's/^ *\([0-9]*\) FAILED TEST.*/\1/p' "$log/unit.txt" | tail -1)
    total=$(sed -n 's/^\[==========\] \([0-9]*\) tests\{0,1\} from.*ran.*/\1/p' "$log/unit.txt" | tail -1)
    p=${p:-0}; f=${f:-0}
    # A crash prints no summary: count everything that did not pass as failed.
    [ -n "$total" ] || { f=$((f + 1)); echo "test.sh: $bin did not finish"; }
    [ -n "$total" ] && [ $((p + f)) -lt "$total" ] && f=$((total - p))
    passed=$((passed + p)); failed=$((failed + f))
  done
fi

if [ "$unit" = 1 ]; then
  # The benchmark harness (bench/dswbench): its parsers and tables under pytest (no root, no DPDK), and
  # pyflakes over it and scripts/*.py; each counts once in the tally.
  echo "== bench harness: unit tests (pytest tests/bench) =="
  /usr/bin/python3 -m pytest tests/bench -q -p no:cacheprovider 2>&1 | tee "$log/bench.txt" | tail -3
  rc=${PIPESTATUS[0]}
  p=$(grep -oE '[0-9]+ passed' "$log/bench.txt" | tail -1 | grep -oE '[0-9]+'); p=${p:-0}
  f=$(grep -oE '[0-9]+ (failed|errors?)' "$log/bench.txt" | awk '{s += $1} END {print s + 0}')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
  echo "== lint (pyflakes: bench/ tests/bench scripts/*.py) =="
  if /usr/bin/python3 -m pyflakes bench tests/bench scripts/*.py; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
fi

if [ "$integration" = 1 ]; then
  echo "== integration tests (pytest, real binary + namespaces) =="
  /usr/bin/python3 -m pytest tests/integration -q "${pytest_args[@]}" 2>&1 | tee "$log/int.txt"
  rc=${PIPESTATUS[0]}
  last=$(grep -E '(passed|failed|error)' "$log/int.txt" | tail -1)
  p=$(echo "$last" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+'); p=${p:-0}
  f=$(echo "$last" | grep -oE '[0-9]+ (failed|errors?)' | awk '{s += $1} END {print s + 0}')
  [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
  passed=$((passed + p)); failed=$((failed + f))
fi

if [ "$unit" = 1 ]; then
  # The libFuzzer targets (clang): frame path, config loader, CLI, memif handshake; the time is
  # split between them. Built in the background above; a build that failed there fails here
  # again, with its errors.
  wait "$bg"
  bg=
  echo "== fuzz (libFuzzer, ${DSW_FUZZ_SECONDS:-20} s) =="
  if scripts/fuzz.sh "${DSW_FUZZ_SECONDS:-20}" 2>&1 | tee "$log/fuzz.txt" | tail -3; then
    grep -q 'skipped' "$log/fuzz.txt" || passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi

  # What a packager builds: -march from DPDK's pkg-config (corei7 on Debian), no -march=native,
  # so the portable code paths compile. Compile only, unoptimised (-O0): whether they compile does
  # not depend on it, and it takes about 40 s less on 2 CPUs. Built in the background above.
  echo "== portable build (-Dnative=false, compile only) =="
  if [ "$(cat "$log/portable.rc" 2>/dev/null)" = 0 ]; then
    tail -n 3 "$log/portable.txt"
    passed=$((passed + 1))
  else
    tail -n 40 "$log/portable.txt" 2>/dev/null
    failed=$((failed + 1))
  fi
fi

echo "all: $passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
