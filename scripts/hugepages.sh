#!/usr/bin/env bash
# Reserves 2 MiB hugepages if the kernel lets us (prints "huge"), else prints "nohuge": the
# switch and tests then run with EAL's --no-huge fallback, which works for every port type
# but af_xdp and secondary processes (dpdk-dumpcap).
set -u
want=${1:-1024}
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
if [ -w "$nr" ]; then
  cur=$(cat "$nr")
  [ "$cur" -lt "$want" ] && echo "$want" > "$nr" 2>/dev/null
  mountpoint -q /dev/hugepages 2>/dev/null || { mkdir -p /dev/hugepages; mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; }
  if [ "$(cat "$nr")" -gt 0 ] && mountpoint -q /dev/hugepages; then echo huge; exit 0; fi
fi
echo nohuge
