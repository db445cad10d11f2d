#!/usr/bin/env bash
# Fails (exit 1, naming file:line) when a lower layer includes a header of a layer above it:
# nothing under ports/, tables/ or dataplane/ (sources in dpdk_switch/, headers in
# include/dpdk_switch/) may include control/, tables/ includes neither dataplane/ nor ports/,
# and cni/ (the DPDK-free CNI plugin) none of dpdk/, ports/, dataplane/, tables/. Run by the
# build (the default target 'check_layers') and by `meson test --suite layers`.
#
#   scripts/check_layers.sh [--stamp FILE]   (--stamp: touch FILE on success, for the build)
set -uo pipefail
stamp=
[ "${1:-}" = --stamp ] && stamp=$(realpath -m "$2")
cd "$(dirname "$0")/.." || exit 1

# layer: the layer directories its files may not include.
declare -A forbidden=(
  [ports]='control'
  [dataplane]='control'
  [tables]='control dataplane ports'
  # The CNI plugin is DPDK-free: of the switch it uses the ctl client alone.
  [cni]='dpdk ports dataplane tables'
)

# Known exceptions, each "file: included header". None today; keep it that way.
allowed=()

bad=0
for layer in "${!forbidden[@]}"; do
  for dir in "dpdk_switch/$layer" "include/dpdk_switch/$layer"; do
    [ -d "$dir" ] || continue
    for above in ${forbidden[$layer]}; do
      # Any include naming the layer's directory: "dpdk_switch/control/x.h", "../control/x.h",
      # "control/x.h", in quotes or angle brackets.
      while IFS=: read -r file line text; do
        header=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]([^>"]*)[>"].*/\1/' <<<"$text")
        ok=0
        for a in "${allowed[@]}"; do
          [ "$a" = "$file: $header" ] && ok=1
        done
        [ "$ok" = 1 ] && continue
        echo "$file:$line: $layer/ must not include $above/: $header" >&2
        bad=1
      done < <(grep -rnE "^[[:space:]]*#[[:space:]]*include[[:space:]]*[<\"]([^>\"]*/)?$above/" "$dir" \
                 --include='*.h' --include='*.cc' --include='*.hpp' --include='*.cpp' || true)
    done
  done
done

if [ "$bad" != 0 ]; then
  echo "check_layers: FAILED: a lower layer includes an upper one (see above; the layers are in dpdk_switch/meson.build)" >&2
  exit 1
fi
[ -n "$stamp" ] && touch "$stamp"
echo "check_layers: ok"
