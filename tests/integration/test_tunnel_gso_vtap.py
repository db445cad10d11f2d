"""A container's own overlay switched as it is: kernel vxlan devices in two namespaces, one on a
vtap port's interface (moved into it), one on a veth port, every device with its default offloads.
The switch is no VTEP here: it switches the VXLAN frames between its ports.

      namespace A (tgso<pid>a)                                           namespace B (tgso<pid>b)
   vx0 10.88.0.1 ─ tap tgso<pid>t ══ vtap port "a" ── dpdk_switch ── veth port "b" ═ tgso<pid>v ─ eth0 ─ vx0 10.88.0.2
                   192.168.<n>.1                                                           192.168.<n>.2

A's vxlan hands its tap UDP-tunnel GSO skbs (64 KB TCP segments inside VXLAN), which the veth
port cannot take whole: the switch segments them in software, as a Linux bridge's egress would.
B's vxlan sends the same through its veth, and the vtap port takes them whole. Before, both were
offload_unsupported drops and TCP stalled. Checked by an HTTP download each way (sha256), no
offload drops on either port, and the switch's counters: A's tap handed over 64 KB frames and got
B's as such, port b segmented in software.
"""

import hashlib
import os
import subprocess
import time

import pytest

from conftest import run, wait_for
from vxlan_util import PY, del_namespaces, ns_exec

PID = os.getpid() % 100000
BLOB = 16 << 20


class Overlay:
    def __init__(self):
        p = f"tgso{PID}"
        self.a, self.b = f"{p}a", f"{p}b"
        self.tap, self.veth = f"{p}t", f"{p}v"
        net = 200 + PID % 50
        self.a_ul, self.b_ul = f"192.168.{net}.1", f"192.168.{net}.2"
        self.a_ip, self.b_ip = "10.88.0.1", "10.88.0.2"

    def up_b(self):
        run(["ip", "netns", "add", self.a])
        run(["ip", "netns", "add", self.b])
        run(["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.b])
        run(["sysctl", "-qw", f"net.ipv6.conf.{self.veth}.disable_ipv6=1"])
        run(["ip", "link", "set", self.veth, "up"])
        self._vtep(self.b, "eth0", self.b_ul, self.a_ul, self.b_ip)

    def up_a(self):
        """The switch made its tap: into A, A's underlay under A's vxlan."""
        run(["ip", "link", "set", self.tap, "netns", self.a])
        self._vtep(self.a, self.tap, self.a_ul, self.b_ul, self.a_ip)

    @staticmethod
    def _vtep(ns, underlay, local, remote, ip):
        h = lambda *a: ns_exec(ns, *a)
        h("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
        h("ip", "link", "set", "lo", "up")
        h("ip", "addr", "add", f"{local}/24", "dev", underlay)
        h("ip", "link", "set", underlay, "up")
        # The kernel's defaults: an outer UDP checksum per segment (udpcsum), MTU 1450.
        h("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "remote", remote, "local", local,
          "dstport", "4789", "dev", underlay)
        h("ip", "addr", "add", f"{ip}/24", "dev", "vx0")
        h("ip", "link", "set", "vx0", "up")

    def down(self):
        del_namespaces(self.a, self.b)
        run(["ip", "link", "del", self.veth], check=False)


@pytest.fixture
def overlay():
    o = Overlay()
    try:
        o.up_b()
        yield o
    finally:
        o.down()


def _fetch(ns, url, out, sw):
    """sha256 of what curl in `ns` got from url; a failed fetch shows the switch's drops."""
    r = None
    for _ in range(40):
        r = run(["ip", "netns", "exec", ns, "curl", "-sS", "--max-time", "30", "-o", out, url], check=False, timeout=60)
        if r.returncode != 7:   # 7: connection refused, the server not listening yet
            break
        time.sleep(0.25)
    stats = sw.port_stats()
    assert r.returncode == 0, (r.stderr, {p: (stats[p]["drops"], stats[p]["gso_segmented"]) for p in ("a", "b")})
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_a_containers_own_vxlan_tcp_crosses_vtap_to_veth_both_ways(switch, overlay):
    o = overlay
    ports = [{"name": "a", "type": "vtap", "iface": o.tap}, {"name": "b", "type": "veth", "iface": o.veth}]
    sw = switch(ports, idle_sleep_us=50)
    o.up_a()
    info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
    assert "udp_tunnel_tso" in info["a"].get("tx_offloads", []), info["a"]
    assert "udp_tunnel_tso" not in info["b"].get("tx_offloads", []), info["b"]
    wait_for(lambda: ns_exec(o.a, "ping", "-c", "1", "-W", "1", o.b_ip, check=False).returncode == 0, 15,
             interval=0.5, what="the overlay up")

    d = f"/tmp/tgso-{PID}-www"
    os.makedirs(d, exist_ok=True)
    blob = os.urandom(BLOB)
    want = hashlib.sha256(blob).hexdigest()
    with open(f"{d}/blob", "wb") as f:
        f.write(blob)
    del blob
    servers = []
    try:
        # A -> B: A serves; its vxlan's 64 KB segments reach the switch whole and leave on the veth split.
        servers.append(subprocess.Popen(["ip", "netns", "exec", o.a, PY, "-m", "http.server", "8080", "--bind",
                                         o.a_ip, "--directory", d], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(o.b, f"http://{o.a_ip}:8080/blob", f"{d}/got-b", sw) == want
        after = sw.port_stats()
        got = after["a"]["rx_packets"] - before["a"]["rx_packets"]
        got_bytes = after["a"]["rx_bytes"] - before["a"]["rx_bytes"]
        assert got_bytes > BLOB and got_bytes / got > 8000, ("A's tap handed over no GSO frames", got, got_bytes)
        assert after["b"]["gso_segmented"] - before["b"]["gso_segmented"] > 0, after["b"]

        # B -> A: B serves; its vxlan's segments come through the veth and go to the vtap.
        servers.append(subprocess.Popen(["ip", "netns", "exec", o.b, PY, "-m", "http.server", "8080", "--bind",
                                         o.b_ip, "--directory", d], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(o.a, f"http://{o.b_ip}:8080/blob", f"{d}/got-a", sw) == want
        after = sw.port_stats()
        sent = after["a"]["tx_packets"] - before["a"]["tx_packets"]
        sent_bytes = after["a"]["tx_bytes"] - before["a"]["tx_bytes"]
        # The vtap takes B's segments whole, with the tunnel header B's kernel wrote.
        assert sent_bytes > BLOB and sent_bytes / sent > 8000, ("not whole to the vtap", sent, sent_bytes)
        assert after["a"]["gso_segmented"] == 0, after["a"]
    finally:
        for s in servers:
            s.kill()
            s.wait()
        subprocess.run(["rm", "-rf", d])
    stats = sw.port_stats()
    drops = {(p, k): v for p in ("a", "b") for k, v in stats[p]["drops"].items() if k.startswith("offload")}
    assert drops == {}, drops
