"""bench_vhost: a DPDK app on vhost-user through dpdk_switch, against dpdk-testpmd io on the same vhost ports,
in one run (issue 5's vhost target; see bench/README.md).

       +------------- the peer: dpdk-testpmd io, net_virtio_user0/1 (CPU 0) -------------+
       | port 0 (02:..:01, sends to 02:..:02)            port 1 (02:..:02, sends to 02:..:01)
       += vhost-user = vh0 +   the middle, lcore 1 (CPU 1)  + vh1 = vhost-user =+
                           +--------------------------------+
  middles   testpmd-io  dpdk-testpmd --forward-mode=io, net_vhost0/1 (server)
            switch      dpdk_switch, two vhost ports (server): the frames are known unicast
                        (each stream's destination is the other stream's source)
  traffic   the peer starts with `start tx_first 8` (8 bursts of 64 B frames per port) and then
            forwards in io mode what it receives on one port out of the other, so the frames
            circulate peer -> middle -> peer; the rate is that of the slower forwarder, and the
            middle (the vhost side, which copies every frame into or out of the peer's memory)
            is the slower one
  memory    2 MiB hugepages when scripts/hugepages.sh can reserve them (the middle --in-memory,
            the peer --single-file-segments, as virtio-user needs), else --no-huge everywhere
            (vhost-user <-> virtio-user works so too)
  measure   the peer's Rx-pps, both ports, over a WINDOW-second window after WARMUP seconds
            (two `show port stats all`: testpmd times the interval itself)

Why one peer and not issue 5's txonly peer -> middle -> rxonly peer: with 2 CPUs the two peers
must share CPU 0, and the rxonly one, scheduled a few ms at a time, received 0.03 Mpps of the
9 Mpps sent (measured); that measures the scheduler, not the middle.

Runs are interleaved (run 1 of both middles, then run 2, ...); the table gives medians and the
ratio switch / testpmd-io. Raw runs: RESULTS/runs.json; logs: RESULTS/logs/.
env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd)
"""
import argparse
import contextlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from . import env
from .common import Fatal, apt_install, hugepages, log, median, ratio, publish_part, remove_eal_dirs, stamp, write_text
from .forwarders import EAL_CORES, DpdkSwitch, Testpmd, pps_from_testpmd
from .quiet import Quiet, host_contended_lines

MAC0, MAC1 = "02:00:00:00:00:01", "02:00:00:00:00:02"
MID_PREFIX, PEER_PREFIX = "dswbv_mid", "dswbv_peer"
MIDDLES = ("testpmd-io", "switch")
LABELS = {"testpmd-io": "dpdk-testpmd --forward-mode=io", "switch": "dpdk_switch (known unicast)"}


def whole(what, minimum):
    def parse(text):
        if not text.isdigit() or int(text) < minimum:
            raise argparse.ArgumentTypeError("-n/-w/-W want whole numbers")
        return int(text)
    return parse


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench_vhost.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", dest="runs", type=whole("-n", 1), default=3)
    ap.add_argument("-w", dest="warmup", type=whole("-w", 0), default=5)
    ap.add_argument("-W", dest="window", type=whole("-W", 1), default=10)
    ap.add_argument("-o", dest="results")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--only", choices=MIDDLES)
    a = ap.parse_args(argv)
    a.middles = [a.only] if a.only else list(MIDDLES)
    return a


def summarize(recs, runs, warmup, window, mem):
    """-> (runs.json's object, summary.txt's text)"""
    medians = {}
    for mid in MIDDLES:
        rs = [r for r in recs if r["middle"] == mid]
        medians[mid] = dict(rx_pps=median([r.get("rx_pps") for r in rs]), tx_pps=median([r.get("tx_pps") for r in rs]),
                            runs_rx_pps=[r.get("rx_pps") for r in rs],
                            errors=sorted({r["error"] for r in rs if r.get("error")}))
    r = ratio(medians["switch"]["rx_pps"], medians["testpmd-io"]["rx_pps"])
    f = lambda x: "-" if x is None else "%.2f" % (x / 1e6)
    lines = ["vhost-user: testpmd io peer (2 virtio-user ports) <-> middle, 64 B frames circulating, median of %s run(s)"
             % runs,
             "the peer's Rx-pps (both ports) over %s s after %s s; the peer on CPU 0, the middle on CPU 1; memory: %s"
             % (window, warmup, "2 MiB hugepages" if mem == "huge" else "--no-huge"), "",
             "%-34s %10s %10s   %s" % ("middle", "rx Mpps", "tx Mpps", "rx Mpps of the runs")]
    for mid, m in medians.items():
        lines.append("%-34s %10s %10s   %s%s" % (LABELS[mid], f(m["rx_pps"]), f(m["tx_pps"]),
                     " ".join(f(v) for v in m["runs_rx_pps"]), ("  (" + "; ".join(m["errors"]) + ")") if m["errors"] else ""))
    lines += ["", "dpdk_switch / testpmd io: %s   (target issue 5: >= 0.80: %s)" % (
        "-" if r is None else "%.3f" % r, "-" if r is None else ("met" if r >= 0.8 else "MISSED"))]
    lines += host_contended_lines(recs, lambda x: "%s run %s" % (x["middle"], x["run"]))
    return dict(medians=medians, ratio=r, memory=mem, runs=recs), "\n".join(lines) + "\n"


class VhostBench:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, Path(tmp)
        self.quiet = Quiet(a.force, 85)
        self.results = Path(a.results or env.RESULTS_BASE / ("vhost-" + stamp()))
        self.logdir = self.results / "logs"
        self.raw = self.results / "runs.jsonl"
        self.recs = []
        mem = hugepages()
        self.mem = mem
        if mem == "huge":
            self.mid_mem, self.peer_mem = ["--in-memory", "-m", "1024"], ["--single-file-segments", "-m", "512"]
        else:
            self.mid_mem, self.peer_mem = ["--no-huge", "-m", "1024"], ["--no-huge", "-m", "512"]

    def start_middle(self, mid, name, stack):
        """The middle, listening on both vhost sockets; None if it did not come up."""
        logf = self.logdir / (name + ".mid.log")
        socks = (self.tmp / "vh0.sock", self.tmp / "vh1.sock")
        if mid == "testpmd-io":
            m = stack.enter_context(Testpmd(
                EAL_CORES + self.mid_mem + ["--file-prefix", MID_PREFIX, "--vdev",
                                            "net_vhost0,iface=%s,queues=1" % socks[0],
                                            "--vdev", "net_vhost1,iface=%s,queues=1" % socks[1]],
                ["-i", "--nb-cores=1", "--forward-mode=io", "--auto-start"], logf))
            return m if m.wait_log("testpmd>", 30) else None
        cfg = self.logdir / (name + ".yaml")
        write_text(cfg, "ports:\n  - {name: vh0, type: vhost, path: %s}\n  - {name: vh1, type: vhost, path: %s}\n"
                   % socks)
        m = stack.enter_context(DpdkSwitch(EAL_CORES + self.mid_mem, cfg, self.tmp / "ctl.sock", logf, MID_PREFIX))
        return m if m.wait_ready(probe=("show", "switch", "stats")) else None

    def measure(self, mid, run):
        name = "%s-%s" % (mid, run)
        err = rx = tx = stats = None
        self.quiet.wait()
        peer_log = self.logdir / (name + ".peer.log")
        with contextlib.ExitStack() as stack:
            stack.callback(self.clean)
            middle = self.start_middle(mid, name, stack)
            if middle is None:
                err = "middle did not start (logs/%s.mid.log)" % name
            else:
                peer = stack.enter_context(Testpmd(
                    ["--lcores", "0@0,1@0", "--no-pci"] + self.peer_mem + [
                        "--file-prefix", PEER_PREFIX,
                        "--vdev", "net_virtio_user0,path=%s,queues=1,mac=%s" % (self.tmp / "vh0.sock", MAC0),
                        "--vdev", "net_virtio_user1,path=%s,queues=1,mac=%s" % (self.tmp / "vh1.sock", MAC1)],
                    ["-i", "--total-num-mbufs=16384", "--nb-cores=1", "--forward-mode=io", "--txpkts=64",
                     "--eth-peer=0,%s" % MAC1, "--eth-peer=1,%s" % MAC0], peer_log))
                if not peer.wait_log("testpmd>", 30):
                    err = "the peer did not start (logs/%s.peer.log)" % name
                else:
                    time.sleep(1)
                    peer.send("start tx_first 8")
                    time.sleep(self.a.warmup)
                    peer.send("show port stats all")
                    with self.quiet.sample(self.a.window):
                        time.sleep(self.a.window)
                    peer.send("show port stats all")
                    time.sleep(1)
                    text = peer_log.read_text(errors="replace")
                    rx, tx = pps_from_testpmd(text, "Rx-pps"), pps_from_testpmd(text, "Tx-pps")
                    if mid == "switch":
                        stats = middle.ctl("show", "switch", "stats")
                    if rx is None:
                        err = "no Rx-pps from the peer (logs/%s.peer.log)" % name
        rec = dict(middle=mid, run=run, rx_pps=rx, tx_pps=tx)
        if err:
            rec["error"] = err
        if stats is not None:
            rec["switch_stats"] = stats
        rec["host_probe"] = self.quiet.probes()
        self.recs.append(rec)
        with open(self.raw, "a") as f:
            f.write(json.dumps(rec) + "\n")
        flooded = ""
        if stats is not None:
            flooded = " (switch: flooded %s, learned %s)" % (stats.get("flooded"), stats.get("learned"))
        log("  run %s %-10s %s" % (run, mid, err or "the peer received %s pps (sent %s pps)%s"
                                   % (rx, "?" if tx is None else tx, flooded)))

    def clean(self):
        for s in self.tmp.glob("*.sock"):
            s.unlink(missing_ok=True)
        remove_eal_dirs(MID_PREFIX, PEER_PREFIX)


def run(argv):
    a = parse_args(argv)
    if os.geteuid() != 0:
        raise Fatal("needs root")
    if not shutil.which(env.TESTPMD) and not a.no_install:
        apt_install(["dpdk"], "/dev/null")
    if not shutil.which(env.TESTPMD):
        raise Fatal("%s not found (apt install dpdk)" % env.TESTPMD)
    if not (os.access(env.SWITCH_BIN, os.X_OK) and os.access(env.CTL_BIN, os.X_OK)):
        raise Fatal("%s not built (scripts/build.sh)" % env.SWITCH_BIN)
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="dsw_bench_vhost.")
        stack.callback(shutil.rmtree, tmp, True)
        b = VhostBench(a, tmp)
        stack.callback(b.clean)
        try:
            b.logdir.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise Fatal("cannot create %s" % b.results)
        b.raw.write_text("")
        log("bench_vhost: %d run(s) of: %s; memory: %s; ~%d min; results in %s" % (
            a.runs, " ".join(a.middles), b.mem, a.runs * 2 * (a.warmup + a.window + 8) // 60 + 1, b.results))
        for r in range(1, a.runs + 1):
            for mid in a.middles:
                b.measure(mid, r)
        obj, text = summarize(b.recs, a.runs, a.warmup, a.window, b.mem)
        publish_part(b.results, b.raw, obj, text)
    return 0
