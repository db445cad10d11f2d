#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ with clang, ASan and UBSan into ./build-fuzz, and
# runs each for a bounded time from its seed corpus:
#   frame   the frame parser, the ARP/ND proxies and the offload path (virtio-net header, a
#           vtap's UDP-tunnel header and VXLAN decapsulation, checksum/GSO fallback)
#   config  the config loader (parse_config: eal:, switch:, ports, memif, vxlan:), and that what
#           it accepts reads back the same after `save config`
#   cli     one CLI line after another through run_command on a started VTEP switch
#   memif   the memif handshake (MemifSession) of either role, fed messages and fds on a socketpair
#   memif_data  a connected memif queue of either role over real memfd regions, the input a hostile
#           peer writing ring indexes and descriptors between the switch's rx() and tx() calls
# Skips (exit 0) when clang or its libFuzzer runtime is missing. Exits non-zero on a crash, a
# failed check, a leak or a timeout, and names the input that reproduces it. Last line (totals
# over the targets; cov is the sum of each target's edges):
#   "fuzz: N runs in S s (E exec/s, cov C), 0 crashes"
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]  fuzz for SECONDS in all (default 20), split evenly
#                                          across the targets (default all)
#   FUZZ_LIB_OPT=-O1 scripts/fuzz.sh 600 cli   a long campaign: the control plane optimised too
#   scripts/fuzz.sh build                  build every target, run none (a later run reuses them)
#   scripts/fuzz.sh [TARGET] FILE...       run a target once on each FILE (reproduce a crash);
#                                          without TARGET, the one whose name starts the file's
#                                          name (crashes are saved as TARGET-crash-...), else frame
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

out=build-fuzz

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

# ---- build ----
# frame: the project sources the data plane's frame path needs, plus the target.
frame_sources=(
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
# The control-plane targets link the whole switch (everything but the two mains) as an archive,
# so each takes only the objects it reaches.
mapfile -t lib_sources < <(find dpdk_switch -name '*.cc' ! -name main.cc ! -name ctl_main.cc ! -path '*/cni/*' | sort)
all_targets=(frame config cli memif memif_data)

# libdpdk's cflags carry the distribution's -march=corei7: build for this host instead (the
# MAC table's AVX2 path is the one the switch runs), and take DPDK's headers as system headers.
dpdk_cflags=()
for a in $(pkg-config --cflags libdpdk yaml-cpp); do
  case "$a" in
    -march=*) ;;
    -I*) dpdk_cflags+=(-isystem "${a#-I}") ;;
    *) dpdk_cflags+=("$a") ;;
  esac
done
# command_line.cc's --version: meson writes dsw_version.h; here it comes from meson.build too.
mkdir -p "$out/gen"
version=$(sed -n "s/^ *version: *'\([^']*\)'.*/\1/p" meson.build | head -1)
printf '#define DSW_VERSION "%s"\n' "${version:-0}" >"$out/gen/dsw_version.h.new"
cmp -s "$out/gen/dsw_version.h.new" "$out/gen/dsw_version.h" || mv "$out/gen/dsw_version.h.new" "$out/gen/dsw_version.h"
# shellcheck disable=SC2054  # the commas belong to the flag
sanitize=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
cflags=(-std=c++20 -gline-tables-only -fno-omit-frame-pointer -march=native -Wall -Wno-unused-parameter
        "${sanitize[@]}" -Iinclude -I"$out/gen" "${dpdk_cflags[@]}" -DALLOW_EXPERIMENTAL_API -DRTE_LOG_DEFAULT_LOGTYPE=dsw)
# shellcheck disable=SC2046  # pkg-config's word list is meant to split
lib_links=($(pkg-config --libs libdpdk yaml-cpp libmicrohttpd numa) -lrte_net_vhost -lreadline -lpthread)

# The frame path is optimised (-O1: it is what the frame target spends its runs in); the rest of
# the switch, which only the control-plane targets reach, is compiled at FUZZ_LIB_OPT (-O0 unless
# set): about 40 s less to build on 2 CPUs, for a third of their runs a second. A long campaign
# on a control-plane target may want FUZZ_LIB_OPT=-O1.
lib_opt=${FUZZ_LIB_OPT:--O0}
opt_of() {   # SOURCE -> its -O flag
  case " ${frame_sources[*]} " in *" $1 "*) echo -O1 ;; *) echo "$lib_opt" ;; esac
}

start=$(date +%s)
jobs_max=$(nproc 2>/dev/null || echo 2)
objs_of() {   # SOURCE... -> their object paths
  local src
  for src in "$@"; do printf '%s\n' "$out/obj/${src//\//_}.o"; done
}
# Compiles each source whose object is older than it, any header, or this script; nproc at a time.
compile() {
  local src obj pids=() failed=0 p
  mkdir -p "$out/obj"
  for src in "$@"; do
    obj=$out/obj/${src//\//_}.o
    if [ -f "$obj" ] && [ "$obj" -nt "$src" ] && [ "$obj" -nt "$0" ] &&
       [ -z "$(find include tests/fuzz dpdk_switch -name '*.h' -newer "$obj" | head -1)" ]; then
      continue
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n || failed=1; done
    "$cxx" "${cflags[@]}" "$(opt_of "$src")" -fsanitize=fuzzer-no-link -c "$src" -o "$obj" 2>"$obj.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
  if [ "$failed" = 1 ]; then
    cat "$out"/obj/*.log >&2
    echo "fuzz: build failed"
    exit 1
  fi
}
# link TARGET OBJECT... (and the archive for a control-plane target), when any input is newer.
link() {
  local target=$1 bin=$out/${1}_fuzzer o newer=0
  shift
  for o in "$@"; do [ "$o" -nt "$bin" ] && newer=1; done
  [ -x "$bin" ] && [ "$newer" = 0 ] && return 0
  "$cxx" "${sanitize[@]}" -fsanitize=fuzzer "$@" -o "$bin" "${lib_links[@]}" || {
    echo "fuzz: link of $target failed"
    exit 1
  }
  echo "fuzz: built $bin in $(( $(date +%s) - start )) s"
}
build() {   # TARGET...
  local t need_lib=0
  for t in "$@"; do [ "$t" != frame ] && need_lib=1; done
  if [ "$need_lib" = 1 ]; then
    compile "${lib_sources[@]}"
    mapfile -t lib_objs < <(objs_of "${lib_sources[@]}")
    local lib=$out/libdsw_fuzz.a o stale=0
    for o in "${lib_objs[@]}"; do [ "$o" -nt "$lib" ] && stale=1; done
    if [ ! -f "$lib" ] || [ "$stale" = 1 ]; then
      rm -f "$lib"
      ar rcs "$lib" "${lib_objs[@]}" || { echo "fuzz: archive failed"; exit 1; }
    fi
  fi
  for t in "$@"; do
    if [ "$t" = frame ]; then
      compile "${frame_sources[@]}"
      mapfile -t objs < <(objs_of "${frame_sources[@]}")
      link frame "${objs[@]}"
    else
      compile "tests/fuzz/${t}_fuzzer.cc"
      link "$t" "$(objs_of "tests/fuzz/${t}_fuzzer.cc")" "$out/libdsw_fuzz.a"
    fi
  done
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# EAL leaves its runtime directory (named after the --file-prefix, dswfuzz<pid>) behind.
run() {   # TARGET ARG...
  "$out/${1}_fuzzer" "${@:2}" &
  local pid=$! rc
  wait "$pid"
  rc=$?
  rm -rf "/var/run/dpdk/dswfuzz$pid" "/run/user/$(id -u)/dpdk/dswfuzz$pid" 2>/dev/null
  return "$rc"
}
is_target() { case " ${all_targets[*]} " in *" $1 "*) return 0 ;; esac; return 1; }

# ---- reproduce: run each given input once ----
if [ $# -gt 0 ] && { [ -f "$1" ] || { is_target "$1" && [ $# -gt 1 ] && [ -f "$2" ]; }; }; then
  if is_target "$1"; then
    target=$1
    shift
  else
    target=frame
    for t in "${all_targets[@]}"; do
      case "$(basename "$1")" in "$t"-*) target=$t ;; esac
    done
  fi
  build "$target"
  run "$target" "$@"
  rc=$?
  [ "$rc" = 0 ] && echo "fuzz: $# inputs, 0 crashes" || echo "fuzz: crash reproduced (exit $rc)"
  exit "$rc"
fi

# ---- build only: scripts/test.sh builds the targets early, in the background ----
if [ "${1:-}" = build ]; then
  build "${all_targets[@]}"
  exit 0
fi

seconds=${1:-20}
case "$seconds" in ''|*[!0-9]*) echo "usage: $0 [SECONDS [TARGET...] | [TARGET] FILE...]" >&2; exit 2 ;; esac
shift $(( $# > 0 ? 1 : 0 ))
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  is_target "$t" || { echo "fuzz: no target '$t' (${all_targets[*]})" >&2; exit 2; }
done
build "${targets[@]}"

# Each target's share of the time (at least a second), its seeds and its dictionary.
share=$(( seconds / ${#targets[@]} ))
[ "$share" -gt 0 ] || share=1
seeds_of() { [ "$1" = frame ] && echo tests/fuzz/seeds || echo "tests/fuzz/${1}_seeds"; }
max_len_of() { case "$1" in cli) echo 12000 ;; *) echo 4096 ;; esac; }

mkdir -p "$out/crashes"
total_runs=0 total_cov=0 t0=$(date +%s)
for t in "${targets[@]}"; do
  # Fuzz into a fresh corpus directory; the seeds are read, never written.
  rm -rf "$out/corpus-$t"
  mkdir -p "$out/corpus-$t"
  log=$out/fuzz-$t.log
  t1=$(date +%s)
  touch "$log.start"
  run "$t" -max_total_time="$share" -timeout=5 -rss_limit_mb=4096 -max_len="$(max_len_of "$t")" -print_final_stats=1 \
      -dict="tests/fuzz/$t.dict" -artifact_prefix="$out/crashes/$t-" "$out/corpus-$t" "$(seeds_of "$t")" >"$log" 2>&1
  rc=$?
  took=$(( $(date +%s) - t1 ))
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  runs=${runs:-0}
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  cov=${cov:-0}
  total_runs=$(( total_runs + runs )) total_cov=$(( total_cov + cov ))
  echo "fuzz: $t: $runs runs in $took s ($(( runs / (took > 0 ? took : 1) )) exec/s, cov $cov)"
  if [ "$rc" != 0 ]; then
    tail -n 60 "$log"
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    [ -n "$artifact" ] || artifact=$(find "$out/crashes" -type f -newer "$log.start" 2>/dev/null | head -1)
    took=$(( $(date +%s) - t0 ))
    echo "fuzz: full log in $log; reproduce with: scripts/fuzz.sh $t ${artifact:-<no input saved>}"
    echo "fuzz: $total_runs runs in $took s ($(( total_runs / (took > 0 ? took : 1) )) exec/s, cov $total_cov), 1 crash in $t (exit $rc): ${artifact:-no input saved}"
    exit 1
  fi
done
took=$(( $(date +%s) - t0 ))
echo "fuzz: $total_runs runs in $took s ($(( total_runs / (took > 0 ? took : 1) )) exec/s, cov $total_cov), 0 crashes"
exit 0
