"""Port types beyond af_packet and hot-plug: containers plugged in and out of a running switch,
and real DPDK peers (dpdk-testpmd) on vhost-user and memif ports that go away and come back.

  c1 (netns) eth0 10.77.0.2 --veth-- af_packet "c1" -+                +- vhost "vm1" (server or client)
  c2 (netns) eth0 10.77.0.3 --veth-- af_packet "c2" -+  dpdk_switch   |    == vhost-user socket ==
  c3 (netns) eth0 10.77.0.4 --veth-- af_packet "c3" -+  (lcore 1)     |    dpdk-testpmd, net_virtio_user0,
               added/deleted at run time (port add/del)               |    --forward-mode=icmpecho
                                                                      +- memif "app1" (server)
                                                                           == memif socket ==
                                                                           dpdk-testpmd, net_memif0 role=client

testpmd in icmpecho mode answers every ARP request and ICMP echo request it receives, so a
container's `ping <any address in its subnet>` crosses the switch to the DPDK peer and back.
testpmd runs with --no-huge, its own file prefix and its two lcores both on CPU 0
(--lcores 0@0,1@0): the switch's worker keeps CPU 1. Functional checks only, no throughput.
It exits when its stdin closes: the test holds a pipe to it.
"""

import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import (CTL_DIR, DPDK_RUNTIME_DIR, NAME_PREFIX, PID, REPO, SUBNET, af_packet_ports, free_hugepages,
                      wait_for)

TESTPMD = shutil.which("dpdk-testpmd")
PEER_IP = f"{SUBNET}.99"   # nobody has it: testpmd's icmpecho answers for it
HTTP_PORT = 8080


def ping_received(proc):
    m = re.search(r"(\d+) received", proc.stdout)
    return int(m.group(1)) if m else 0


def port_info(sw, name):
    return sw.ctl("show", "port", "info", name)["ports"][0]


def wait_link(sw, name, up, timeout=15):
    wait_for(lambda: port_info(sw, name)["link_up"] == up, timeout,
             what=f"port {name} link {'up' if up else 'down'}")


def wait_ping(container, ip, timeout=15):
    """Pings until a reply comes back (a peer may need a moment to be ready)."""
    wait_for(lambda: container.ping(ip, count=1, wait_s=1, check=False).returncode == 0,
             timeout, interval=0.2, what=f"{container.name} to get a reply from {ip}")


class DpdkPeer:
    """One dpdk-testpmd with one virtual device, forwarding in icmpecho mode."""
    seq = 0

    def __init__(self, vdev, log_dir):
        DpdkPeer.seq += 1
        self.vdev = vdev
        self.prefix = f"{NAME_PREFIX}{PID}p{DpdkPeer.seq}"
        self.log_path = Path(log_dir) / f"testpmd-{self.prefix}.log"
        self.proc = None

    def start(self):
        self._log = open(self.log_path, "w")
        args = [TESTPMD, "--lcores", "0@0,1@0", "--no-huge", "-m", "512", "--no-pci",
                "--file-prefix", self.prefix, "--vdev", self.vdev, "--",
                "--forward-mode=icmpecho", "--nb-cores=1", "--total-num-mbufs=8192",
                "--rxd=512", "--txd=512"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        return self

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def stop(self, kill=False):
        """kill: SIGKILL, as a crash; else close stdin, which testpmd takes for 'exit'."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        if self.proc.stdin and not self.proc.stdin.closed:
            self.proc.stdin.close()
        self._log.close()
        self.proc = None
        shutil.rmtree(DPDK_RUNTIME_DIR / self.prefix, ignore_errors=True)


@pytest.fixture
def testpmd(tmp_path):
    """Factory: testpmd(vdev) -> a started DpdkPeer; all are stopped (and their logs printed) at
    teardown, before the switch and the containers go."""
    if TESTPMD is None:
        pytest.skip("dpdk-testpmd is not installed (Debian package dpdk)")
    made = []

    def make(vdev):
        t = DpdkPeer(vdev, tmp_path)
        made.append(t)
        return t.start()

    yield make
    for t in made:
        t.stop()
        print(f"--- {t.log_path} ---\n{t.log()}")


@pytest.fixture
def sock_path():
    """Factory: sock_path(name) -> a unix socket path for this test; removed at teardown."""
    made = []

    def make(name):
        CTL_DIR.mkdir(parents=True, exist_ok=True)
        p = CTL_DIR / f"{NAME_PREFIX}{PID}-{name}-{len(made)}.sock"
        p.unlink(missing_ok=True)
        made.append(p)
        return p

    yield make
    for p in made:
        p.unlink(missing_ok=True)


# --- hot-plug of containers -------------------------------------------------------------------

def test_container_plugged_in_and_out_at_run_time(netns, switch, tmp_path):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)

    # container.sh add --ctl: the new container's veth becomes port c3 (a veth port, beside the
    # af_packet ones) of the running switch.
    c3 = netns(ctl=(sw.sock, "c3"))
    info = port_info(sw, "c3")
    assert (info["type"], info["devargs"]) == ("veth", "")   # the switch's own I/O: no DPDK device
    wait_link(sw, "c3", True)
    c1.ping(c3.ip)
    assert any(e["mac"] == c3.mac and e["port"] == "c3" for e in sw.mac_table())

    # Deleted: c3 is unreachable, its MAC is gone, c1 <-> c2 still works.
    assert sw.ctl("port", "del", "c3")["ok"] is True
    assert [p["name"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["c1", "c2"]
    assert not any(e["mac"] == c3.mac for e in sw.mac_table())
    assert ping_received(c1.ping(c3.ip, count=3, check=False)) == 0
    c1.ping(c2.ip)

    # Back again, with counters that start from zero.
    assert sw.ctl("port", "add", "c3", "af_packet", f"iface={c3.hostif}")["ok"] is True
    assert sw.port_stats()["c3"]["rx_packets"] == 0
    wait_link(sw, "c3", True)
    c1.ping(c3.ip)

    # container.sh del --ctl takes the port out before the veth goes.
    subprocess.run([str(REPO / "scripts" / "container.sh"), "del",
                    c3.name, c3.hostif, "--ctl", str(sw.sock), "c3"], check=True, timeout=30)
    assert "c3" not in sw.port_stats()
    c1.ping(c2.ip)


def rps_mask(container):
    text = container.exec("cat", "/sys/class/net/eth0/queues/rx-0/rps_cpus").stdout
    return int(text.strip().replace(",", ""), 16)


def test_container_rx_cpus_steers_receive_processing(netns, switch):
    """container.sh --rx-cpus: the container's eth0 hands its receive processing to those CPUs
    (rps_cpus), traffic through the switch still flows; a mask the kernel refuses fails the add
    with a message that says so, and leaves no namespace or interface behind."""
    c1, c2 = netns(rx_cpus="1"), netns(rx_cpus="1")
    assert (rps_mask(c1), rps_mask(c2)) == (1, 1)
    assert rps_mask(netns()) == 0   # without the option: no steering
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)

    # One CPU past the last this machine can have.
    last = int(Path("/sys/devices/system/cpu/possible").read_text().strip().split("-")[-1])
    name, hostif = f"{NAME_PREFIX}{PID}rx", f"{NAME_PREFIX}{PID}rxh"
    try:
        r = subprocess.run([str(REPO / "scripts" / "container.sh"), "add", name, hostif, f"{SUBNET}.250/24",
                            "--rx-cpus", "%x" % (1 << (last + 1))], capture_output=True, text=True, timeout=30)
        assert r.returncode != 0
        assert "the kernel refused --rx-cpus" in r.stderr
        assert name not in subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
        assert subprocess.run(["ip", "link", "show", hostif], capture_output=True).returncode != 0
    finally:
        subprocess.run([str(REPO / "scripts" / "container.sh"), "del", name, hostif], timeout=30)


def test_add_del_cycles_do_not_disturb_other_ports(netns, switch):
    """20 add/del cycles of c3 while c1 pings c2 every 50 ms: no echo is lost or duplicated, no
    MAC moves, the switch answers throughout, and the mbuf pool is back where it started."""
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)
    free_before = sw.ctl("show", "switch", "stats")["mbufs"]["free"]

    pinger = c1.popen("ping", "-n", "-i", "0.05", "-W", "1", c2.ip, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    try:
        for _ in range(20):
            assert sw.ctl("port", "add", "c3", "af_packet", f"iface={c3.hostif}")["ok"] is True
            wait_link(sw, "c3", True)
            c3.ping(c1.ip, count=1, wait_s=2)
            assert sw.ctl("port", "del", "c3")["ok"] is True
    finally:
        time.sleep(0.5)
        pinger.send_signal(signal.SIGINT)
        out, _ = pinger.communicate(timeout=10)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    sent, received = int(m.group(1)), int(m.group(2))
    assert sent >= 20 and received >= sent - 1, out   # the last echo may be in flight at SIGINT
    # A duplicate would mean c1/c2 frames entered the switch again through c3 (net_af_packet
    # 22.11 hears every interface until its socket is bound; the switch discards that).
    assert "duplicates" not in out, out
    assert sw.ctl("show", "switch", "stats")["moves"] == 0

    stats = sw.ctl("show", "switch", "stats")
    assert stats["mbufs"]["committed"] == 2 * (1024 + 1024 + 1024), stats
    # Frames in flight and per-lcore caches make the count move a little; a leak of a port's
    # descriptors or ring per cycle would show by thousands.
    assert abs(stats["mbufs"]["free"] - free_before) < 600, (free_before, stats["mbufs"])


def test_port_add_refusals(netns, switch, sock_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    for args, reason in [
        (["port", "add", "c1", "af_packet", f"iface={c1.hostif}"], "exists already"),
        (["port", "add", "c9", "af_packet", f"iface={c1.hostif}"], f"interface {c1.hostif} is port c1"),
        (["port", "add", "c9", "af_packet", "iface=dswtnosuchif"], "does not exist"),
        (["port", "add", "x1", "af_xdp", "iface=lo"], "af_xdp needs hugepages"),
        (["port", "add", "v1", "virtio_user", f"path={sock_path('nobody')}"], "no vhost-user socket"),
        (["port", "add", "c9", "af_packet", "iface=lo", "lcore=0"], "not a worker lcore"),
        (["port", "add", "c9", "af_packet", "colour=blue"], "colour"),
        (["port", "del", "nosuch"], "no port named"),
    ]:
        proc = sw.ctl_raw(*args, json=True)
        assert proc.returncode == 1, (args, proc.stdout)
        assert reason in proc.stdout, (args, proc.stdout)
    assert list(sw.port_stats()) == ["c1"]


# --- DPDK peers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["server", "client"])
def test_vhost_peer_exchanges_traffic_and_comes_back(netns, switch, testpmd, sock_path, mode):
    """The switch's vhost port and testpmd's virtio-user: ping c1 -> testpmd through the switch;
    testpmd killed -> link down, no replies; testpmd restarted -> traffic resumes, with no
    restart of the switch. In client mode the switch reconnects by itself."""
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    sock = sock_path("vm1")
    if mode == "server":
        vdev = f"net_virtio_user0,path={sock},queues=1,mac=02:00:00:00:aa:01"
        assert sw.ctl("port", "add", "vm1", "vhost", f"path={sock}")["ok"] is True
        peer = testpmd(vdev)
    else:
        # virtio-user as the server: the switch connects to it.
        vdev = f"net_virtio_user0,path={sock},queues=1,server=1,mac=02:00:00:00:aa:01"
        peer = testpmd(vdev)
        wait_for(sock.exists, 15, what=f"testpmd to listen on {sock}")
        assert sw.ctl("port", "add", "vm1", "vhost", f"path={sock}", "client=true")["ok"] is True

    wait_link(sw, "vm1", True)
    info = port_info(sw, "vm1")
    assert info["type"] == "vhost" and info["peer"] == "connected", info
    wait_ping(c1, PEER_IP)
    stats = sw.port_stats()["vm1"]
    assert stats["rx_packets"] > 0 and stats["tx_packets"] > 0, stats
    assert any(e["mac"] == "02:00:00:00:aa:01" and e["port"] == "vm1" for e in sw.mac_table())

    peer.stop(kill=True)
    wait_link(sw, "vm1", False)
    assert port_info(sw, "vm1")["peer"] == "disconnected"
    wait_for(lambda: "port vm1: link down (peer gone" in sw.log(), 3, what="the switch to log the peer leaving")
    assert ping_received(c1.ping(PEER_IP, count=2, check=False)) == 0

    if mode == "client":
        sock.unlink(missing_ok=True)   # a killed server leaves its socket file behind
    rx_before = sw.port_stats()["vm1"]["rx_packets"]
    peer = testpmd(vdev)
    wait_link(sw, "vm1", True, timeout=20)
    wait_ping(c1, PEER_IP)
    assert sw.port_stats()["vm1"]["rx_packets"] > rx_before
    wait_for(lambda: "port vm1: link up (peer connected)" in sw.log(), 3, what="the switch to log the peer's return")

    # Deleted while its peer is attached: closes cleanly, the switch carries on.
    assert sw.ctl("port", "del", "vm1")["ok"] is True
    assert "vm1" not in sw.port_stats()
    assert sw.proc.poll() is None


def test_memif_peer_exchanges_traffic_and_comes_back(netns, switch, testpmd, sock_path):
    """A memif server port in the config and testpmd's net_memif client (socket-abstract=no, as
    the switch uses a file-system socket the way VPP does)."""
    c1 = netns()
    sock = sock_path("memif")
    sw = switch(af_packet_ports(c1=c1) + [{"name": "app1", "type": "memif", "socket": str(sock), "id": 0}])
    assert port_info(sw, "app1")["peer"] == "disconnected"
    vdev = f"net_memif0,role=client,id=0,socket={sock},socket-abstract=no,mac=02:00:00:00:bb:01"
    peer = testpmd(vdev)
    wait_link(sw, "app1", True)
    assert port_info(sw, "app1")["peer"] == "connected"
    wait_ping(c1, PEER_IP)
    stats = sw.port_stats()["app1"]
    assert stats["rx_packets"] > 0 and stats["tx_packets"] > 0, stats
    wait_for(lambda: "port app1: link up (peer connected)" in sw.log(), 3, what="the switch to log the peer's arrival")

    peer.stop(kill=True)
    wait_link(sw, "app1", False)
    assert ping_received(c1.ping(PEER_IP, count=2, check=False)) == 0
    wait_for(lambda: "port app1: link down (peer gone" in sw.log(), 3, what="the switch to log the peer leaving")
    peer = testpmd(vdev)
    wait_link(sw, "app1", True, timeout=20)
    wait_ping(c1, PEER_IP)


def test_virtio_user_port_against_a_vhost_backend(netns, switch, testpmd, sock_path):
    """The switch as the guest: its virtio_user port connects to testpmd's net_vhost."""
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    sock = sock_path("vhost-backend")
    testpmd(f"net_vhost0,iface={sock},queues=1")
    wait_for(sock.exists, 15, what=f"testpmd to listen on {sock}")
    assert sw.ctl("port", "add", "v1", "virtio_user", f"path={sock}")["ok"] is True
    wait_link(sw, "v1", True)
    assert port_info(sw, "v1")["peer"] == "connected"
    wait_ping(c1, PEER_IP)
    assert sw.ctl("port", "del", "v1")["ok"] is True


# --- af_xdp -------------------------------------------------------------------------------------

def test_af_xdp_containers_ping_and_curl(netns, switch, tmp_path):
    """Two containers on af_xdp ports (hugepage EAL memory), a third added at run time."""
    if free_hugepages() < 160:
        pytest.skip("af_xdp needs hugepages: fewer than 160 free 2 MiB pages")
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch([{"name": n, "type": "af_xdp", "iface": c.hostif} for n, c in (("c1", c1), ("c2", c2))],
                eal={"no_huge": False, "memory_mb": 256})
    assert [p["type"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["af_xdp", "af_xdp"]
    c1.ping(c2.ip)

    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("over af_xdp\n")
    c2.popen(sys.executable, "-m", "http.server", HTTP_PORT, "--bind", c2.ip, "--directory", www,
             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{c2.ip}:{HTTP_PORT}/index.html"
    body = wait_for(lambda: c1.exec("curl", "-sS", "--max-time", "3", url, check=False).stdout, 15,
                    interval=0.3, what=f"curl {url}")
    assert body == "over af_xdp\n"

    # Added, deleted and added again on the same interface (net_af_xdp 22.11 leaves the queue
    # bound unless the switch closes the socket it leaks), with the shared pool unharmed: the
    # fill ring comes from a pool of the port's own.
    free_before = sw.ctl("show", "switch", "stats")["mbufs"]["free"]
    for _ in range(3):
        assert sw.ctl("port", "add", "c3", "af_xdp", f"iface={c3.hostif}")["ok"] is True
        wait_link(sw, "c3", True)
        c3.ping(c1.ip)
        assert sw.ctl("port", "del", "c3")["ok"] is True
    c1.ping(c2.ip)
    assert abs(sw.ctl("show", "switch", "stats")["mbufs"]["free"] - free_before) < 600
