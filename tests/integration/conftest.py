"""Fixtures for the dpdk_switch integration tests: the real binaries, containers (network
namespaces joined by veth pairs, made by scripts/container.sh), and a switch started on them.

Run as root with Debian's python (it has pytest and scapy):
    /usr/bin/python3 -m pytest tests/integration
Binaries come from $DSW_BUILD_DIR (default: <repo>/build).

Everything a test makes (namespaces, veths, processes, sockets, DPDK runtime dirs) is removed
at teardown, also when the test fails; names carry the pytest pid ("dswt<pid>...") so that two
runs do not collide and leftovers of a killed run can be recognised and swept.
"""

import itertools
import json as jsonlib
import os
import re
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from probes import CtlConn

REPO = Path(__file__).resolve().parents[2]
CONTAINER_SH = REPO / "scripts" / "container.sh"
CTL_DIR = Path("/run/dpdk_switch")
DPDK_RUNTIME_DIR = Path("/var/run/dpdk")
HUGEPAGE_DIR = Path("/dev/hugepages")
PID = os.getpid()
NAME_PREFIX = "dswt"
SUBNET = "10.77.0"  # containers get SUBNET.2, .3, ... /24 (each test has its own namespaces)
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
CMD_TIMEOUT_S = 30.0

_netns_seq = itertools.count(1)
_switch_seq = itertools.count(1)


def wait_for(predicate, timeout, interval=0.1, what="condition"):
    """Polls predicate() until it returns something truthy (returned) or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def run(args, timeout=CMD_TIMEOUT_S, check=True, **kw):
    """subprocess.run with text output captured and a timeout; on failure the output is shown."""
    proc = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, args))} exited {proc.returncode}\n"
                             f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
    return proc


def mask(entries, fields=("age_s",)):
    """Copies of JSON objects without their time-varying fields, for comparing whole answers."""
    return [{k: v for k, v in e.items() if k not in fields} for e in entries]


# --- binaries -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Binaries:
    switch: Path
    ctl: Path


@pytest.fixture(scope="session")
def binaries():
    if os.geteuid() != 0:
        pytest.skip("integration tests need root (namespaces, veth, DPDK)")
    build = Path(os.environ.get("DSW_BUILD_DIR", REPO / "build"))
    b = Binaries(switch=build / "dpdk_switch" / "dpdk_switch",
                 ctl=build / "dpdk_switch" / "dpdk_switch_ctl")
    for p in (b.switch, b.ctl):
        if not os.access(p, os.X_OK):
            pytest.fail(f"{p} is missing: run scripts/build.sh (or set DSW_BUILD_DIR)")
    for tool in ("ip", "ethtool", "curl", "tcpdump", "ping"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/install_deps.sh")
    return b


# --- containers -----------------------------------------------------------------------------------

@dataclass
class Container:
    """A network namespace with eth0 (ip/24, mac) whose veth peer `hostif` is in the root ns."""
    name: str
    hostif: str
    ip: str
    mac: str
    procs: list = field(default_factory=list)

    def exec(self, *args, timeout=CMD_TIMEOUT_S, check=True):
        return run(["ip", "netns", "exec", self.name, *args], timeout=timeout, check=check)

    def popen(self, *args, **kw):
        """Starts a process inside the namespace; it is killed when the container is deleted."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(["ip", "netns", "exec", self.name, *map(str, args)], **kw)
        self.procs.append(proc)
        return proc

    def ping(self, ip, count=3, interval=0.2, wait_s=2, check=True):
        """ping exits 0 when at least one reply came back (a first packet may be lost to ARP)."""
        return self.exec("ping", "-n", "-c", count, "-i", interval, "-W", wait_s, ip,
                         timeout=count * interval + wait_s + 10, check=check)

    def stop_procs(self):
        for p in self.procs:
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)
        self.procs.clear()


def _container_del(name, hostif):
    run([CONTAINER_SH, "del", name, hostif], check=False)


def _sweep_stale_containers():
    """Deletes namespaces left by a run of these tests that was killed (its pid is gone)."""
    out = run(["ip", "netns", "list"], check=False).stdout
    for line in out.splitlines():
        m = re.match(rf"^({NAME_PREFIX}(\d+)c(\d+))\b", line)
        if m and not Path(f"/proc/{m.group(2)}").exists():
            _container_del(m.group(1), f"{NAME_PREFIX}{m.group(2)}h{m.group(3)}")


@pytest.fixture(scope="session")
def _swept(binaries):
    _sweep_stale_containers()


@pytest.fixture
def netns(_swept):
    """Factory: netns(ipv6=False) -> Container. Containers get consecutive IPs (SUBNET.2, .3, ...)
    and are deleted at teardown, after the processes started in them.

    IPv6 is off by default so that the links are quiet (no DAD, router solicitations or MLD):
    learning, flooding and aging then see only the traffic a test sends."""
    made = []

    def make(ipv6=False, mac=None, ctl=None, rx_cpus=None, tx_off=True):
        """ctl=(socket, port name): container.sh also plugs the veth's host end into that switch
        (`port add <name> veth iface=<hostif>`). rx_cpus: container.sh --rx-cpus.
        tx_off: container.sh --tx-off, which af_packet and af_xdp ports need (the tests' default);
        False leaves the container its default offloads, as a veth port takes them."""
        n = next(_netns_seq)
        name, hostif = f"{NAME_PREFIX}{PID}c{n}", f"{NAME_PREFIX}{PID}h{n}"
        assert len(hostif) <= 15 and len(name) <= 15
        ip = f"{SUBNET}.{len(made) + 2}"
        args = [CONTAINER_SH, "add", name, hostif, f"{ip}/24"]
        if not ipv6:
            args.append("--no-ipv6")
        if mac:
            args += ["--mac", mac]
        if ctl:
            args += ["--ctl", ctl[0], ctl[1]]
        if rx_cpus:
            args += ["--rx-cpus", rx_cpus]
        if tx_off:
            args.append("--tx-off")
        # Registered before it exists, so that a half-made container is deleted too.
        c = Container(name=name, hostif=hostif, ip=ip, mac="")
        made.append(c)
        run(args)
        link = jsonlib.loads(run(["ip", "-n", name, "-j", "link", "show", "eth0"]).stdout)
        c.mac = link[0]["address"].lower()
        return c

    yield make
    for c in reversed(made):
        c.stop_procs()
        _container_del(c.name, c.hostif)


# --- the switch -----------------------------------------------------------------------------------

class CtlError(AssertionError):
    pass


class Switch:
    """A running dpdk_switch and its control socket."""

    def __init__(self, binaries, config, config_path, log_path):
        self.bin = binaries
        self.config = config
        self.config_path = config_path
        self.log_path = log_path
        self.sock = Path(config["switch"]["ctl_socket"])
        self.prefix = config["eal"]["file_prefix"]
        self.port_names = [p["name"] for p in config.get("ports", [])]
        self.proc = None
        self.returncode = None
        self.start_failed = False

    def start(self):
        self._log = open(self.log_path, "w")
        # No EAL options: the config's eal: section supplies them (as a user would run it).
        self.proc = subprocess.Popen(
            [str(self.bin.switch), "--", "--config", str(self.config_path)],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)

    def log(self):
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    def ctl_raw(self, *args, json=True, timeout=10):
        cmd = [self.bin.ctl, "--socket", self.sock] + (["--json"] if json else []) + list(args)
        return run(cmd, timeout=timeout, check=False)

    def ctl(self, *args, json=True, timeout=10):
        """Runs one command; returns the parsed JSON answer (json=True) or the text output.
        Raises CtlError when the command fails."""
        proc = self.ctl_raw(*args, json=json, timeout=timeout)
        if proc.returncode != 0:
            raise CtlError(f"ctl {' '.join(args)} exited {proc.returncode}\n"
                           f"stdout: {proc.stdout}\nstderr: {proc.stderr}")
        if not json:
            return proc.stdout
        try:
            return jsonlib.loads(proc.stdout)
        except ValueError as e:
            raise CtlError(f"ctl {' '.join(args)}: not JSON ({e}): {proc.stdout!r}") from None

    def wait_ready(self, timeout=START_TIMEOUT_S):
        """The socket appears once every port has started; then every port must report its link
        up (a veth with both ends up), or traffic sent right away could be lost."""
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"dpdk_switch exited {self.proc.returncode} during start-up")
            if not self.sock.exists():
                return False
            try:
                ports = self.ctl("show", "port", "info", "all")["ports"]
            except CtlError:
                return False
            # A port with a software peer (vhost, memif, virtio_user) is down until its peer
            # comes, which may be after the switch.
            return all(p.get("link_up", True) or "peer" in p for p in ports)
        wait_for(ready, timeout, what=f"{self.sock} to answer with every link up")

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT_S):
        """Sends sig, waits for the exit and returns the exit code (killing it after timeout)."""
        if self.returncode is not None:
            return self.returncode
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
                self.returncode = f"no exit {timeout} s after {signal.Signals(sig).name}"
                return self.returncode
        self.returncode = self.proc.returncode
        return self.returncode

    def cleanup(self):
        self._log.close()
        # A switch that crashed or was killed cannot remove these itself. DPDK leaves its runtime
        # dir (config, fbarray files) behind on every exit.
        if self.sock.is_socket():
            self.sock.unlink()
        shutil.rmtree(DPDK_RUNTIME_DIR / self.prefix, ignore_errors=True)
        # A switch removes its hugepage map files when it exits cleanly (Eal's destructor); one
        # that crashed or was killed leaves them: 256 MiB per run otherwise.
        for f in HUGEPAGE_DIR.glob(f"{self.prefix}map_*"):
            f.unlink(missing_ok=True)

    # Shortcuts for what most tests read.
    def mac_table(self):
        return self.ctl("show", "mac", "table")["entries"]

    def port_stats(self):
        return {p["name"]: p for p in self.ctl("show", "port", "stats", "all")["ports"]}


def free_hugepages():
    """Free 2 MiB hugepages (af_xdp ports need EAL memory on hugepages)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("HugePages_Free:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def af_packet_ports(**named_containers):
    """af_packet_ports(c1=a, c2=b) -> the config's ports: list."""
    return [{"name": n, "type": "af_packet", "iface": c.hostif} for n, c in named_containers.items()]


def veth_ports(**named_containers):
    """veth_ports(c1=a, c2=b) -> the config's ports: list, of the veth kind."""
    return [{"name": n, "type": "veth", "iface": c.hostif} for n, c in named_containers.items()]


def switch_config(ports=(), tag=None, **switch_keys):
    """A config dict (dumped as JSON, which is YAML too) with a unique file prefix and socket."""
    tag = tag or f"{NAME_PREFIX}{PID}s{next(_switch_seq)}"
    return {
        "eal": {"lcores": "0-1", "no_huge": True, "memory_mb": 512, "file_prefix": tag},
        "switch": {"ctl_socket": str(CTL_DIR / f"{tag}.sock"), **switch_keys},
        "ports": list(ports),
    }


def write_config(tmp_path, config, name="switch.yaml"):
    path = tmp_path / name
    path.write_text(jsonlib.dumps(config, indent=2) + "\n")
    return path


@pytest.fixture
def switch(binaries, netns, tmp_path):
    """Factory: switch(ports=[...], **switch_keys) -> a started, answering Switch.

    Depends on netns so that the switch stops before the containers' interfaces are deleted.
    At teardown sends SIGTERM and asserts exit code 0 within 5 s. The switch's log is printed
    at teardown: pytest shows it when the test failed."""
    CTL_DIR.mkdir(parents=True, exist_ok=True)
    started = []

    def start(ports=(), eal=None, config_extra=None, **switch_keys):
        """eal: keys that replace the default eal: section's (e.g. {"no_huge": False}).
        config_extra: more top-level sections, e.g. {"arp": [...]} or {"static_macs": [...]}."""
        config = switch_config(ports, **switch_keys)
        config["eal"].update(eal or {})
        config.update(config_extra or {})
        n = len(started) + 1
        sw = Switch(binaries, config, write_config(tmp_path, config, f"switch{n}.yaml"),
                    tmp_path / f"switch{n}.log")
        started.append(sw)
        sw.start()
        try:
            sw.wait_ready()
        except AssertionError as e:
            sw.start_failed = True  # reported here; teardown need not report its exit code too
            raise AssertionError(f"{e}\n--- {sw.log_path} ---\n{sw.log()}") from None
        return sw

    yield start
    failures = []
    for sw in reversed(started):
        rc = sw.stop(signal.SIGTERM)
        print(f"--- {sw.log_path} (exit {rc}) ---\n{sw.log()}")
        sw.cleanup()
        if rc != 0 and not sw.start_failed:
            failures.append(f"{sw.config_path}: exit {rc} on SIGTERM")
    assert not failures, "; ".join(failures)


def run_to_exit(args, what):
    """Runs dpdk_switch where it must refuse to start and exit by itself: its CompletedProcess.
    One that starts anyway is stopped after START_TIMEOUT_S and fails the test."""
    args = [str(a) for a in args]
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        raise AssertionError(f"dpdk_switch started {what} and ran for "
                             f"{START_TIMEOUT_S} s\nstdout: {out}\nstderr: {err}") from None
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


@pytest.fixture
def run_switch(binaries, tmp_path):
    """run_switch(config) -> CompletedProcess (plus .config_path) of a switch that is expected to
    refuse its config and exit by itself. One that starts anyway is stopped after 20 s."""
    CTL_DIR.mkdir(parents=True, exist_ok=True)
    configs = []

    def start(config, name="bad.yaml"):
        path = write_config(tmp_path, config, name)
        configs.append(config)
        result = run_to_exit([binaries.switch, "--", "--config", path], f"with {path}")
        result.config_path = path
        return result

    yield start
    for config in configs:
        Path(config["switch"]["ctl_socket"]).unlink(missing_ok=True)
        shutil.rmtree(DPDK_RUNTIME_DIR / config["eal"]["file_prefix"], ignore_errors=True)


@pytest.fixture
def ctl_conn():
    """Factory: ctl_conn(switch) -> a CtlConn to its control socket; all are closed at teardown."""
    made = []

    def connect(sw, timeout=5.0):
        c = CtlConn(sw.sock, timeout)
        made.append(c)
        return c

    yield connect
    for c in made:
        c.close()
