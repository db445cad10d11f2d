#!/bin/bash
# Instructions per packet of the worker's path, counted under callgrind: the Worker rows of
# bench/vxlan_path_bench.cc (plain switching, VXLAN decapsulation, encapsulation, 2048 MACs),
# each function's share (inclusive) per packet, and each VXLAN row's instructions over plain.
# The floor rows of bench/vxlan_floor_bench.cc (BM_VxlanFloor_2048Macs_*: Empty, Encap,
# EncapNoPrefetch, Decap) are counted too when named in --rows: what they time per burst.
#
# Counts, not times: the same binary gives the same figures on a busy host or a quiet one, so a
# change to the path can be weighed while other work runs (cycles still come from
# dsw_bench_switch_path on a quiet host; the counts say where they go).
#
#   scripts/bench_instructions.sh                      # build/bench/dsw_bench_switch_path, all three rows
#   scripts/bench_instructions.sh --bin /tmp/old_bench # another build's binary
#   scripts/bench_instructions.sh --rows "Plain VxlanDecap" --top 20
#   scripts/bench_instructions.sh --rows "Plain VxlanDecap1Vtep"   # one VTEP's bursts
#   scripts/bench_instructions.sh --rows "Empty Encap Decap"       # the floor rows
set -euo pipefail

bin="$(cd "$(dirname "$0")/.." && pwd)/build/bench/dsw_bench_switch_path"
rows="Plain VxlanDecap VxlanEncap"
top=12
while [ $# -gt 0 ]; do
    case "$1" in
    --bin) bin="$2"; shift 2 ;;
    --rows) rows="$2"; shift 2 ;;
    --top) top="$2"; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_instructions.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ -x "$bin" ] || { echo "bench_instructions.sh: no benchmark binary at $bin (build with scripts/build.sh)" >&2; exit 2; }
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
    echo "bench_instructions.sh: installing valgrind" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q valgrind >/dev/null
fi

work=$(mktemp -d /tmp/dsw-instr.XXXXXX)
trap 'rm -rf "$work"' EXIT
declare -A per_packet
for row in $rows; do
    out="$work/$row.cg"
    # Only WorkerPoll::poll and what it calls is counted (a floor row's burst function, under
    # dsw::vxfloor::): every timed call handles one burst of 32 frames (bench/vxlan_path_bench.cc,
    # bench/vxlan_floor_bench.cc), so a call's instructions / 32 are a packet's. The
    # 4 KiB-page EAL: valgrind cannot map the huge-page one.
    if ! DSW_BENCH_NO_HUGE=1 valgrind --tool=callgrind --toggle-collect='dsw::WorkerPoll::poll*' \
        --toggle-collect='*dsw::vxfloor::*_burst*' \
        --callgrind-out-file="$out" "$bin" --benchmark_filter="^BM_(Worker|VxlanFloor)_2048Macs_${row}\$" \
        --benchmark_min_time=0.01 >"$work/$row.log" 2>&1; then
        echo "bench_instructions.sh: row $row failed under valgrind:" >&2
        tail -5 "$work/$row.log" >&2
        exit 1
    fi
    grep -qE "^BM_(Worker|VxlanFloor)_2048Macs_${row} +[0-9]" "$work/$row.log" ||
        { echo "bench_instructions.sh: no row named $row (see bench/vxlan_path_bench.cc)" >&2; exit 2; }
    # The calls of poll (or the floor's function) from the bench's loop: the first caller line
    # of the caller tree.
    polls=$(callgrind_annotate --tree=caller "$out" 2>/dev/null | grep -m1 -E '< .*(run_vxlan|run_floor|FloorFixture::run).*\([0-9,]+x\)' |
        sed -E 's/.*\(([0-9,]+)x\).*/\1/' | tr -d , || true)
    [ -n "$polls" ] && [ "$polls" -gt 0 ] ||
        { echo "bench_instructions.sh: row $row: no poll was counted" >&2; exit 1; }
    echo "== $row: $polls polls of 32 frames; instructions per packet (inclusive), by function"
    # The frames above poll (main, the benchmark library) count the same as poll: left out.
    callgrind_annotate --inclusive=yes "$out" 2>/dev/null |
        awk -v polls="$polls" -v top="$top" '
            /^ *[0-9,]+ +\(/ && /dsw::/ {
                n = $1; gsub(",", "", n)
                name = $0; sub(/^[^?]*\?\?\?:/, "", name); sub(/ \[.*$/, "", name)
                if (name ~ /run_vxlan|run_floor|RunSpecified|BM_Worker|BM_VxlanFloor|^dsw::$/) next
                if (shown++ < top) printf "  %7.1f  %s\n", n / (polls * 32), name
            }'
    total=$(callgrind_annotate "$out" 2>/dev/null | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1; exit}')
    per_packet[$row]=$(awk -v t="$total" -v p="$polls" 'BEGIN {printf "%.1f", t / (p * 32)}')
    echo "  total ${per_packet[$row]} instructions/packet"
done
if [ -n "${per_packet[Plain]:-}" ] && [ -n "${per_packet[VxlanDecap]:-}${per_packet[VxlanEncap]:-}" ]; then
    echo "== over plain (${per_packet[Plain]} instructions/packet)"
    sum=0
    for row in VxlanDecap VxlanEncap; do
        [ -n "${per_packet[$row]:-}" ] || continue
        d=$(awk -v a="${per_packet[$row]}" -v b="${per_packet[Plain]}" 'BEGIN {printf "%.1f", a - b}')
        sum=$(awk -v s="$sum" -v d="$d" 'BEGIN {printf "%.1f", s + d}')
        echo "  $row - Plain: $d"
    done
    echo "  sum: $sum instructions/packet"
    # Decapsulation of one VTEP's bursts (the two-host case): shown, not in issue 30's sum.
    if [ -n "${per_packet[VxlanDecap1Vtep]:-}" ]; then
        echo "  VxlanDecap1Vtep - Plain: $(awk -v a="${per_packet[VxlanDecap1Vtep]}" -v b="${per_packet[Plain]}" 'BEGIN {printf "%.1f", a - b}')"
    fi
fi
