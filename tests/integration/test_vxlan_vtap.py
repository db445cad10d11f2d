"""dpdk_switch (host A) on a `vtap` VXLAN underlay against the kernel's vxlan (host B), every host
with its default offloads: a container's 64 KB TCP segments cross the tunnel whole both ways.

      host A: dpdk_switch (VTEP 192.168.<n>.1)                          host B: namespace vtp<pid>hb
   a1 (ns, default offloads) ─ veth a1 ┐ VLAN 10 <-> VNI 1010       ┌ vx0 (kernel vxlan) ─ br0 ─ veth ─ b1 (ns)
                                        └ vtap up0 = tap vtp<pid>t ─ bridge vtp<pid>br ─ veth vtp<pid>ua ══ ub

A→B: a1's TSO segments are encapsulated whole (the tap takes UDP-tunnel GSO) and B's kernel gets
one skb per segment; B→A: B's vxlan hands the tap UDP-tunnel GSO skbs, which the switch
decapsulates and passes whole to a1. Checked by a 64 MB HTTP download each way (sha256), by the
switch's counters (up0's frames average far past the MTU; nothing split in software), and by what
B's underlay interface saw.
"""

import hashlib
import os
import subprocess

import pytest

from conftest import run, wait_for
from vxlan_util import CONTAINER_MTU, PY
from vxlan_util import del_namespaces, fetch_sha256, ns_exec as _ns

PID = os.getpid() % 100000
VNI = 1010
BLOB = 64 << 20


class VtapHostB:
    """Host B behind a bridge the test makes for the switch's tap: a namespace with the underlay's
    far end, a kernel vxlan on a Linux bridge and a container b1 behind it, default offloads."""

    def __init__(self, net):
        p = f"vtp{PID}"
        self.ns, self.b1 = f"{p}hb", f"{p}b1"
        self.tap, self.br, self.ua, self.ub, self.b1h = f"{p}t", f"{p}br", f"{p}ua", f"{p}ub", f"{p}bh"
        self.a_ip, self.b_ip = f"192.168.{net}.1", f"192.168.{net}.2"
        self.b1_ip = "10.77.0.99"

    def up(self):
        run(["ip", "netns", "add", self.ns])
        run(["ip", "netns", "add", self.b1])
        run(["ip", "link", "add", self.br, "type", "bridge"])
        run(["ip", "link", "add", self.ua, "type", "veth", "peer", "name", self.ub])
        run(["ip", "link", "set", self.ub, "netns", self.ns])
        for dev in (self.br, self.ua):
            run(["sysctl", "-qw", f"net.ipv6.conf.{dev}.disable_ipv6=1"])
        run(["ip", "link", "set", self.ua, "master", self.br])
        for dev in (self.ua, self.br):
            run(["ip", "link", "set", dev, "up"])
        h = lambda *a: _ns(self.ns, *a)
        h("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        h("ip", "link", "set", "lo", "up")
        h("ip", "addr", "add", f"{self.b_ip}/24", "dev", self.ub)
        h("ip", "link", "set", self.ub, "up")
        h("ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "remote", self.a_ip, "local", self.b_ip,
          "dstport", "4789", "dev", self.ub)
        h("ip", "link", "add", "br0", "type", "bridge")
        h("ip", "link", "set", "vx0", "master", "br0")
        run(["ip", "link", "add", self.b1h, "type", "veth", "peer", "name", "eth0", "netns", self.b1])
        run(["ip", "link", "set", self.b1h, "netns", self.ns])
        h("ip", "link", "set", self.b1h, "master", "br0")
        for dev in ("vx0", "br0", self.b1h):
            h("ip", "link", "set", dev, "up")
        b = lambda *a: _ns(self.b1, *a)
        b("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        b("ip", "link", "set", "lo", "up")
        b("ip", "link", "set", "eth0", "mtu", str(CONTAINER_MTU))
        b("ip", "addr", "add", f"{self.b1_ip}/24", "dev", "eth0")
        b("ip", "link", "set", "eth0", "up")

    def attach_tap(self):
        """The switch made its tap: into the bridge, with B's underlay."""
        run(["sysctl", "-qw", f"net.ipv6.conf.{self.tap}.disable_ipv6=1"])
        run(["ip", "link", "set", self.tap, "master", self.br])

    def down(self):
        del_namespaces(self.b1, self.ns)
        run(["ip", "link", "del", self.ua], check=False)
        run(["ip", "link", "del", self.br], check=False)


# 64 MB each way through the tap: more patience than fetch_sha256's default.
def _fetch(ns, url, out, sw):
    return fetch_sha256(ns, url, out, sw, tries=40, max_time=60)


def _a1_through_the_tap(switch, netns, hb):
    """Container a1 (default offloads) in VLAN 10 and the switch with the tap as its underlay,
    B's VTEP resolved by ARP and b1 answering a1's ping: the switch and a1."""
    a1 = netns(tx_off=False)
    a1.exec("ip", "link", "set", "eth0", "mtu", str(CONTAINER_MTU))
    ports = [{"name": "a1", "type": "veth", "iface": a1.hostif, "vlan": 10},
             {"name": "up0", "type": "vtap", "iface": hb.tap}]
    vxlan = {"local_ip": hb.a_ip, "underlay": "up0", "vni_map": [{"vlan": 10, "vni": VNI, "remotes": [hb.b_ip]}]}
    sw = switch(ports, idle_sleep_us=50, config_extra={"vxlan": vxlan})
    hb.attach_tap()
    wait_for(lambda: sw.ctl("show", "vxlan")["vteps"][0]["resolved"], 10, what="B's VTEP resolved by ARP")
    a1.ping(hb.b1_ip)
    return sw, a1


@pytest.fixture
def host_b():
    hb = VtapHostB(net=150 + PID % 50)
    try:
        hb.up()
        yield hb
    finally:
        hb.down()


class BigFrames:
    """Counts the frames longer than 1600 bytes an interface of a namespace hears, with a packet
    socket (a GSO skb is heard whole, as one frame)."""

    SRC = ("import socket, sys, time\n"
           "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))\n"
           "s.bind((sys.argv[1], 0)); s.settimeout(0.2)\n"
           "print('ready', flush=True)\n"
           "n = big = 0; end = time.time() + 60\n"
           "while time.time() < end:\n"
           "    try:\n"
           "        b = s.recv(70000)\n"
           "    except socket.timeout:\n"
           "        continue\n"
           "    n += 1; big += len(b) > 1600\n"
           "    if big >= 100: break\n"
           "print(n, big, flush=True)\n")

    def __init__(self, ns, iface):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c", self.SRC, iface], stdout=subprocess.PIPE,
                                  text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def big(self, timeout=90):
        out = self.p.communicate(timeout=timeout)[0].split()
        return int(out[1])


def test_tcp_segments_cross_a_vtap_underlay_whole_both_ways(switch, netns, host_b):
    hb = host_b
    sw, a1 = _a1_through_the_tap(switch, netns, hb)
    info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
    assert "udp_tunnel_tso" in info["up0"].get("tx_offloads", []), info["up0"]

    d = f"/tmp/vtp-{PID}-www"
    os.makedirs(d, exist_ok=True)
    blob = os.urandom(BLOB)
    want = hashlib.sha256(blob).hexdigest()
    with open(f"{d}/blob", "wb") as f:
        f.write(blob)
    del blob
    servers = []
    try:
        # A -> B: a1 serves, B's container fetches; B's underlay must hear the segments whole.
        servers.append(a1.popen(PY, "-m", "http.server", "8080", "--bind", a1.ip, "--directory", d,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        before = sw.port_stats()["up0"]
        heard = BigFrames(hb.ns, hb.ub)
        assert _fetch(hb.b1, f"http://{a1.ip}:8080/blob", f"{d}/got-b1", sw) == want
        after = sw.port_stats()["up0"]
        big_at_b = heard.big()
        sent, sent_bytes = after["tx_packets"] - before["tx_packets"], after["tx_bytes"] - before["tx_bytes"]
        vtep = sw.ctl("show", "vxlan")["vteps"][0]
        # Split before encapsulation, 64 MB would be ~48000 frames of ~1400 bytes.
        assert sent_bytes > BLOB and sent_bytes / sent > 8000, (sent, sent_bytes, vtep)
        assert big_at_b >= 100, f"B's underlay heard {big_at_b} frames over 1600 bytes"

        # B -> A: B's container serves, a1 fetches; the tap hands the switch B's tunnel GSO skbs.
        servers.append(subprocess.Popen(["ip", "netns", "exec", hb.b1, PY, "-m", "http.server", "8080", "--bind",
                                         hb.b1_ip, "--directory", d], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()["up0"]
        assert _fetch(a1.name, f"http://{hb.b1_ip}:8080/blob", f"{d}/got-a1", sw) == want
        after = sw.port_stats()["up0"]
        got, got_bytes = after["rx_packets"] - before["rx_packets"], after["rx_bytes"] - before["rx_bytes"]
        assert got_bytes > BLOB and got_bytes / got > 8000, (got, got_bytes)
    finally:
        for s in servers:
            s.kill()
            s.wait()
        subprocess.run(["rm", "-rf", d])
    stats = sw.port_stats()
    vtep = sw.ctl("show", "vxlan")["vteps"][0]
    offload_drops = {k: v for p in ("up0", "a1") for k, v in stats[p]["drops"].items() if k.startswith("offload")}
    assert vtep["drops"] == {} and offload_drops == {}, (vtep, offload_drops)


def test_vtap_port_added_shown_and_deleted_with_its_interface(switch, netns):
    """`port add` makes the tap (up, the MTU asked), `show port info` names it and what it takes,
    `port del` removes the interface with the port; a second port on the same name is refused."""
    c = netns(tx_off=False)
    sw = switch([{"name": "c1", "type": "veth", "iface": c.hostif}])
    tap = f"vtp{PID}x"
    assert sw.ctl("port", "add", "t1", "vtap", f"iface={tap}", "mtu=1550")["ok"] is True
    link = run(["ip", "-o", "link", "show", tap]).stdout
    assert "mtu 1550" in link and ",UP" in link, link
    info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}["t1"]
    assert info["type"] == "vtap" and info["iface"] == tap, info
    assert info["tx_offloads"] == ["csum", "tso", "uso", "udp_tunnel_tso"], info
    assert "t1" in sw.port_stats()
    r = sw.ctl_raw("port", "add", "t2", "vtap", f"iface={tap}")
    assert r.returncode != 0 and tap in r.stdout, r.stdout
    assert sw.ctl("port", "del", "t1")["ok"] is True
    wait_for(lambda: run(["ip", "link", "show", tap], check=False).returncode != 0, 5, what="the tap gone")


class OuterChecksums:
    """Checks, with a packet socket on an interface of a namespace, the outer UDP checksum of the
    VXLAN frames from `src` longer than 1000 bytes (data segments, not ACKs): how many were heard,
    how many carry one (non-zero) and how many of those are right (the UDP sum over the
    pseudo-header and the datagram folds to 0xffff)."""

    SRC = ("import socket, struct, sys, time\n"
           "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))\n"
           "s.bind((sys.argv[1], 0)); s.settimeout(0.2)\n"
           "src = socket.inet_aton(sys.argv[2])\n"
           "print('ready', flush=True)\n"
           "def fold(x):\n"
           "    while x >> 16: x = (x & 0xffff) + (x >> 16)\n"
           "    return x\n"
           "def words(b):\n"
           "    if len(b) & 1: b += b'\\0'\n"
           "    return sum(struct.unpack('!%dH' % (len(b) // 2), b))\n"
           "n = nonzero = right = 0; end = time.time() + 60\n"
           "while time.time() < end and n < 500:\n"
           "    try:\n"
           "        b = s.recv(70000)\n"
           "    except socket.timeout:\n"
           "        continue\n"
           "    if len(b) <= 1000 or b[12:14] != b'\\x08\\x00' or b[23] != 17 or b[26:30] != src: continue\n"
           "    ihl = (b[14] & 15) * 4; u = 14 + ihl\n"
           "    if struct.unpack('!H', b[u + 2:u + 4])[0] != 4789: continue\n"
           "    ulen = struct.unpack('!H', b[u + 4:u + 6])[0]\n"
           "    n += 1\n"
           "    if struct.unpack('!H', b[u + 6:u + 8])[0] == 0: continue\n"
           "    nonzero += 1\n"
           "    right += fold(words(b[26:34]) + 17 + ulen + words(b[u:u + ulen])) == 0xffff\n"
           "print(n, nonzero, right, flush=True)\n")

    def __init__(self, ns, iface, src):
        self.p = subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c", self.SRC, iface, src],
                                  stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def result(self, timeout=90):
        return tuple(int(x) for x in self.p.communicate(timeout=timeout)[0].split())


def test_tunnel_segments_leave_with_their_outer_udp_checksum(switch, netns, host_b):
    """The tap takes TUN_F_UDP_TUNNEL_GSO_CSUM: A's encapsulated TCP segments ask the kernel for the
    outer UDP checksum of each segment, as B's kernel vxlan sends its own. B's underlay veth's far
    end (ua) takes no offloads, so the kernel splits and checksums them in software before it: B
    hears wire frames, each data segment from A with a right, non-zero outer UDP checksum (B's
    vxlan checks it, and the download arrives whole). A frame asking only for its inner checksum
    gets its outer one written by the switch (LCO)."""
    hb = host_b
    run(["ethtool", "-K", hb.ua, "tx", "off"])
    sw, a1 = _a1_through_the_tap(switch, netns, hb)

    d = f"/tmp/vtp-{PID}-csum"
    os.makedirs(d, exist_ok=True)
    blob = os.urandom(8 << 20)
    want = hashlib.sha256(blob).hexdigest()
    with open(f"{d}/blob", "wb") as f:
        f.write(blob)
    server = a1.popen(PY, "-m", "http.server", "8080", "--bind", a1.ip, "--directory", d,
                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        heard = OuterChecksums(hb.ns, hb.ub, hb.a_ip)
        assert _fetch(hb.b1, f"http://{a1.ip}:8080/blob", f"{d}/got-b1", sw) == want
        n, nonzero, right = heard.result()
    finally:
        server.kill()
        server.wait()
        subprocess.run(["rm", "-rf", d])
    vtep = sw.ctl("show", "vxlan")["vteps"][0]
    assert vtep["tx_packets"] > 0 and vtep["drops"] == {}, vtep
    # The bulk are segments of the kernel's split; a segment of one MSS leaves the container as no
    # GSO frame, with its inner checksum to do: the switch writes that one's outer checksum itself
    # (local checksum offload). Every one is right.
    assert n >= 100 and nonzero == n, (n, nonzero, right)
    assert right == nonzero, f"{nonzero - right} of {nonzero} outer UDP checksums wrong"
