"""bench_containers: container-to-container traffic through dpdk_switch and its peers, all in one
run, on the same two containers (the method: bench/README.md).

  containers  netns dswb1 (172.18.0.2) and dswb2 (172.18.0.3); eth0 is a veth whose host end is
              dswbv1/dswbv2 (scripts/container.sh). Each path sets both eth0's offloads before it runs:
              "default" (as veth makes them and docker leaves them: checksum offload, TSO, GSO) or
              "tx off" (`ethtool -K eth0 tx off`: full checksums and no TSO/GSO, what af_packet and
              af_xdp need); the offl column of the table says which
  paths       bridge-default  the Linux bridge dswbbr0 over dswbv1/dswbv2, default offloads (docker0 as
                           it comes): the reference of issue 28's targets
              switch-veth  dpdk_switch, ports type veth (the virtio-net header), default offloads
              switch-vxlan two hosts: container 1 on dpdk_switch (host A, a VTEP; its underlay a veth
                           port), container 2 behind the kernel's vxlan and a Linux bridge in
                           namespace dswbhb (host B; bench/dswbench/kernel_vtep.py); default offloads;
                           TCP also from container 2 to 1 (the decapsulating direction: "rev")
              switch-vxlan-gro  the same with GRO on host B's underlay veth (ethtool -K gro on)
              switch-vxlan-vtap  switch-vxlan with the underlay a `vtap` port: a tap the switch makes,
                           in a Linux bridge with B's underlay veth; the tap takes UDP-tunnel GSO, so
                           container 1's 64 KB segments are encapsulated whole
              bridge       the Linux bridge, tx off (the reference of issue 6's targets)
              bridge-steered  the same with the containers' receive processing steered as for
                           the DPDK paths (below): shows what steering does to the bridge
              xdp-redirect the kernel's XDP redirect between the host ends, no lookup
                           (bench/xdp_redirect.c, built with clang): the least work a forwarder
                           taking frames off veth with XDP can do, a reference for the af_xdp paths
              testpmd-afp  dpdk-testpmd --forward-mode=io, net_af_packet on dswbv1/dswbv2
              switch-afp   dpdk_switch, ports type af_packet
              switch-afp-sleep  the same with switch.idle_sleep_us: 1000 (an idle worker backs off
                           1, 2, 4 ... 1000 us between empty polls): what the CPU saving costs
              switch-afp-hold   the same with switch.tx_flush_us: 50 (TX batches held up to 50 us,
                           as OVS's tx-flush-interval): what fewer TX syscalls buy and cost
              testpmd-xdp  dpdk-testpmd --forward-mode=io, net_af_xdp (hugepages)
              switch-xdp   dpdk_switch, ports type af_xdp (hugepages)
              ovs-afp      OVS-DPDK, netdev bridge, NORMAL, type=dpdk net_af_packet ports (a private
                           ovsdb + ovs-vswitchd in a temp dir; openvswitch-switch-dpdk is installed
                           with apt if missing, and the row is skipped with a note if that fails)
  per run     ping -c 20 -i 0.2 (avg RTT); iperf3 TCP 5 s (receiver Gbit/s, retransmits, and how many of
              them the receiver DSACKed: segments it already had, late rather than lost); on the
              default-offload paths also iperf3 -P 4 (4 streams, TCP 5 s); iperf3 UDP -b 0 -l 64
              5 s (received pps); for dpdk_switch also the CPU it uses while idle (2 s after start,
              before any traffic; cores = CPU-s / s). iperf3 server and client are pinned to CPU 0 (taskset -c 0); the
              DPDK forwarders busy-poll lcore 1 (main lcore 0).
  steering    on the af_packet paths (and bridge-steered) the kernel's receive processing of both
              containers' eth0 runs on the CPUs other than lcore 1 (rps_cpus; container.sh
              --rx-cpus): otherwise the forwarder's own TX syscall runs the receiving TCP stack,
              and for ACKs the sender's next segments, on the forwarding CPU (af_packet TCP 2.1 ->
              3.5 Gbit/s). The af_xdp paths, switch-veth and the plain bridges run without it, each
              at its best: steered, af_xdp TCP was no faster on this host and its RTT 40 us longer
              (BENCHMARKS.md); switch-veth's 4-stream TCP fell from 15.5-15.9 to 12.3-13.2 Gbit/s. --steer all: every path but the plain bridge (the method before
              2026-12-05); --steer none (or --no-steer): no path.

Runs are interleaved (run 1 of every path, then run 2, ...); the table gives medians and ratios.
Raw runs: RESULTS/runs.json; logs and iperf3 JSON: RESULTS/logs/.
env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd)
"""
import argparse
import contextlib
import json
import os
import shlex
import shutil
import tempfile
import time
from pathlib import Path

from . import env
from .common import Fatal, apt_install, hugepages, log, machine_meta, now_iso, publish_part, remove_eal_dirs, stamp
from .common import write_json, write_text
from .containers_summary import CONTENDED_SHARE, MAX_RETRIES, make_record, summarize
from .kernel_vtep import KernelVtepHost
from .forwarders import EAL_CORES, DpdkSwitch, LinuxBridge, OvsDpdk, Testpmd, XdpRedirect
from .netns import Bpffs, Containers, RxTimestamps, other_cpus_mask
from .procs import quiet_run
from .quiet import CpuWatch, Quiet, contended
from .traffic import iperf, ping, reachable

NS1, NS2, IF1, IF2, IP1, IP2, PLEN = "dswb1", "dswb2", "dswbv1", "dswbv2", "172.18.0.2", "172.18.0.3", 24
BR = "dswbbr0"          # the Linux bridge
OVS_BR = "dswbovs0"     # the OVS bridge (its LOCAL port is a tap of that name)
SW_PREFIX = "dswbc"     # EAL --file-prefix of the switch
TP_PREFIX = "dswbc_tp"  # ... and of testpmd
IPERF_PORT = 5211
FWD_CPU = 1             # the forwarding lcore's CPU; containers' receive processing is steered off it
MIN_IDLE = 85           # before a path starts, the CPUs must be this idle (%)

# Each path's definition: the offloads of both containers' eth0 ("default" or "tx off", above), and whether it
# runs the 4-stream TCP test too (iperf3 -P 4: issue 28's target compares the two default-offload paths).
PATHS = {
    "bridge-default": ("default", True),
    "switch-veth": ("default", True),
    "switch-vxlan": ("default", True),
    "switch-vxlan-gro": ("default", True),
    "switch-vxlan-vtap": ("default", True),
    "bridge": ("tx off", False),
    "bridge-steered": ("tx off", False),
    "xdp-redirect": ("tx off", False),
    "testpmd-afp": ("tx off", False),
    "switch-afp": ("tx off", False),
    "switch-afp-sleep": ("tx off", False),
    "switch-afp-hold": ("tx off", False),
    "testpmd-xdp": ("tx off", False),
    "switch-xdp": ("tx off", False),
    "ovs-afp": ("tx off", False),
}
ALL_PATHS = list(PATHS)
SWITCH_PATHS = ["switch-veth", "switch-vxlan", "switch-vxlan-gro", "switch-vxlan-vtap", "switch-afp", "switch-afp-sleep", "switch-afp-hold", "switch-xdp"]
GROUPS = {"all": ALL_PATHS, "switch": SWITCH_PATHS,
          "testpmd": ["testpmd-afp", "testpmd-xdp"],
          "afp": ["testpmd-afp", "switch-afp", "switch-afp-sleep", "switch-afp-hold", "ovs-afp"],
          "xdp": ["xdp-redirect", "testpmd-xdp", "switch-xdp"], "ovs": ["ovs-afp"],
          "bridge": ["bridge-default", "bridge", "bridge-steered"],
          "default": [p for p, (offl, _) in PATHS.items() if offl == "default"], "veth": ["switch-veth"],
          "vxlan": ["switch-veth", "switch-vxlan", "switch-vxlan-gro", "switch-vxlan-vtap"]}


def select_paths(only):
    want = set()
    for w in only.replace(",", " ").split():
        if w in GROUPS:
            want.update(GROUPS[w])
        elif w in ALL_PATHS:
            want.add(w)
        else:
            raise Fatal("--only: unknown path '%s' (paths: %s; groups: %s)"
                        % (w, " ".join(ALL_PATHS), " ".join(g for g in GROUPS if g != "all")))
    paths = [p for p in ALL_PATHS if p in want]
    if not paths:
        raise Fatal("--only selects no path")
    return paths


def whole(msg):
    def parse(text):
        if not text.isdigit() or int(text) < 1:
            raise argparse.ArgumentTypeError(msg)
        return int(text)
    return parse


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench_containers.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=whole("-n wants a positive integer"), default=3)
    ap.add_argument("-t", "--tcp", dest="tcp_s", type=whole("-t/-u want whole seconds"), default=5)
    ap.add_argument("-u", "--udp", dest="udp_s", type=whole("-t/-u want whole seconds"), default=5)
    ap.add_argument("-c", "--pings", type=whole("-c wants a positive integer"), default=20)
    ap.add_argument("-o", "--results")
    ap.add_argument("--only", default="all")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--steer", choices=("afp", "all", "none"), default="afp")
    ap.add_argument("--no-steer", dest="steer", action="store_const", const="none")
    a = ap.parse_args(argv)
    a.paths = select_paths(a.only)
    return a


def steered(steer, path):
    """True when this path's receive processing goes to the other CPUs (--steer). The plain bridges never:
    they are the references, each at its best."""
    if steer == "none" or path in ("bridge", "bridge-default"):
        return False
    return not (steer == "afp" and (path.endswith("-xdp") or path in ("xdp-redirect", "switch-veth") or
                                          path.startswith("switch-vxlan")))


# ---------------------------------------------------------------- the bench

def idle_cpu(pid):
    """The cores PID used over 2 s with no traffic (utime + stime, all threads), or None."""
    def ticks():
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
        fields = st[st.rindex(")") + 2:].split()
        return int(fields[11]) + int(fields[12])
    try:
        t0 = ticks()
        time.sleep(2)
        t1 = ticks()
    except (OSError, ValueError):
        return None
    return (t1 - t0) / os.sysconf("SC_CLK_TCK") / 2


class ContainersBench:
    def __init__(self, a, tmp, stack):
        self.a, self.tmp, self.stack = a, Path(tmp), stack
        self.quiet = Quiet(a.force, MIN_IDLE)
        self.sock = self.tmp / "ctl.sock"
        self.results = Path(a.results or env.RESULTS_BASE / (stamp() + "-containers"))
        self.logdir = self.results / "logs"
        self.raw = self.results / "runs.jsonl"
        self.runs = []
        self.skip = {}
        self.ovs = OvsDpdk(self.tmp, OVS_BR)
        self.ovs_note = ""
        self.rx_cpus = ""

    def wants(self, *paths):
        return any(p in self.a.paths for p in paths)

    def setup(self):
        a = self.a
        if os.geteuid() != 0:
            raise Fatal("needs root")
        try:
            self.logdir.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise Fatal("cannot create %s" % self.logdir)
        self.raw.write_text("")
        apt_log = self.logdir / "apt-install.log"
        for c in ("iperf3", "ethtool", "taskset", "ping"):
            if not shutil.which(c) and not a.no_install:
                apt_install(["iperf3", "ethtool", "iputils-ping", "util-linux"], apt_log)
            if not shutil.which(c):
                raise Fatal("%s not found" % c)
        if self.wants("testpmd-afp", "testpmd-xdp"):
            if not shutil.which(env.TESTPMD) and not a.no_install:
                apt_install(["dpdk"], apt_log)
            if not shutil.which(env.TESTPMD):
                raise Fatal("%s not found (apt install dpdk)" % env.TESTPMD)
        if self.wants(*SWITCH_PATHS):
            if not os.access(env.SWITCH_BIN, os.X_OK):
                raise Fatal("%s not built (scripts/build.sh, or DSW_BUILD_DIR=, or --only)" % env.SWITCH_BIN)
            if not os.access(env.CTL_BIN, os.X_OK):
                raise Fatal("%s not built" % env.CTL_BIN)
        self.mem = hugepages()
        self.mem_args = ["--in-memory"] if self.mem == "huge" else ["--no-huge", "-m", "1024"]
        if self.mem != "huge":
            for p in ("testpmd-xdp", "switch-xdp"):
                if self.wants(p):
                    self.skip[p] = "no hugepages (af_xdp needs them)"
        if self.wants("testpmd-xdp", "switch-xdp"):
            self.stack.enter_context(Bpffs())
        if self.wants("ovs-afp"):
            self.ovs_note = self.ovs.check(self.mem, not a.no_install, self.logdir)
            if self.ovs_note:
                self.skip["ovs-afp"] = self.ovs_note
                log("  OVS-DPDK row skipped: %s" % self.ovs_note)
        self.rx_cpus = other_cpus_mask(FWD_CPU)
        if a.steer != "none" and self.rx_cpus == "0":
            a.steer = "none"
            log("  one CPU only: no receive steering")
        if a.steer == "none" and self.wants("bridge-steered"):
            self.skip["bridge-steered"] = "no receive steering (--steer none)"
        self.containers = self.stack.enter_context(Containers(NS1, IF1, IP1, NS2, IF2, IP2, PLEN, BR))
        self.xdp = XdpRedirect(IF1, IF2, NS1, NS2, self.tmp)
        if self.wants("xdp-redirect") and not self.xdp.build(not a.no_install, self.logdir / "xdp-redirect.build.log"):
            self.skip["xdp-redirect"] = "could not build bench/xdp_redirect.c (logs/xdp-redirect.build.log)"
        self.stack.enter_context(RxTimestamps())

    def plan(self):
        a = self.a
        per = a.pings // 5 + a.tcp_s + a.udp_s + 10
        per += sum(a.tcp_s for p in a.paths if PATHS[p][1]) // len(a.paths)
        log("bench_containers: %d run(s) of: %s" % (a.runs, " ".join(a.paths)))
        log("                  ~%d min; memory: %s; results in %s" % (len(a.paths) * a.runs * per // 60 + 1, self.mem,
                                                                    self.results))
        for p, why in self.skip.items():
            log("                  %s skipped: %s" % (p, why))

    @contextlib.contextmanager
    def forwarder(self, path, name):
        """Starts PATH's forwarder; yields (the object, its command, a DpdkSwitch or None), or raises
        _NotStarted (having logged why)."""
        logf = self.logdir / (name + ".log")
        with contextlib.ExitStack() as st:
            if path in ("bridge-default", "bridge", "bridge-steered"):
                br = st.enter_context(LinuxBridge(BR, [IF1, IF2], logf))
                if not br.ok:
                    raise _NotStarted("")
                yield br.describe, None
            elif path in ("testpmd-afp", "testpmd-xdp"):
                if path == "testpmd-afp":
                    devs, mem = ["net_af_packet0,iface=%s" % IF1, "net_af_packet1,iface=%s" % IF2], self.mem_args
                else:
                    devs = ["net_af_xdp0,iface=%s,start_queue=0,queue_count=1" % IF1,
                            "net_af_xdp1,iface=%s,start_queue=0,queue_count=1" % IF2]
                    mem = ["--in-memory"]
                tp = st.enter_context(Testpmd(EAL_CORES + mem + ["--file-prefix", TP_PREFIX, "--vdev", devs[0],
                                                                 "--vdev", devs[1]],
                                              ["--nb-cores=1", "--forward-mode=io", "--auto-start"], logf))
                if not tp.wait_log("Press enter to exit", 60):
                    log("  testpmd did not start (logs/%s.log)" % name)
                    raise _NotStarted("")
                try:
                    yield shlex.join(tp.argv), None
                finally:
                    self.rc = tp.stop()
            elif path.startswith("switch-"):
                kind = {"switch-xdp": "af_xdp", "switch-veth": "veth", "switch-vxlan": "veth",
                        "switch-vxlan-gro": "veth", "switch-vxlan-vtap": "veth"}.get(path, "af_packet")
                cfg = self.logdir / (name + ".yaml")
                text = "ports:\n  - {name: c1, type: %s, iface: %s}\n  - {name: c2, type: %s, iface: %s}\n" % (
                    kind, IF1, kind, IF2)
                if path.startswith("switch-vxlan"):
                    hb = st.enter_context(KernelVtepHost(IF2, self.logdir / (name + ".hostb.log"),
                                                         gro=path == "switch-vxlan-gro",
                                                         vtap=path == "switch-vxlan-vtap"))
                    if not hb.ok:
                        raise _NotStarted("")
                    text = hb.config(IF1)
                if path == "switch-afp-sleep":
                    text += "switch:\n  idle_sleep_us: 1000\n"
                if path == "switch-afp-hold":
                    text += "switch:\n  tx_flush_us: 50\n"
                write_text(cfg, text)
                mem = ["--in-memory"] if kind == "af_xdp" else self.mem_args
                sw = st.enter_context(DpdkSwitch(EAL_CORES + mem, cfg, self.sock, logf, SW_PREFIX))
                if not sw.wait_ready():
                    log("  dpdk_switch did not answer on its control socket (logs/%s.log)" % name)
                    raise _NotStarted("")
                if path == "switch-vxlan-vtap" and not hb.attach_tap():
                    log("  the switch's tap did not join host B's underlay (logs/%s.hostb.log)" % name)
                    raise _NotStarted("")
                try:
                    yield shlex.join(sw.argv), sw
                finally:
                    if sw.alive():
                        write_json(self.logdir / (name + ".stats.json"), sw.ctl("show", "port", "stats", "all"))
                        write_json(self.logdir / (name + ".lcores.json"), sw.ctl("show", "lcores"))
                    self.rc = sw.stop()
            elif path == "xdp-redirect":
                x = st.enter_context(self.xdp)
                write_text(logf, x.errors)
                if not x.ok:
                    log("  the XDP redirect did not load (logs/%s.log)" % name)
                    raise _NotStarted("")
                yield x.describe, None
            elif path == "ovs-afp":
                devs = ("net_af_packet0,iface=%s" % IF1, "net_af_packet1,iface=%s" % IF2)
                write_text(logf, "")
                st.callback(self.ovs.stop, logf)
                if not self.ovs.start(devs[0], devs[1], logf):
                    log("  OVS did not start (logs/%s.log)" % name)
                    raise _NotStarted("")
                yield ("ovs-vswitchd (dpdk-init, pmd-cpu-mask=0x2, dpdk-lcore-mask=0x1, dpdk-extra=\"--no-pci "
                       "--file-prefix=%s\"), netdev bridge %s, NORMAL, p0/p1 type=dpdk dpdk-devargs=%s / %s"
                       % (OvsDpdk.PREFIX, OVS_BR, devs[0], devs[1])), None
        self.after_path(path)

    def after_path(self, path):
        """An XDP program left on a host end (a PMD that did not detach) would change every later path."""
        import subprocess
        for i in (IF1, IF2):
            out = subprocess.run(["ip", "link", "show", i], capture_output=True, text=True).stdout
            if " xdp" in out:
                log("  warning: XDP program left on %s after %s: removing it" % (i, path))
                quiet_run(["ip", "link", "set", "dev", i, "xdp", "off"])
                quiet_run(["ip", "link", "set", "dev", i, "xdpgeneric", "off"])

    def measure(self, path, run):
        """Start, measure, stop; one record. A run that other people's work overlapped (a busy-polling DPDK
        process, or other processes using more than CONTENDED_SHARE of the CPUs' time) is repeated, up to
        MAX_RETRIES times. Each run starts when the host probe reads quiet; it is not sampled during the
        traffic, where it would count the guest's own network interrupts on CPU 1 (the pcap windows have none),
        nor after it, where the teardown's own work reads as contended for some seconds."""
        name = "%s-%s" % (path, run)
        kinds = ("ping.txt", "tcp.json") + (("tcp4.json",) if PATHS[path][1] else ()) + ("udp.json",)
        if path.startswith("switch-vxlan"):
            kinds += ("tcpr.json",)   # the other direction too: container 2 (host B) sends
        files = {k: self.logdir / ("%s.%s" % (name, k)) for k in kinds}
        attempt = 0
        while True:
            err, watch, cmd = None, {}, ""
            self.rc = 0
            self.quiet.before = self.quiet.during = None
            for f in files.values():
                write_text(f, "")
            if path in self.skip:
                err = "skipped: %s" % self.skip[path]
            else:
                self.quiet.wait()
                self.containers.steer(self.rx_cpus if steered(self.a.steer, path) else "0")
                err = self.containers.offloads(PATHS[path][0])
            if not err:
                try:
                    with self.forwarder(path, name) as (cmd, sw):
                        err, watch = self.traffic(path, name, sw, files)
                except _NotStarted:
                    err = "did not start (logs/%s.log)" % name
            why = contended(watch, CONTENDED_SHARE)
            if not why:
                break
            attempt += 1
            if attempt > MAX_RETRIES:
                log("  run %s %s: %s, again: kept, marked contended" % (run, path, why))
                break
            log("  run %s %s: %s: repeating it" % (run, path, why))
        rec = make_record(path, run, name, cmd, self.rc, err, watch, attempt, self.logdir)
        rec["offloads"] = PATHS[path][0]
        rec["host_probe"] = self.quiet.probes()
        self.runs.append(rec)
        with open(self.raw, "a") as f:
            f.write(json.dumps(rec) + "\n")

    def traffic(self, path, name, sw, files):
        """-> (error or None, the CpuWatch result)"""
        a = self.a
        if sw is not None:
            cores = idle_cpu(sw.pid)
            if cores is None:
                return "could not read the switch's CPU time", {}
            write_text(self.logdir / (name + ".idlecpu"), "%.3f\n" % cores)
        if not reachable(NS1, IP2):
            return "%s not reachable from %s within 30 s" % (IP2, NS1), {}
        with CpuWatch(self.ovs.pids) as w:
            ping(NS1, IP2, a.pings, files["ping.txt"])
            iperf("tcp", NS2, NS1, IP2, IPERF_PORT, a.tcp_s, files["tcp.json"])
            # What the switch lost during TCP at full RX rings (kernel.rx_ring_full + pmd.imissed), before
            # UDP's flood overruns them on purpose.
            if sw is not None:
                write_json(self.logdir / (name + ".tcp.stats.json"), sw.ctl("show", "port", "stats", "all"))
            if PATHS[path][1]:
                iperf("tcp", NS2, NS1, IP2, IPERF_PORT, a.tcp_s, files["tcp4.json"], streams=4)
            if "tcpr.json" in files:
                iperf("tcp", NS1, NS2, IP1, IPERF_PORT, a.tcp_s, files["tcpr.json"])
            iperf("udp", NS2, NS1, IP2, IPERF_PORT, a.udp_s, files["udp.json"])
        return None, w.result

    def summarize(self):
        a = self.a
        meta = machine_meta()
        meta.update(date=now_iso(), runs=str(a.runs), steer=a.steer, rx_cpus=self.rx_cpus, tcp_s=str(a.tcp_s),
                    udp_s=str(a.udp_s), pings=str(a.pings), memory=self.mem, paths=" ".join(a.paths),
                    switch_bin=str(env.SWITCH_BIN), testpmd=shutil.which(env.TESTPMD) or "", ovs_note=self.ovs_note)
        obj, text = summarize(self.runs, meta)
        publish_part(self.results, self.raw, obj, text)
        log("raw runs: %s   table: %s   logs: %s/" % (self.results / "runs.json", self.results / "summary.txt",
                                                       self.logdir))


class _NotStarted(Exception):
    pass


def run(argv):
    a = parse_args(argv)
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="dsw_bench_ct.")
        stack.callback(shutil.rmtree, tmp, True)
        stack.callback(remove_eal_dirs, SW_PREFIX, TP_PREFIX)
        b = ContainersBench(a, tmp, stack)
        stack.callback(b.ovs.stop)
        b.setup()
        b.plan()
        for r in range(1, a.runs + 1):
            for p in a.paths:
                b.measure(p, r)
        b.summarize()
    return 0

