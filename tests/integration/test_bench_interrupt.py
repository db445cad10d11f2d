"""Ctrl-C on scripts/bench.sh (issue 6): whatever part is running, it stops, and every process,
namespace, bridge, EAL runtime dir, hugepage file and temp dir it made is gone.

A terminal's Ctrl-C sends SIGINT to the whole foreground process group; the test starts the
bench in a session of its own and signals that group the same way. (A bash harness could not:
a background job of a non-interactive bash has SIGINT ignored, and no trap can undo that.)
The bench runs with --quick --no-install --no-build on the binaries under test, and is
interrupted mid-traffic, when a DPDK forwarder and the traffic it carries are running. --force:
no waiting for a quiet machine before the traffic (scripts/test.sh compiles beside the tests at
idle priority, which the bench's idle-CPU wait reads as busy); the figures are not the point.
"""
import glob
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, run, wait_for

BENCH = REPO / "scripts" / "bench.sh"
FORWARDERS = ("dpdk_switch", "dpdk-testpmd")
# Names a bench part gives what it makes (scripts/bench_pcap.sh, bench_containers.sh, bench_vhost.sh).
CONTAINER_NETNS = ("dswb1", "dswb2")
CONTAINER_LINKS = ("dswbbr0", "dswbv1", "dswbv2", "dswbovs0", "dswbphy0", "dswbint0")
PREFIXES = {"pcap": ("dswbench",), "containers": ("dswbc",), "vhost": ("dswbv_mid", "dswbv_peer")}
TMP_GLOBS = {"pcap": "/tmp/dsw_bench_pcap.*", "containers": "/tmp/dsw_bench_ct.*",
             "vhost": "/tmp/dsw_bench_vhost.*"}
DAEMONS = FORWARDERS + ("iperf3", "ping", "ovs-vswitchd", "ovsdb-server")


def procs():
    """pid -> (comm, session id) of every process now."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            comm = Path(f"/proc/{d}/comm").read_text().strip()
            out[int(d)] = (comm, os.getsid(int(d)))
        except (OSError, ProcessLookupError):
            pass
    return out


def in_session(sid, *names):
    return [(pid, comm) for pid, (comm, s) in procs().items() if s == sid and (not names or comm in names)]


def litter(part, tmp_before, daemons_before):
    """What the part left behind, as readable strings (empty: nothing)."""
    left = []
    netns = run(["ip", "netns", "list"], check=False).stdout.split()
    left += [f"netns {n}" for n in CONTAINER_NETNS if n in netns]
    for link in CONTAINER_LINKS:
        if run(["ip", "link", "show", link], check=False).returncode == 0:
            left.append(f"link {link}")
    for pre in PREFIXES[part]:
        left += [f"EAL runtime dir {p}" for p in glob.glob(f"/var/run/dpdk/{pre}*")]
        left += [f"hugepage file {p}" for p in glob.glob(f"/dev/hugepages/{pre}*")]
    left += [f"temp dir {p}" for p in set(glob.glob(TMP_GLOBS[part])) - tmp_before]
    left += [f"process {pid} {comm}" for pid, (comm, _) in procs().items()
             if comm in DAEMONS and pid not in daemons_before]
    return left


def sweep(part):
    """Last resort after a failed test: the next tests must not inherit the bench's leftovers."""
    for pid, (comm, _) in procs().items():
        if comm in FORWARDERS and any(pre in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
                                      for pre in PREFIXES[part]):
            os.kill(pid, signal.SIGKILL)
    for n in CONTAINER_NETNS:
        run(["ip", "netns", "del", n], check=False)
    for link in CONTAINER_LINKS:
        run(["ip", "link", "del", link], check=False)
    for pre in PREFIXES[part]:
        run(["sh", "-c", f"rm -rf /var/run/dpdk/{pre}* /dev/hugepages/{pre}*"], check=False)


@pytest.mark.parametrize("part, busy", [
    # pcap: interrupted while a forwarder replays the pcap ports
    ("pcap", lambda sid: in_session(sid, *FORWARDERS)),
    # containers: interrupted while a forwarder carries iperf3 between the two namespaces
    ("containers", lambda sid: in_session(sid, *FORWARDERS) and in_session(sid, "iperf3")),
    # vhost: interrupted while both DPDK processes (the middle and its virtio-user peer) run
    ("vhost", lambda sid: len(in_session(sid, *FORWARDERS)) >= 2),
])
def test_ctrl_c_stops_the_bench_and_leaves_nothing_behind(binaries, tmp_path, part, busy):
    # Runtime dirs and hugepage files of these prefixes from before (an earlier run killed, a
    # benchmark binary interrupted by hand) are not this run's: start from none, so that every
    # one found afterwards is the bench's.
    for pre in PREFIXES[part]:
        run(["sh", "-c", f"rm -rf /var/run/dpdk/{pre}* /dev/hugepages/{pre}*"], check=False)
    tmp_before = set(glob.glob(TMP_GLOBS[part]))
    daemons_before = {pid for pid, (comm, _) in procs().items() if comm in DAEMONS}
    env = dict(os.environ, DSW_BUILD_DIR=str(binaries.switch.parents[1]))
    log = open(tmp_path / "bench.log", "w")
    bench = subprocess.Popen(["bash", str(BENCH), "--quick", "--no-install", "--no-build", "--force", "--only", part,
                              "-o", str(tmp_path / "results")],
                             stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
                             start_new_session=True)
    try:
        # The signal goes the moment the part is seen busy: nothing between the look and the
        # signal that could let the bench end first.
        seen = []
        try:
            wait_for(lambda: seen.append(busy(bench.pid)) or seen[-1] or bench.poll() is not None, timeout=150,
                     interval=0.2, what=f"the {part} part to carry traffic")
        except AssertionError:
            raise AssertionError(f"the bench did not get busy; its log:\n{(tmp_path / 'bench.log').read_text()}")
        if seen[-1]:
            os.killpg(bench.pid, signal.SIGINT)   # what Ctrl-C on the terminal does
        t0 = time.monotonic()
        assert seen[-1], f"the bench ended before it was interrupted:\n{(tmp_path / 'bench.log').read_text()}"
        running = in_session(bench.pid)
        try:
            rc = bench.wait(timeout=60)
        except subprocess.TimeoutExpired:
            ps = run(["ps", "-o", "pid,ppid,stat,wchan:20,etimes,args", "-s", str(bench.pid)], check=False).stdout
            raise AssertionError(f"the bench did not stop within 60 s of Ctrl-C; still running:\n{ps}\n"
                                 f"(running when interrupted: {running})\n"
                                 f"log:\n{(tmp_path / 'bench.log').read_text()}")
        took = time.monotonic() - t0
        text = (tmp_path / "bench.log").read_text()
        assert rc == 130, (f"exit status {rc} after Ctrl-C (busy when interrupted: {seen[-1]}; "
                           f"running just after: {running}); log:\n{text}")
        assert took < 15, f"the bench took {took:.0f} s to stop; log:\n{text}"
        # Give processes the bench signalled, but did not wait for, a moment to go.
        leftovers = []
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            leftovers = [f"process {pid} {comm} (still in the bench's session)" for pid, comm in in_session(bench.pid)]
            leftovers += litter(part, tmp_before, daemons_before)
            if not leftovers:
                break
            time.sleep(0.2)
        assert not leftovers, (f"left behind after Ctrl-C: {leftovers}\n"
                               f"(running when interrupted: {running})\nlog:\n{text}")
    finally:
        if bench.poll() is None:
            os.killpg(bench.pid, signal.SIGKILL)
            bench.wait(timeout=10)
        for pid, _ in in_session(bench.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        sweep(part)
        log.close()
