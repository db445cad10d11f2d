#!/usr/bin/env bash
# Builds the libFuzzer target for the frame parser, the ARP/ND proxies and the offload path
# (virtio-net header, a vtap's UDP-tunnel header and VXLAN decapsulation, checksum/GSO
# fallback; tests/fuzz/) with clang, ASan and UBSan into ./build-fuzz, and runs it for a bounded
# time from the seed corpus.
# Skips (exit 0) when clang or its libFuzzer runtime is missing. Exits non-zero on a crash, a
# failed check, a leak or a timeout, and names the input that reproduces it. Last line:
#   "fuzz: N runs in S s (E exec/s, cov C), 0 crashes"
#
#   scripts/fuzz.sh [SECONDS]        fuzz for SECONDS (default 20)
#   scripts/fuzz.sh FILE...          run the target once on each FILE (reproduce a crash)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

out=build-fuzz
bin=$out/frame_fuzzer

cxx=${FUZZ_CXX:-}
if [ -z "$cxx" ]; then
  for c in clang++ clang++-14 clang++-15 clang++-16; do
    command -v "$c" >/dev/null && { cxx=$c; break; }
  done
fi
mkdir -p "$out"
probe_ok() {
  printf '%s\n' 'extern "C" int LLVMFuzzerTestOneInput(const unsigned char *, unsigned long) { return 0; }' \
    >"$out/probe.cc"
  "$cxx" -fsanitize=fuzzer,address,undefined "$out/probe.cc" -o "$out/probe" >/dev/null 2>&1
}
if [ -z "$cxx" ] || ! probe_ok; then
  echo "fuzz: clang/libFuzzer not available, skipped"
  exit 0
fi

# ---- build: the project sources the data plane's frame path needs, plus the target ----
sources=(
  dpdk_switch/log.cc
  dpdk_switch/dpdk/eal.cc
  dpdk_switch/tables/mac_table.cc
  dpdk_switch/tables/arp_table.cc
  dpdk_switch/dataplane/switch_path.cc
  dpdk_switch/dataplane/arp_proxy.cc
  dpdk_switch/dataplane/nd_proxy.cc
  dpdk_switch/dataplane/vnet_hdr.cc
  dpdk_switch/dataplane/offload.cc
  dpdk_switch/dataplane/offload_tunnel.cc
  dpdk_switch/dataplane/vnet_tunnel.cc
  dpdk_switch/dataplane/vxlan_decap.cc
  tests/fuzz/vnet_fuzz.cc
  tests/fuzz/tunnel_fuzz.cc
  tests/fuzz/frame_fuzzer.cc
)
# libdpdk's cflags carry the distribution's -march=corei7: build for this host instead (the
# MAC table's AVX2 path is the one the switch runs), and take DPDK's headers as system headers.
dpdk_cflags=()
for a in $(pkg-config --cflags libdpdk); do
  case "$a" in
    -march=*) ;;
    -I*) dpdk_cflags+=(-isystem "${a#-I}") ;;
    *) dpdk_cflags+=("$a") ;;
  esac
done
# shellcheck disable=SC2054  # the commas belong to the flag
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
cflags=(-std=c++20 -O1 -g -fno-omit-frame-pointer -march=native -Wall -Wno-unused-parameter
        "${sanitize[@]}" -Iinclude "${dpdk_cflags[@]}" -DALLOW_EXPERIMENTAL_API -DRTE_LOG_DEFAULT_LOGTYPE=dsw)

start=$(date +%s)
built=0 objs=() pids=()
for src in "${sources[@]}"; do
  [ -f "$src" ] || continue
  obj=$out/obj/${src//\//_}.o
  objs+=("$obj")
  # Rebuild when the source, any header, or this script is newer than the object.
  if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$0" ] &&
     [ -z "$(find include tests/fuzz -name '*.h' -newer "$obj" | head -1)" ]; then
    continue
  fi
  mkdir -p "$out/obj"
  "$cxx" "${cflags[@]}" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log" &
  pids+=($!)
  built=1
done
for p in "${pids[@]}"; do
  wait "$p" || {
    cat "$out"/obj/*.log >&2
    echo "fuzz: build failed"
    exit 1
  }
done
if [ "$built" = 1 ] || [ ! -x "$bin" ]; then
  # shellcheck disable=SC2046  # pkg-config's word list is meant to split
  "$cxx" "${sanitize[@]}" -fsanitize=fuzzer "${objs[@]}" -o "$bin" $(pkg-config --libs libdpdk) || {
    echo "fuzz: link failed"
    exit 1
  }
  echo "fuzz: built $bin in $(( $(date +%s) - start )) s"
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# EAL leaves its runtime directory (named after the --file-prefix, dswfuzz<pid>) behind.
run() {
  "$bin" "$@" &
  local pid=$! rc
  wait "$pid"
  rc=$?
  rm -rf "/var/run/dpdk/dswfuzz$pid" "/run/user/$(id -u)/dpdk/dswfuzz$pid" 2>/dev/null
  return "$rc"
}

# ---- reproduce: run each given input once ----
if [ $# -gt 0 ] && [ -f "$1" ]; then
  run "$@"
  rc=$?
  [ "$rc" = 0 ] && echo "fuzz: $# inputs, 0 crashes" || echo "fuzz: crash reproduced (exit $rc)"
  exit "$rc"
fi

seconds=${1:-20}
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS | FILE...]" >&2; exit 2 ;; esac

# Fuzz into a fresh corpus directory; the seeds are read, never written.
rm -rf "$out/corpus"
mkdir -p "$out/corpus" "$out/crashes"
log=$out/fuzz.log
t0=$(date +%s)
touch "$log.start"
run -max_total_time="$seconds" -timeout=5 -rss_limit_mb=4096 -max_len=4096 -print_final_stats=1 \
    -dict=tests/fuzz/frame.dict -artifact_prefix="$out/crashes/" "$out/corpus" tests/fuzz/seeds >"$log" 2>&1
rc=$?
took=$(( $(date +%s) - t0 ))

runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
runs=${runs:-0}
cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
summary="$runs runs in $took s ($(( runs / (took > 0 ? took : 1) )) exec/s, cov ${cov:-0})"
if [ "$rc" = 0 ]; then
  echo "fuzz: $summary, 0 crashes"
  exit 0
fi
tail -n 60 "$log"
artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
[ -n "$artifact" ] || artifact=$(find "$out/crashes" -type f -newer "$log.start" 2>/dev/null | head -1)
echo "fuzz: full log in $log; reproduce with: scripts/fuzz.sh ${artifact:-<no input saved>}"
echo "fuzz: $summary, 1 crash (exit $rc): ${artifact:-no input saved}"
exit 1
