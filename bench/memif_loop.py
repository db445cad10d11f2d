#!/usr/bin/python3
"""memif loop throughput, for one build: the switch with two memif server ports a and b, and one
dpdk-testpmd (mac forwarding, two net_memif clients, lcores on CPU 0) that puts 16 bursts of 64-byte
frames per port into the loop (`start tx_first 16`):

  testpmd p0 -> a -> switch (worker, CPU 1) -> b -> p1 -> testpmd (mac) -> b -> switch -> a -> p0 ...

The figure is the switch's RX rate (a + b) over a 10 s window after 3 s of warm-up. As root, with
dpdk-testpmd installed (Debian package dpdk). Run two builds alternately in one sitting:

  bench/memif_loop.py <build dir> <tag>      # e.g. build main; the tag names files and prefixes
  bench/memif_loop.py <build dir> <tag> net_memif   # the same ports as DPDK's net_memif (dpdk kind)

The rate follows where the host placed the guest's two vCPUs (every frame moves cache lines
between them): three times in the window, <build>/bench/dsw_cpu_pair_probe (SCHED_FIFO, a few
ms) measures how long a line takes from CPU 0 to CPU 1, and the run is labelled `near` (every
probe under 120 ns: one L3), `far` (every one over 150 ns) or `mixed` (the host moved a vCPU
during the window). Compare builds within one label (BENCHMARKS.md, mprf).
"""
import json
import subprocess
import sys
import time
from pathlib import Path

build, tag = Path(sys.argv[1]), sys.argv[2]
pmd = len(sys.argv) > 3 and sys.argv[3] == "net_memif"
WINDOW = 10
d = Path("/run/dpdk_switch")
ctl_sock = d / f"dswml{tag}.sock"
sa, sb = d / f"dswml{tag}-a.sock", d / f"dswml{tag}-b.sock"
cfg = {"eal": {"lcores": "0-1", "no_huge": True, "memory_mb": 512, "file_prefix": f"dswml{tag}"},
       "switch": {"ctl_socket": str(ctl_sock)},
       "ports": [{"name": "a", "type": "memif", "socket": str(sa), "id": 0},
                 {"name": "b", "type": "memif", "socket": str(sb), "id": 0}]}
if pmd:   # the switch's worker and build, DPDK 22.11's memif driver instead of ours
    cfg["ports"] = [{"name": n, "type": "dpdk",
                     "devargs": f"net_memif{i},role=server,id=0,socket={s},socket-abstract=no"}
                    for i, (n, s) in enumerate((("a", sa), ("b", sb)))]
cp = Path(f"/tmp/dswml{tag}.yaml")
cp.write_text(json.dumps(cfg))
log = open(f"/tmp/dswml{tag}-switch.log", "w")
sw = subprocess.Popen([str(build / "dpdk_switch/dpdk_switch"), "--", "--config", str(cp)], stdout=log,
                      stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


def stats():
    out = subprocess.run([str(build / "dpdk_switch/dpdk_switch_ctl"), "--socket", str(ctl_sock), "--json", "show",
                          "port", "stats", "all"], capture_output=True, text=True, check=True).stdout
    return {p["name"]: p for p in json.loads(out)["ports"]}


for _ in range(100):
    if ctl_sock.exists():
        break
    time.sleep(0.1)
time.sleep(0.5)
tp = subprocess.Popen(["dpdk-testpmd", "--lcores", "0@0,1@0", "--no-huge", "-m", "512", "--no-pci",
                       "--file-prefix", f"dswmlt{tag}",
                       "--vdev", f"net_memif0,role=client,id=0,socket={sa},socket-abstract=no,mac=02:00:00:00:aa:00",
                       "--vdev", f"net_memif1,role=client,id=0,socket={sb},socket-abstract=no,mac=02:00:00:00:aa:01",
                       "--", "-i", "--forward-mode=mac", "--eth-peer=0,02:00:00:00:aa:01",
                       "--eth-peer=1,02:00:00:00:aa:00", "--nb-cores=1", "--total-num-mbufs=16384"],
                      stdin=subprocess.PIPE, stdout=open(f"/tmp/dswml{tag}-testpmd.log", "w"),
                      stderr=subprocess.STDOUT, text=True)
time.sleep(3)
tp.stdin.write("start tx_first 16\n")
tp.stdin.flush()
time.sleep(3)


def pair_ns():
    r = subprocess.run(["timeout", "5", "chrt", "-f", "50", str(build / "bench/dsw_cpu_pair_probe")],
                       capture_output=True, text=True)
    return json.loads(r.stdout)["one_way_ns"] if r.returncode == 0 else float("nan")


def lcore_busy():
    out = subprocess.run([str(build / "dpdk_switch/dpdk_switch_ctl"), "--socket", str(ctl_sock), "--json", "show",
                          "lcores"], capture_output=True, text=True, check=True).stdout
    w = json.loads(out)["lcores"][0]
    return w["busy_cycles"], w["idle_cycles"]


s0, b0, t0 = stats(), lcore_busy(), time.monotonic()
probes = []
for _ in range(3):
    time.sleep(WINDOW / 4)
    probes.append(pair_ns())
time.sleep(WINDOW / 4)
s1, b1, t1 = stats(), lcore_busy(), time.monotonic()
rx = sum(s1[p]["rx_packets"] - s0[p]["rx_packets"] for p in "ab")
tx = sum(s1[p]["tx_packets"] - s0[p]["tx_packets"] for p in "ab")
drops = {p: {k: v for k, v in s1[p]["drops"].items() if v} for p in "ab"}
busy, idle = b1[0] - b0[0], b1[1] - b0[1]
place = "near" if all(p < 120 for p in probes) else "far" if all(p > 150 for p in probes) else "mixed"
print(f"{tag}: rx {rx / (t1 - t0) / 1e6:.3f} Mpps, tx {tx / (t1 - t0) / 1e6:.3f} Mpps, drops {drops}, "
      f"worker busy {100 * busy / max(busy + idle, 1):.0f}% {busy / max(rx, 1):.0f} cycles/frame, "
      f"CPU 0->1 line {' '.join(f'{p:.0f}' for p in probes)} ns: {place}")
tp.stdin.write("stop\nquit\n")
tp.stdin.flush()
try:
    tp.wait(timeout=10)
except subprocess.TimeoutExpired:
    tp.kill()
sw.terminate()
sw.wait(timeout=10)
for p in (sa, sb, ctl_sock):
    p.unlink(missing_ok=True)
subprocess.run(["rm", "-rf", f"/var/run/dpdk/dswml{tag}", f"/var/run/dpdk/dswmlt{tag}"])
