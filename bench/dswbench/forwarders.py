"""One class per system a bench measures: dpdk_switch, dpdk-testpmd, OVS-DPDK (a private instance), the Linux
bridge and the kernel's XDP redirect. Each starts on the ports it is given and is a context manager that stops
it and removes what it made. And the parsers of what they print."""
import json
import os
import re
import subprocess
import time
from pathlib import Path

from . import env
from .common import have_pkg, apt_install, log
from .procs import OWN, Proc, quiet_run, stop_pid, wait_file

EAL_CORES = ["-l", "0,1", "--main-lcore", "0", "--no-pci"]   # main lcore 0, one forwarding lcore 1


# ---------------------------------------------------------------- dpdk-testpmd

class Testpmd(Proc):
    """dpdk-testpmd, its stdin a pipe we hold (it quits on EOF), its output line-buffered into LOG (its "Press
    enter to exit" would otherwise sit in the stdio buffer until it exits)."""

    def __init__(self, eal, app, log_path):
        self.argv = [env.TESTPMD] + list(eal) + ["--"] + list(app)
        super().__init__(["stdbuf", "-oL", "-eL"] + self.argv, out=log_path, stdin="pipe", grace=5)
        self.log_path = log_path

    def wait_log(self, pattern, timeout):
        return wait_file(self.log_path, pattern, timeout, self)


def rate_from_testpmd(text, rc):
    """The rate of a testpmd run from its log: each "show port stats all" prints one block per port, whose
    Tx-pps is the rate since the previous show, timed by testpmd. The first show reads 0, so each port's last
    block counts, and there must be two shows."""
    blocks = re.findall(r"NIC statistics for port (\d+).*?Rx-pps:\s+(\d+).*?Tx-pps:\s+(\d+)", text, re.S)
    last, seen = {}, {}
    for port, rx, tx in blocks:
        last[int(port)] = (int(rx), int(tx))
        seen[int(port)] = seen.get(int(port), 0) + 1
    res = {"exit_status": int(rc)}
    if not last or min(seen.values()) < 2:
        res.update(mpps=None, error="no second 'show port stats all' in the log")
        return res
    ports = [{"port": p, "rx_pps": rx, "tx_pps": tx} for p, (rx, tx) in sorted(last.items())]
    res.update(mpps=sum(p["tx_pps"] for p in ports) / 1e6, ports=ports)
    return res


def pps_from_testpmd(text, field):
    """The sum over the ports of FIELD (Rx-pps, Tx-pps) in the last `show port stats all`, or None."""
    blocks = re.findall(r"NIC statistics for port (\d+).*?%s:\s+(\d+)" % field, text, re.S)
    last = {}
    for port, v in blocks:
        last[port] = int(v)
    return sum(last.values()) if last else None


# ---------------------------------------------------------------- dpdk_switch

class DpdkSwitch(Proc):
    """dpdk_switch on a YAML config, with a control socket; ctl() asks it through dpdk_switch_ctl."""

    def __init__(self, eal, config, sock, log_path, prefix):
        self.argv = [str(env.SWITCH_BIN)] + list(eal) + ["--file-prefix", prefix, "--", "--config", str(config),
                                                         "--ctl-socket", str(sock)]
        super().__init__(self.argv, out=log_path, grace=15)
        self.sock = sock

    def ctl(self, *args, as_json=True):
        """The answer (parsed JSON, or text), or None."""
        cmd = [str(env.CTL_BIN), "--socket", str(self.sock)] + (["--json"] if as_json else []) + list(args)
        try:
            r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        except subprocess.TimeoutExpired:
            return None
        if r.returncode != 0:
            return None
        if not as_json:
            return r.stdout
        try:
            return json.loads(r.stdout)
        except ValueError:
            return None

    def wait_ready(self, timeout=30, probe=("show", "port", "stats", "all")):
        """Until the control socket answers (True), or the switch is gone or TIMEOUT s pass."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not self.alive():
                return False
            if self.ctl(*probe) is not None:
                return True
            time.sleep(0.2)
        return False

    def sample(self):
        """One stats read with the times around it: {"t0", "t1", "stats"}, or None."""
        t0 = time.time()
        stats = self.ctl("show", "port", "stats", "all")
        t1 = time.time()
        return None if stats is None else {"t0": t0, "t1": t1, "stats": stats}

    def stop(self, grace=None):
        rc = super().stop(grace)
        try:
            os.unlink(self.sock)
        except OSError:
            pass
        return rc


def switch_result(s0, s1, rc, err):
    """The rate between two DpdkSwitch.sample()s: delta(sum tx_packets) / delta(t), t the middle of each read."""
    res = {"exit_status": int(rc)}
    if rc != 0:
        res["warning"] = "dpdk_switch exited with status %s after SIGTERM" % rc
    if err or not s0 or not s1:
        res.update(mpps=None, error=err or "no stats samples")
        return res
    a, b = s0, s1
    elapsed = (b["t0"] + b["t1"]) / 2 - (a["t0"] + a["t1"]) / 2
    before = {p["name"]: p for p in a["stats"]["ports"]}
    ports = []
    for p in b["stats"]["ports"]:
        q = before.get(p["name"], {})
        d = {k: p.get(k, 0) - q.get(k, 0) for k in ("rx_packets", "tx_packets")}
        drops = {k: v - q.get("drops", {}).get(k, 0) for k, v in p.get("drops", {}).items()}
        ports.append(dict(name=p["name"], **d, tx_mpps=d["tx_packets"] / elapsed / 1e6, drops=drops))
    res.update(mpps=sum(p["tx_packets"] for p in ports) / elapsed / 1e6, elapsed_s=elapsed,
               ports=ports, ctl_read_s=[a["t1"] - a["t0"], b["t1"] - b["t0"]])
    return res


# ---------------------------------------------------------------- OVS-DPDK (a private instance)

OVS_DPDK_BIN = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"


class OvsDpdk:
    """A private ovsdb-server + ovs-vswitchd (bench/README.md): database, sockets, pidfiles
    and logs in a temp dir; a netdev bridge with the NORMAL flow and two type=dpdk ports. Its EAL gets a file
    prefix of its own, like every DPDK process here (without one it would take "rte", the default of any other
    DPDK program on the machine, and leave /var/run/dpdk/rte behind)."""

    PREFIX = "dswbovs"

    def __init__(self, tmp, bridge):
        self.tmp, self.bridge = Path(tmp), bridge
        self.vswitchd = "ovs-vswitchd"
        self.run_dir = None
        self.pids = []

    def check(self, mem, install, logdir):
        """"" when a DPDK ovs-vswitchd can run here, else why not. Installs openvswitch-switch-dpdk if missing.
        Debian's alternative for /usr/sbin/ovs-vswitchd may still point at the build without DPDK: the DPDK build
        runs through a symlink named ovs-vswitchd, so that its process name stays "ovs-vswitchd" (what every
        bench's wait for a quiet CPU looks for), without touching the system's alternatives."""
        if not have_pkg("openvswitch-switch-dpdk") and install:
            log("installing openvswitch-switch-dpdk (apt) ...")
            if not apt_install(["openvswitch-switch-dpdk"], Path(logdir) / "apt-install.log"):
                log("  apt-get install openvswitch-switch-dpdk failed (logs/apt-install.log)")
        if os.access(OVS_DPDK_BIN, os.X_OK):
            (self.tmp / "ovsbin").mkdir(exist_ok=True)
            link = self.tmp / "ovsbin" / "ovs-vswitchd"
            if not link.is_symlink():
                link.symlink_to(OVS_DPDK_BIN)
            self.vswitchd = str(link)
        which = lambda c: subprocess.run(["sh", "-c", 'command -v "$1"', "sh", c], capture_output=True).returncode == 0
        if not which("ovsdb-server") or not which(self.vswitchd):
            return "openvswitch-switch-dpdk is not installed"
        ver = subprocess.run([self.vswitchd, "--version"], capture_output=True, text=True).stdout
        if "DPDK" not in ver:
            return "%s has no DPDK" % self.vswitchd
        if mem != "huge":
            return "OVS-DPDK needs hugepages (dpdk-socket-mem)"
        return ""

    def describe(self, dev0, dev1):
        return ("ovs-vswitchd (dpdk-init=true dpdk-socket-mem=1024 dpdk-lcore-mask=0x1 pmd-cpu-mask=0x2 "
                "dpdk-extra=\"--no-pci --file-prefix=%s\"), bridge %s datapath_type=netdev (NORMAL), "
                "p0 dpdk-devargs=\"%s\", p1 dpdk-devargs=\"%s\"" % (self.PREFIX, self.bridge, dev0, dev1))

    def _env(self):
        d = str(self.run_dir)
        return dict(os.environ, OVS_RUNDIR=d, OVS_LOGDIR=d, OVS_DBDIR=d, OVS_SYSCONFDIR=d)

    def cmd(self, *args, timeout=None, out=None):
        """An OVS tool against this instance: True if it succeeded (its output to OUT, a file)."""
        try:
            r = subprocess.run([str(a) for a in args], env=self._env(), stdout=out or subprocess.DEVNULL,
                               stderr=subprocess.STDOUT if out else subprocess.DEVNULL, timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return r.returncode == 0

    def text(self, *args, timeout=30):
        r = subprocess.run([str(a) for a in args], env=self._env(), capture_output=True, text=True, timeout=timeout)
        return r.stdout + r.stderr, r.returncode

    def bridge_steps(self, dev0, dev1):
        """The commands that make the bridge and its ports p0 and p1 (a subclass makes others)."""
        return [
            ["ovs-vsctl", "--timeout=60", "add-br", self.bridge, "--", "set", "bridge", self.bridge,
             "datapath_type=netdev"],
            # The devargs hold commas: double-quoted inside the argument (ovs-vsctl splits an unquoted one).
            ["ovs-vsctl", "--timeout=60", "add-port", self.bridge, "p0", "--", "set", "Interface", "p0", "type=dpdk",
             "options:dpdk-devargs=\"%s\"" % dev0],
            ["ovs-vsctl", "--timeout=60", "add-port", self.bridge, "p1", "--", "set", "Interface", "p1", "type=dpdk",
             "options:dpdk-devargs=\"%s\"" % dev1],
        ]

    def start(self, dev0, dev1, logf):
        """ovsdb-server + ovs-vswitchd, netdev bridge (NORMAL), two dpdk ports: True when both are up."""
        import tempfile
        self.run_dir = Path(tempfile.mkdtemp(prefix="ovs.", dir=self.tmp))
        d = self.run_dir
        steps = [
            ["ovsdb-tool", "create", d / "conf.db", "/usr/share/openvswitch/vswitch.ovsschema"],
            ["ovsdb-server", d / "conf.db", "--remote=punix:%s" % (d / "db.sock"),
             "--pidfile=%s" % (d / "ovsdb-server.pid"), "--detach", "--no-chdir",
             "--log-file=%s" % (d / "ovsdb-server.log")],
            ["ovs-vsctl", "--no-wait", "init"],
            ["ovs-vsctl", "--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
             "other_config:dpdk-socket-mem=1024", "other_config:dpdk-lcore-mask=0x1", "other_config:pmd-cpu-mask=0x2",
             "other_config:dpdk-extra=\"--no-pci --file-prefix=%s\"" % self.PREFIX],
            [self.vswitchd, "unix:%s" % (d / "db.sock"), "--pidfile=%s" % (d / "ovs-vswitchd.pid"), "--detach",
             "--no-chdir", "--log-file=%s" % (d / "ovs-vswitchd.log")],
        ] + self.bridge_steps(dev0, dev1)
        with open(logf, "a") as out:
            for step in steps:   # a command, or a callable given the log (a step that must retry)
                if not (step(out) if callable(step) else self.cmd(*step, out=out)):
                    log("  OVS: %s failed (see %s)" % (getattr(step, "__doc__", None) or " ".join(map(str, step)), logf))
                    return False
                for name in ("ovsdb-server", "ovs-vswitchd"):
                    pidf = d / ("%s.pid" % name)
                    if pidf.exists():
                        try:
                            pid = int(pidf.read_text())
                        except ValueError:
                            continue
                        if pid not in self.pids:
                            self.pids.append(pid)
                            OWN.add(pid)
            for p in ("p0", "p1"):
                ofport, _ = self.text("ovs-vsctl", "get", "Interface", p, "ofport")
                try:
                    ok = int(ofport.strip()) > 0
                except ValueError:
                    ok = False
                if not ok:
                    err, _ = self.text("ovs-vsctl", "get", "Interface", p, "error")
                    log("  OVS port %s: %s" % (p, err.strip()))
                    return False
        return True

    def sample(self):
        """{"t0", "t1", "ports": <ovs-ofctl dump-ports>}: the ports' live rte_eth_stats; None on failure."""
        t0 = time.time()
        out, rc = self.text("ovs-ofctl", "dump-ports", self.bridge)
        t1 = time.time()
        return {"t0": t0, "t1": t1, "ports": out} if rc == 0 else None

    def taps(self):
        """The tap netdevs the netdev datapath makes: one per bridge (its LOCAL port), and ovs-netdev."""
        return [self.bridge, "ovs-netdev"]

    def stop(self, logf=None):
        """Stops the instance, removes the tap netdevs it leaves (ovs-appctl exit does not remove them); its daemons' logs are
        appended to LOGF."""
        if self.run_dir is None:
            return
        self.cmd("ovs-appctl", "-t", "ovs-vswitchd", "exit", "--cleanup", timeout=20)
        self.cmd("ovs-appctl", "-t", "ovsdb-server", "exit", timeout=10)
        for pid in self.pids:
            stop_pid(pid)
            OWN.discard(pid)
        self.pids = []
        for dev in self.taps():
            if os.path.exists("/sys/class/net/%s/tun_flags" % dev):
                quiet_run(["ip", "link", "del", dev])
        if logf:
            with open(logf, "a") as out:
                for name in ("ovs-vswitchd.log", "ovsdb-server.log"):
                    try:
                        out.write((self.run_dir / name).read_text(errors="replace"))
                    except OSError:
                        pass
        subprocess.run(["rm", "-rf", str(self.run_dir), "/var/run/dpdk/%s" % self.PREFIX])
        self.run_dir = None


PMD_STATS = (("cycles_per_pkt", r"avg processing cycles per packet:\s+([\d.]+)"),
             ("emc_hits", r"emc hits:\s+(\d+)"), ("smc_hits", r"smc hits:\s+(\d+)"),
             ("megaflow_hits", r"megaflow hits:\s+(\d+)"),
             ("upcalls_ok", r"miss with success upcall:\s+(\d+)"),
             ("upcalls_failed", r"miss with failed upcall:\s+(\d+)"),
             ("idle_cycles_pct", r"idle cycles:\s+\d+\s+\(([\d.]+)%\)"))


def parse_pmd_stats(text):
    """ovs-appctl dpif-netdev/pmd-stats-show -> {cycles_per_pkt, emc_hits, ...} (what it shows)."""
    stats = {}
    for key, pat in PMD_STATS:
        m = re.search(pat, text)
        if m:
            stats[key] = float(m[1])
    return stats


def parse_dump_ports(text):
    """ovs-ofctl dump-ports: "port  1: rx pkts=N, ...\\n           tx pkts=N, ..." per port (LOCAL too)
    -> {name: (rx pkts, tx pkts)}."""
    out = {}
    for m in re.finditer(r"port\s+\"?([^:\s\"]+)\"?:\s+rx pkts=(\d+).*?tx pkts=(\d+)", text, re.S):
        out[m[1]] = (int(m[2]), int(m[3]))
    return out


def ovs_result(s0, s1, pmd_text, err):
    """The rate between two OvsDpdk.sample()s: the tx pkts of the two dpdk ports (their live rte_eth_stats
    opackets), and pmd-stats-show's figures."""
    res = {"exit_status": 0}
    stats = parse_pmd_stats(pmd_text or "")
    if stats:
        res["pmd_stats"] = stats
    if err or not s0 or not s1:
        res.update(mpps=None, error=err or "no dump-ports samples")
        return res
    pa, pb = parse_dump_ports(s0["ports"]), parse_dump_ports(s1["ports"])
    elapsed = (s1["t0"] + s1["t1"]) / 2 - (s0["t0"] + s0["t1"]) / 2
    rows = []
    for name, (rx, tx) in pb.items():
        if name == "LOCAL" or name not in pa:
            continue
        rows.append(dict(name=name, rx_packets=rx - pa[name][0], tx_packets=tx - pa[name][1],
                         tx_mpps=(tx - pa[name][1]) / elapsed / 1e6))
    if len(rows) != 2:
        res.update(mpps=None, error="dump-ports shows %d dpdk ports, not 2" % len(rows))
        return res
    res.update(mpps=sum(r["tx_packets"] for r in rows) / elapsed / 1e6, elapsed_s=elapsed, ports=rows)
    return res


# ---------------------------------------------------------------- the kernel: bridge and XDP redirect

class LinuxBridge:
    """A Linux bridge over IFACES, without IPv6 of its own (no chatter of the host's on the wire)."""

    def __init__(self, name, ifaces, log_path):
        self.name, self.ifaces, self.log_path = name, list(ifaces), log_path
        self.describe = "ip link add %s type bridge; %s; ip link set %s up" % (
            name, "; ".join("ip link set %s master %s" % (i, name) for i in ifaces), name)

    def __enter__(self):
        with open(self.log_path, "w") as out:
            run = lambda *c: subprocess.run(list(c), stdout=out, stderr=subprocess.STDOUT).returncode == 0
            ok = run("ip", "link", "add", self.name, "type", "bridge")
            v6 = "/proc/sys/net/ipv6/conf/%s/disable_ipv6" % self.name
            if ok and os.path.exists(v6):
                with open(v6, "w") as f:
                    f.write("1")
            ok = ok and all(run("ip", "link", "set", i, "master", self.name) for i in self.ifaces)
            ok = ok and run("ip", "link", "set", self.name, "up")
        self.ok = ok
        return self

    def __exit__(self, *exc):
        quiet_run(["ip", "link", "del", self.name])
        return False


class XdpRedirect:
    """The kernel alone: an XDP program on each host end redirects every frame to the other
    (bench/xdp_redirect.c, built with clang); `pass` on both containers' eth0, which veth needs to take
    redirected frames. No lookup, no user space: the reference for the af_xdp paths."""

    def __init__(self, if1, if2, ns1, ns2, tmp):
        self.if1, self.if2, self.ns1, self.ns2, self.tmp = if1, if2, ns1, ns2, Path(tmp)
        self.describe = ("ip link set dev %s xdpdrv obj to_if2.o sec xdp program to_peer; ip link set dev %s xdpdrv "
                         "obj to_if1.o sec xdp program to_peer; ip -n NS link set dev eth0 xdpdrv obj to_if1.o sec "
                         "xdp program pass (both containers)" % (if1, if2))

    def build(self, install, build_log):
        """-> tmp/to_if1.o, tmp/to_if2.o: the redirect to each host end (its ifindex built in). True if built."""
        if not quiet_run(["sh", "-c", "command -v clang"]) and install:
            apt_install(["clang", "linux-libc-dev"], Path(build_log).with_name("apt-install.log"))
        # linux/bpf.h includes asm/types.h, which Debian keeps under the multiarch include folder.
        multiarch = subprocess.run(["gcc", "-print-multiarch"], capture_output=True, text=True).stdout.strip() \
            or "%s-linux-gnu" % os.uname().machine
        with open(build_log, "a") as out:
            for i, iface in ((1, self.if1), (2, self.if2)):
                ifindex = Path("/sys/class/net/%s/ifindex" % iface).read_text().strip()
                r = subprocess.run(["clang", "-O2", "-target", "bpf", "-I/usr/include/%s" % multiarch,
                                    "-DTO_IFINDEX=%s" % ifindex, "-c", str(env.ROOT / "bench" / "xdp_redirect.c"),
                                    "-o", str(self.tmp / ("to_if%d.o" % i))], stdout=out, stderr=subprocess.STDOUT)
                if r.returncode != 0:
                    return False
        return True

    def __enter__(self):
        t = self.tmp
        steps = [["ip", "link", "set", "dev", self.if1, "xdpdrv", "obj", t / "to_if2.o", "sec", "xdp", "program",
                  "to_peer"],
                 ["ip", "link", "set", "dev", self.if2, "xdpdrv", "obj", t / "to_if1.o", "sec", "xdp", "program",
                  "to_peer"]] + [
                 ["ip", "-n", ns, "link", "set", "dev", "eth0", "xdpdrv", "obj", t / "to_if1.o", "sec", "xdp",
                  "program", "pass"] for ns in (self.ns1, self.ns2)]
        self.ok = True
        self.errors = ""
        for s in steps:
            r = subprocess.run([str(c) for c in s], capture_output=True, text=True)
            self.errors += r.stdout + r.stderr
            if r.returncode != 0:
                self.ok = False
                break
        return self

    def __exit__(self, *exc):
        for i in (self.if1, self.if2):
            quiet_run(["ip", "link", "set", "dev", i, "xdpdrv", "off"])
        for ns in (self.ns1, self.ns2):
            quiet_run(["ip", "-n", ns, "link", "set", "dev", "eth0", "xdpdrv", "off"])
        return False
