"""bench_pcap: in-process packet rate of dpdk_switch against dpdk-testpmd and OVS-DPDK, measured on the same two
net_pcap ports with the same traffic (the method: bench/README.md).

  p2, p1024        bidirectional known unicast: port 0 replays P_fwd.pcap, port 1 P_rev.pcap;
                   systems: testpmd io (ceiling), testpmd mac, OVS-DPDK NORMAL, dpdk_switch
  p2uni, p1024uni  one direction: port 0 replays P_fwd.pcap, port 1 is a net_null sink, so the
                   switch never learns B and floods every packet; systems: testpmd io, OVS-DPDK
                   NORMAL (floods too), dpdk_switch
  p1024vlan        p1024 with VLANs: port 0 is a trunk [10] replaying the A->B frames tagged, port 1
                   an access port of VLAN 10 replaying B->A untagged, so the switch pops the tag of
                   every frame one way and pushes one every frame the other way; dpdk_switch only
                   (its cost of push/pop end to end: compare with its p1024 row)
  p1024vx          p1024 with port 0 a VXLAN underlay (issue 30): port 0 replays the A->B frames encapsulated
                   by a remote VTEP, port 1 the B->A frames plain, which the switch encapsulates toward that
                   VTEP; systems: testpmd mac (the pcaps' own cost), OVS-DPDK's userspace VXLAN (two bridges,
                   NORMAL), dpdk_switch as the VTEP (bench/dswbench/vxlan_pcap.py). Runs whose counters do not
                   show decapsulation and encapsulation fail

OVS-DPDK runs as a private instance (ovsdb-server + ovs-vswitchd in a temp dir, netdev bridge,
NORMAL, pmd on lcore 1, dpdk-extra --no-pci); openvswitch-switch-dpdk is installed with apt if
missing (not with --no-install), and its rows are skipped with a note if it cannot run.

Mpps = packets sent by both ports per second, over WINDOW s after WARMUP s. Each (traffic, system)
is run RUNS times, interleaved; the table gives medians. Raw runs: RESULTS/runs.json, logs: RESULTS/logs/.
env: DSW_BUILD_DIR (default ./build), TESTPMD (default dpdk-testpmd)
"""
import argparse
import contextlib
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import env
from .common import (Fatal, fmt, hugepages, log, machine_meta, now_iso, publish_part, ratio, remove_eal_dirs,
                     stamp, write_text)
from .forwarders import EAL_CORES, DpdkSwitch, OvsDpdk, Testpmd, ovs_result, switch_result, rate_from_testpmd
from .vxlan_pcap import OvsVxlan, check_switch, ovs_vxlan_result
from . import vxlan_pcap
from .quiet import Quiet, cpu_stat, host_contended, host_contended_lines, idle_pct, probe_contended

SW_PREFIX = "dswbench"      # EAL --file-prefix of the switch
TP_PREFIX = "dswbench_tp"   # ... and of testpmd
OVS_BR = "dswbovs0"         # the OVS bridge (its LOCAL port is a tap of that name)
OVS_VX_BRIDGES = ("dswbphy0", "dswbint0")   # p1024vx's OVS bridges: the underlay's and the VTEP's
MAX_RETRIES = 2   # a run that other work overlapped (see CONTENDED_IDLE) is repeated up to this often
CONTENDED_IDLE = 45   # a clean window is ~50% idle (one core busy-polls, the main lcore sleeps): less is contended
MIN_IDLE = 85     # before a run starts (nothing of ours running), the CPUs must be this idle (%)
TRAFFICS = ("p2", "p1024", "p1024vlan", vxlan_pcap.TRAFFIC)
NO_UNI = ("p1024vlan", vxlan_pcap.TRAFFIC)   # traffics without a *uni variant
SYSTEMS = ["testpmd io", "testpmd mac", "ovs normal", "dpdk_switch"]


def seconds(text):
    """-w/-W: seconds, e.g. 10 or 2.5 (kept as given: an int when whole)."""
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("-w/-W want seconds (e.g. 10 or 2.5)")
    if v < 0:
        raise argparse.ArgumentTypeError("-w/-W want seconds (e.g. 10 or 2.5)")
    return int(v) if v == int(v) and "." not in text else v


def positive(text):
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError("-n wants a positive integer")
    return int(text)


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench_pcap.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=positive, default=3)
    ap.add_argument("-w", "--window", type=seconds, default=10)
    ap.add_argument("-W", "--warmup", type=seconds, default=8)
    ap.add_argument("-o", "--results")
    ap.add_argument("--only", default="all", help="comma separated: testpmd, ovs, switch")
    ap.add_argument("--no-ovs", action="store_true")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--traffic", default=" ".join(TRAFFICS), help='e.g. "p2 p1024 p1024vlan p1024vx"')
    ap.add_argument("--no-uni", action="store_true")
    ap.add_argument("--pcap-dir")
    ap.add_argument("--mem", choices=("huge", "nohuge"))
    ap.add_argument("--force", action="store_true")
    a = ap.parse_args(argv)
    a.systems = {"testpmd", "ovs", "switch"}
    if a.only != "all":
        a.systems = set()
        for w in a.only.replace(",", " ").split():
            if w not in ("testpmd", "ovs", "switch"):
                raise Fatal("--only wants a comma separated list of testpmd, ovs, switch")
            a.systems.add(w)
    if a.no_ovs:
        a.systems.discard("ovs")
    a.traffics = a.traffic.replace(",", " ").split()
    for t in a.traffics:
        if t not in TRAFFICS:
            raise Fatal("--traffic: unknown %s (%s)" % (t, ", ".join(TRAFFICS)))
    return a


def port_devargs(traffic, pcap_dir):
    """The two ports of a traffic: pcap replays, or for *uni a replay and a net_null sink."""
    base = traffic[:-3] if traffic.endswith("uni") else traffic
    dev0 = "net_pcap0,rx_pcap=%s/%s_fwd.pcap,infinite_rx=1" % (pcap_dir, base)
    dev1 = "net_null0,no-rx=1" if base != traffic else "net_pcap1,rx_pcap=%s/%s_rev.pcap,infinite_rx=1" % (pcap_dir, base)
    return dev0, dev1


def switch_config(dev0, dev1, traffic):
    if traffic == vxlan_pcap.TRAFFIC:
        return vxlan_pcap.switch_config(dev0, dev1)
    tag0, tag1 = (", trunk: [10]", ", vlan: 10") if traffic == "p1024vlan" else ("", "")
    return ('switch: {mac_table_size: 65536}\nports:\n  - {name: p0, type: dpdk, devargs: "%s"%s}\n'
            '  - {name: p1, type: dpdk, devargs: "%s"%s}\n' % (dev0, tag0, dev1, tag1))


def make_record(system, traffic, run, log_rel, cmd, result, c0="", c1=""):
    """One run's record, and its line on stderr."""
    rec = dict(system=system, traffic=traffic, run=int(run), log=log_rel, cmd=cmd.strip(), **result)
    rec["cpu_idle_pct"] = idle = idle_pct(c0, c1)
    mpps = "%.2f Mpps" % rec["mpps"] if rec["mpps"] is not None else "FAILED: " + rec.get("error", "")
    warn = ("  (" + rec["warning"] + ")") if rec.get("warning") else ""
    if idle is not None and idle < CONTENDED_IDLE:
        rec["contended"] = True
        warn += "  (CPU only %.0f%% idle in the window: something else was running)" % idle
    idle_s = "" if idle is None else "  idle %.0f%%" % idle
    log("  run %-2s %-9s %-12s %s%s%s" % (run, traffic, system, mpps, idle_s, warn))
    return rec


def summarize(runs, meta):
    """The medians, ratios and table of the runs -> (runs.json's object, summary.txt's text)."""
    traffics = list(dict.fromkeys(r["traffic"] for r in runs))
    meta = dict(meta)
    for k in ("runs", "window_s", "warmup_s", "cpu_mhz"):
        try:
            meta[k] = float(meta[k]) if "." in meta[k] else int(meta[k])
        except (KeyError, ValueError, TypeError):
            pass
    mhz = float(meta.get("cpu_mhz") or 0)
    cells, medians = {}, []
    for t in traffics:
        for s in SYSTEMS:
            rs = [r for r in runs if r["traffic"] == t and r["system"] == s]
            if not rs:
                continue
            vals = [r["mpps"] for r in rs]
            # A run the host probe called contended (even after its repeats) counts only when the cell has
            # no clean one: it measured the host, not the system.
            ok = ([r["mpps"] for r in rs if r["mpps"] is not None and not host_contended(r)]
                  or [v for v in vals if v is not None])
            med = statistics.median(ok) if ok else None
            cells[t, s] = (med, rs)
            medians.append(dict(traffic=t, system=s, median_mpps=med, runs_mpps=vals,
                                host_contended_runs=[r["run"] for r in rs if host_contended(r)]))

    def med(t, s):
        return cells.get((t, s), (None, []))[0]
    lines = ["Mpps forwarded (sum of both ports' TX), median of %s run(s), %s s window after %s s warm-up, %s"
             % (meta.get("runs"), meta.get("window_s"), meta.get("warmup_s"), meta.get("memory")),
             "", "%-9s %11s %12s %11s %12s %8s %8s %8s %11s %12s" % (
                 "traffic", "testpmd io", "testpmd mac", "OVS NORMAL", "dpdk_switch", "sw/mac", "sw/io", "sw/ovs",
                 "sw cyc/pkt", "ovs cyc/pkt")]
    ratios = []
    for t in traffics:
        io, mac, ovs, sw = med(t, "testpmd io"), med(t, "testpmd mac"), med(t, "ovs normal"), med(t, "dpdk_switch")
        r_mac, r_io, r_ovs = ratio(sw, mac), ratio(sw, io), ratio(sw, ovs)
        cyc = mhz / sw if sw and mhz else None
        ovs_cyc = [r.get("pmd_stats", {}).get("cycles_per_pkt") for r in runs
                   if r["traffic"] == t and r["system"] == "ovs normal"]
        ovs_cyc = [c for c in ovs_cyc if c is not None]
        ovs_cyc = statistics.median(ovs_cyc) if ovs_cyc else None
        ratios.append(dict(traffic=t, switch_over_testpmd_mac=r_mac, switch_over_testpmd_io=r_io,
                           switch_over_ovs=r_ovs, switch_cycles_per_pkt=cyc, ovs_pmd_cycles_per_pkt=ovs_cyc))
        lines.append("%-9s %11s %12s %11s %12s %8s %8s %8s %11s %12s" % (
            t, fmt(io), fmt(mac), fmt(ovs), fmt(sw), fmt(r_mac, "%.3f"), fmt(r_io, "%.3f"), fmt(r_ovs, "%.2f"),
            fmt(cyc, "%.0f"), fmt(ovs_cyc, "%.0f")))
    vlan = ratio(med("p1024vlan", "dpdk_switch"), med("p1024", "dpdk_switch"))
    if vlan is not None:
        lines += ["", "VLAN push/pop end to end: dpdk_switch p1024vlan / p1024 = %.3f (issue 4: within 10%%: %s)"
                  % (vlan, "met" if vlan >= 0.9 else "MISSED")]
    vx = ratio(med(vxlan_pcap.TRAFFIC, "dpdk_switch"), med(vxlan_pcap.TRAFFIC, "ovs normal"))
    if vx is not None:
        lines += ["", "VXLAN: dpdk_switch / OVS-DPDK userspace VXLAN, p1024vx = %.2f (issue 30: >= 3x: %s)"
                  % (vx, "met" if vx >= 3 else "MISSED")]
    if any(t == vxlan_pcap.TRAFFIC for t in traffics):
        lines += ["p1024vx: port 0 a VXLAN underlay (frames encapsulated by a remote VTEP), port 1 plain; its OVS "
                  "NORMAL cell is OVS-DPDK's userspace VXLAN (br-phy + br-int)"]
    lines += ["", "runs (Mpps; * host-contended, left out of the median when the cell has a clean run):"]
    for (t, s), (_, rs) in cells.items():
        lines.append("  %-9s %-12s %s" % (t, s, " ".join(fmt(r["mpps"]) + ("*" if host_contended(r) else "")
                                                         for r in rs)))
    failed = [r for r in runs if r["mpps"] is None]
    if failed:
        lines += ["", "failed runs:"] + ["  %s %s run %s: %s (%s)" % (r["traffic"], r["system"], r["run"],
                                                                    r.get("error"), r["log"]) for r in failed]
    busy = [r for r in runs if r.get("cpu_idle_pct") is not None and r["cpu_idle_pct"] < CONTENDED_IDLE]
    if busy:
        lines += ["", "contended runs (CPU < %d%% idle in the window; ~50%% is clean):" % CONTENDED_IDLE] + [
            "  %s %s run %s: %.0f%% idle" % (r["traffic"], r["system"], r["run"], r["cpu_idle_pct"]) for r in busy]
    lines += host_contended_lines(runs, lambda r: "%s %s run %s" % (r["traffic"], r["system"], r["run"]))
    if meta.get("ovs_note"):
        lines += ["", "OVS-DPDK not run: " + meta["ovs_note"]]
    lines += ["", "*uni rows: one direction into a net_null sink; the switch and OVS flood (unknown unicast), "
              "testpmd mac is not run there (io is the ceiling).",
              "sw cyc/pkt = CPU MHz / switch Mpps (one forwarding core); ovs cyc/pkt = its pmd-stats-show "
              "'avg processing cycles per packet'."]
    return (dict(meta=meta, medians=medians, ratios=ratios, vlan_over_plain=vlan, vxlan_over_ovs=vx, runs=runs),
            "\n".join(lines) + "\n")


def keep(tries):
    """Of a cell's attempts: the last if it is clean (the repeats stop there), else the one in which the probe
    found the CPU taken least often."""
    last = tries[-1]
    taken = lambda r: ((r.get("host_probe") or {}).get("during") or {}).get("gaps_per_ms", 0)
    kept = last if not host_contended(last) else min(tries, key=taken)
    kept.update(kept_attempt=kept["repeats"], repeats=len(tries) - 1)
    return kept


class PcapBench:
    def __init__(self, a, tmp):
        self.a, self.tmp = a, Path(tmp)
        self.quiet = Quiet(a.force, MIN_IDLE)
        self.sock = self.tmp / "ctl.sock"
        self.results = Path(a.results or env.RESULTS_BASE / stamp())
        self.logdir = self.results / "logs"
        self.raw = self.results / "runs.jsonl"
        self.runs = []
        self.ovs = OvsDpdk(self.tmp, OVS_BR)
        self.ovs_vx = OvsVxlan(self.tmp, *OVS_VX_BRIDGES)
        self.ovs_note = ""

    def setup(self):
        a = self.a
        if "testpmd" in a.systems and not shutil.which(env.TESTPMD):
            raise Fatal("%s not found (apt install dpdk)" % env.TESTPMD)
        if "switch" in a.systems:
            if not os.access(env.SWITCH_BIN, os.X_OK):
                raise Fatal("%s not built (scripts/build.sh, or DSW_BUILD_DIR=, or --only testpmd)" % env.SWITCH_BIN)
            if not os.access(env.CTL_BIN, os.X_OK):
                raise Fatal("%s not built" % env.CTL_BIN)
        try:
            self.logdir.mkdir(parents=True, exist_ok=True)
        except OSError:
            raise Fatal("cannot create %s" % self.logdir)
        self.raw.write_text("")
        # Hugepages when the kernel gives them; --no-huge cannot be combined with --in-memory.
        self.mem = a.mem or hugepages()
        self.mem_args = ["--in-memory"] if self.mem == "huge" else ["--no-huge", "-m", "1024"]
        if a.pcap_dir:
            self.pcap_dir = a.pcap_dir
        else:
            self.pcap_dir = str(self.tmp / "pcap")
            if subprocess.run([sys.executable, str(env.SCRIPTS / "gen_pcap.py"), self.pcap_dir]).returncode != 0:
                raise Fatal("gen_pcap.py failed")
        for t in a.traffics:
            for d in ("fwd", "rev"):
                if not os.access("%s/%s_%s.pcap" % (self.pcap_dir, t, d), os.R_OK):
                    raise Fatal("no %s_fwd/rev.pcap in %s" % (t, self.pcap_dir))
        if "ovs" in a.systems:
            self.ovs_note = self.ovs.check(self.mem, not a.no_install, self.logdir)
            self.ovs_vx.vswitchd = self.ovs.vswitchd
            if self.ovs_note:
                a.systems.discard("ovs")
                log("bench_pcap: OVS-DPDK rows skipped: %s" % self.ovs_note)

    def plan(self):
        a = self.a
        n_sys = len(self.schedule()) * a.runs
        per = int(a.warmup) + int(a.window) + 4
        log("bench_pcap: %d runs of ~%d s (~%d min), memory: %s %s" % (
            n_sys, per, n_sys * per // 60, self.mem, " ".join(self.mem_args)))
        log("            window %s s after %s s warm-up; results in %s" % (a.window, a.warmup, self.results))

    # ------------------------------------------------------------ one run of each system

    def eal(self, prefix, dev0, dev1):
        return EAL_CORES + self.mem_args + ["--file-prefix", prefix, "--vdev", dev0, "--vdev", dev1]

    def window(self):
        """The measured window: (cpu_stat at its start, at its end), the host sampled meanwhile."""
        with self.quiet.sample(self.a.window):
            c0 = cpu_stat()
            time.sleep(self.a.window)
            return c0, cpu_stat()

    def run_testpmd(self, mode, traffic, run):
        """testpmd's stdin gets "show port stats all" after the warm-up and after the window, then stop
        and quit; testpmd times the interval itself."""
        name = "testpmd-%s-%s-%s" % (mode, traffic, run)
        logf = self.logdir / (name + ".log")
        dev0, dev1 = port_devargs(traffic, self.pcap_dir)
        tp = Testpmd(self.eal(TP_PREFIX, dev0, dev1),
                     ["-i", "--nb-cores=1", "--forward-mode=%s" % mode, "--auto-start"], logf)
        with tp:
            time.sleep(self.a.warmup)
            tp.send("show port stats all")
            c0, c1 = self.window()
            for line in ("show port stats all", "stop", "quit"):
                tp.send(line)
            rc = tp.wait(60)
            if rc is None:
                log("  pid %d still running after 60 s: stopping it" % tp.pid)
                rc = tp.stop()
        result = rate_from_testpmd(open(logf, errors="replace").read(), rc)
        return make_record("testpmd " + mode, traffic, run, "logs/%s.log" % name, shlex.join(tp.argv), result, c0, c1)

    def run_switch(self, traffic, run):
        """dpdk_switch_ctl --json show port stats all after the warm-up and after the window: delta(tx) / delta(t)."""
        name = "dpdk_switch-%s-%s" % (traffic, run)
        logf, cfg = self.logdir / (name + ".log"), self.logdir / (name + ".yaml")
        dev0, dev1 = port_devargs(traffic, self.pcap_dir)
        write_text(cfg, switch_config(dev0, dev1, traffic))
        s0 = s1 = err = vx0 = vx1 = None
        c0 = c1 = ""
        vxlan = traffic == vxlan_pcap.TRAFFIC   # the VTEP's counters are read with the ports'
        sw = DpdkSwitch(EAL_CORES + self.mem_args, cfg, self.sock, logf, SW_PREFIX)
        with sw:
            if sw.wait_ready():
                time.sleep(self.a.warmup)
                with self.quiet.sample(self.a.window):
                    c0 = cpu_stat()
                    s0 = sw.sample()
                    vx0 = vxlan and sw.ctl("show", "vxlan")
                    if s0:
                        time.sleep(self.a.window)
                        s1 = sw.sample()
                        vx1 = vxlan and sw.ctl("show", "vxlan")
                    c1 = cpu_stat()
                if not (s0 and s1):
                    err = "reading stats failed"
            else:
                err = "switch did not answer on %s (see logs/%s.log)" % (self.sock, name)
            rc = sw.stop()
        res = switch_result(s0, s1, rc, err)
        if vxlan:
            res = check_switch(res, vx0, vx1)
        return make_record("dpdk_switch", traffic, run, "logs/%s.log" % name, shlex.join(sw.argv), res, c0, c1)

    def run_ovs(self, traffic, run):
        """After the warm-up, pmd-stats-clear; ovs-ofctl dump-ports at the start and the end of the window."""
        name = "ovs-%s-%s" % (traffic, run)
        logf, pmd = self.logdir / (name + ".log"), self.logdir / (name + ".pmd-stats.txt")
        flows = self.logdir / (name + ".flows.txt")   # p1024vx: the datapath flows, tnl_pop/tnl_push among them
        dev0, dev1 = port_devargs(traffic, self.pcap_dir)
        vxlan = traffic == vxlan_pcap.TRAFFIC
        ovs = self.ovs_vx if vxlan else self.ovs
        s0 = s1 = err = None
        c0 = c1 = ""
        write_text(logf, "")
        write_text(pmd, "")
        try:
            if ovs.start(dev0, dev1, logf):
                time.sleep(self.a.warmup)
                ovs.cmd("ovs-appctl", "dpif-netdev/pmd-stats-clear")
                with self.quiet.sample(self.a.window):
                    c0 = cpu_stat()
                    s0 = ovs.sample()
                    if s0:
                        time.sleep(self.a.window)
                        s1 = ovs.sample()
                    c1 = cpu_stat()
                if not (s0 and s1):
                    err = "reading ovs-ofctl dump-ports failed"
                with open(pmd, "w") as out:
                    ovs.cmd("ovs-appctl", "dpif-netdev/pmd-stats-show", out=out)
                if vxlan:
                    with open(flows, "w") as out:
                        ovs.cmd("ovs-appctl", "dpctl/dump-flows", out=out)
            else:
                err = "OVS did not start (see logs/%s.log)" % name
        finally:
            ovs.stop(logf)
        pmd_text = pmd.read_text(errors="replace")
        flows_text = flows.read_text(errors="replace") if flows.exists() else ""
        res = (ovs_vxlan_result(s0, s1, pmd_text, flows_text, err) if vxlan
               else ovs_result(s0, s1, pmd_text, err))
        return make_record("ovs normal", traffic, run, "logs/%s.log" % name, ovs.describe(dev0, dev1), res, c0, c1)

    # ------------------------------------------------------------ the plan

    def cell(self, fn, *args):
        """One run, kept in runs. A run whose window found the CPUs busy with other work (idle <
        CONTENDED_IDLE%; ~50% is clean), or in which the host probe read contended, is repeated, up to
        MAX_RETRIES times."""
        tries = []
        attempt = 0
        while True:
            self.quiet.wait()
            rec = fn(*args)
            rec["repeats"] = attempt
            rec["host_probe"] = self.quiet.probes()
            tries.append(rec)
            host = probe_contended(self.quiet.during, False)
            idle = rec.get("cpu_idle_pct")
            busy = idle is not None and int(idle) < CONTENDED_IDLE
            if not (busy or host) or attempt >= MAX_RETRIES or self.a.force:
                break
            attempt += 1
            if host:
                log("  (host contended: %s in the window: repeating this run, attempt %d)" % (host, attempt + 1))
            else:
                log("  (CPU only %d%% idle: repeating this run, attempt %d)" % (idle, attempt + 1))
        kept = keep(tries)
        self.runs.append(kept)
        with open(self.raw, "a") as f:
            f.write(json.dumps(kept) + "\n")

    def schedule(self):
        """One run of every cell, in order: [(fn, args)]."""
        a = self.a
        cells = []
        traffics = list(a.traffics)
        if not a.no_uni:
            traffics += [t + "uni" for t in a.traffics if t not in NO_UNI]
        for t in traffics:
            if t == "p1024vlan":   # VLAN push/pop: the switch's own cost, against its p1024 row
                if "switch" in a.systems:
                    cells.append((self.run_switch, (t,)))
                continue
            if "testpmd" in a.systems:
                if t != vxlan_pcap.TRAFFIC:   # there testpmd mac is the pcaps' reference, io adds nothing
                    cells.append((self.run_testpmd, ("io", t)))
                if not t.endswith("uni"):
                    cells.append((self.run_testpmd, ("mac", t)))
            if "ovs" in a.systems:
                cells.append((self.run_ovs, (t,)))
            if "switch" in a.systems:
                cells.append((self.run_switch, (t,)))
        return cells

    def run_all(self):
        """Runs are interleaved (run 1 of everything, then run 2, ...) so drift hits all alike."""
        for run in range(1, self.a.runs + 1):
            for fn, args in self.schedule():
                self.cell(fn, *args, run)

    def summarize(self):
        a = self.a
        meta = machine_meta()
        meta.update(date=now_iso(), runs=str(a.runs), window_s=str(a.window), warmup_s=str(a.warmup),
                    memory="%s %s" % (self.mem, " ".join(self.mem_args)), switch_bin=str(env.SWITCH_BIN),
                    testpmd=shutil.which(env.TESTPMD) or "", only=a.only, ovs_note=self.ovs_note)
        obj, text = summarize(self.runs, meta)
        publish_part(self.results, self.raw, obj, text)
        log("raw runs: %s   table: %s   logs: %s/" % (self.results / "runs.json", self.results / "summary.txt",
                                                       self.logdir))


def run(argv):
    a = parse_args(argv)
    with contextlib.ExitStack() as stack:
        tmp = tempfile.mkdtemp(prefix="dsw_bench_pcap.")
        stack.callback(shutil.rmtree, tmp, True)
        stack.callback(remove_eal_dirs, SW_PREFIX, TP_PREFIX)
        bench = PcapBench(a, tmp)
        stack.callback(bench.ovs.stop)
        stack.callback(bench.ovs_vx.stop)
        bench.setup()
        bench.plan()
        bench.run_all()
        bench.summarize()
    return 0
