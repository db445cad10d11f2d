"""A container's own overlay switched as it is: kernel vxlan devices in two namespaces, one on a
vtap port's interface (moved into it), one on a veth port, every device with its default offloads.
The switch is no VTEP here: it switches the VXLAN frames between its ports.

      namespace A (tgso<pid>a)                                           namespace B (tgso<pid>b)
   vx0 10.88.0.1 ─ tap tgso<pid>t ══ vtap port "a" ── dpdk_switch ── veth port "b" ═ tgso<pid>v ─ eth0 ─ vx0 10.88.0.2
                   192.168.<n>.1                                                           192.168.<n>.2

A's vxlan hands its tap UDP-tunnel GSO skbs (64 KB TCP segments inside VXLAN), which the veth
port cannot take whole: the switch segments them in software, as a Linux bridge's egress would.
B's vxlan sends the same through its veth, and the vtap port takes them whole. Run again with B on
a second vtap (its tap moved into B): whole both ways, nothing segmented. Before, both were
offload_unsupported drops and TCP stalled. Checked by an HTTP download each way (sha256), no
offload drops on either port, and the switch's counters: A's tap handed over 64 KB frames and got
B's as such, port b segmented in software.
"""

import hashlib
import os
import subprocess

import pytest

from conftest import run, wait_for
from vxlan_util import PY, del_namespaces, drops_and_segmented, fetch_sha256, ns_exec

PID = os.getpid() % 100000
BLOB = 16 << 20


class Overlay:
    """b_kind "veth": B's underlay is a veth whose peer is port b; "vtap": the switch's second tap,
    moved into B."""

    def __init__(self, b_kind):
        p = f"tgso{PID}"
        self.b_kind = b_kind
        self.a, self.b = f"{p}a", f"{p}b"
        self.tap, self.veth, self.tap_b = f"{p}t", f"{p}v", f"{p}u"
        net = 200 + PID % 50
        self.a_ul, self.b_ul = f"192.168.{net}.1", f"192.168.{net}.2"
        self.a_ip, self.b_ip = "10.88.0.1", "10.88.0.2"

    def ports(self):
        b = {"name": "b", "type": "veth", "iface": self.veth} if self.b_kind == "veth" else \
            {"name": "b", "type": "vtap", "iface": self.tap_b}
        return [{"name": "a", "type": "vtap", "iface": self.tap}, b]

    def make(self):
        run(["ip", "netns", "add", self.a])
        run(["ip", "netns", "add", self.b])
        if self.b_kind == "veth":
            run(["ip", "link", "add", self.veth, "type", "veth", "peer", "name", "eth0", "netns", self.b])
            run(["sysctl", "-qw", f"net.ipv6.conf.{self.veth}.disable_ipv6=1"])
            run(["ip", "link", "set", self.veth, "up"])
            self._vtep(self.b, "eth0", self.b_ul, self.a_ul, self.b_ip)

    def up(self):
        """The switch made its taps: each into its namespace, the underlay of its vxlan."""
        run(["ip", "link", "set", self.tap, "netns", self.a])
        self._vtep(self.a, self.tap, self.a_ul, self.b_ul, self.a_ip)
        if self.b_kind == "vtap":
            run(["ip", "link", "set", self.tap_b, "netns", self.b])
            self._vtep(self.b, self.tap_b, self.b_ul, self.a_ul, self.b_ip)

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


def _fetch(ns, url, out, sw):
    """sha256 of what curl in `ns` got from url; a failed fetch shows ports a and b's drops."""
    return fetch_sha256(ns, url, out, sw, tries=40, max_time=30, diagnose=lambda: drops_and_segmented(sw, "a", "b"))


def _avg(before, after, port, way):
    """Bytes per frame `port` counted `way` ("rx"/"tx") between two port_stats(), and the bytes."""
    n = after[port][f"{way}_packets"] - before[port][f"{way}_packets"]
    b = after[port][f"{way}_bytes"] - before[port][f"{way}_bytes"]
    return (b / n if n else 0), b


@pytest.mark.parametrize("b_kind", ["veth", "vtap"])
def test_a_containers_own_vxlan_tcp_crosses_the_switch_both_ways(switch, b_kind):
    """veth: A's tunnel GSO frames leave on the veth segmented in software (before: dropped as
    offload_unsupported, curl timed out), B's reach the vtap whole. vtap: whole both ways."""
    o = Overlay(b_kind)
    servers = []
    d = f"/tmp/tgso-{PID}-www"
    try:
        o.make()
        sw = switch(o.ports(), idle_sleep_us=50)
        o.up()
        info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
        assert "udp_tunnel_tso" in info["a"].get("tx_offloads", []), info["a"]
        assert ("udp_tunnel_tso" in info["b"].get("tx_offloads", [])) == (b_kind == "vtap"), info["b"]
        wait_for(lambda: ns_exec(o.a, "ping", "-c", "1", "-W", "1", o.b_ip, check=False).returncode == 0, 15,
                 interval=0.5, what="the overlay up")
        os.makedirs(d, exist_ok=True)
        blob = os.urandom(BLOB)
        want = hashlib.sha256(blob).hexdigest()
        with open(f"{d}/blob", "wb") as f:
            f.write(blob)
        del blob

        # A -> B: A's vxlan's 64 KB segments reach the switch whole.
        servers.append(subprocess.Popen(["ip", "netns", "exec", o.a, PY, "-m", "http.server", "8080", "--bind",
                                         o.a_ip, "--directory", d], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(o.b, f"http://{o.a_ip}:8080/blob", f"{d}/got-b", sw) == want
        after = sw.port_stats()
        avg, got = _avg(before, after, "a", "rx")
        assert got > BLOB and avg > 8000, ("A's tap handed over no GSO frames", avg, got)
        split = after["b"]["gso_segmented"] - before["b"]["gso_segmented"]
        if b_kind == "veth":
            assert split > 0, after["b"]
        else:
            avg, sent = _avg(before, after, "b", "tx")
            assert split == 0 and avg > 8000, ("not whole to B's vtap", avg, sent, after["b"])

        # B -> A: B's vxlan's segments, through its veth or tap, go to A's vtap whole, with the
        # tunnel header B's kernel wrote.
        servers.append(subprocess.Popen(["ip", "netns", "exec", o.b, PY, "-m", "http.server", "8080", "--bind",
                                         o.b_ip, "--directory", d], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(o.a, f"http://{o.b_ip}:8080/blob", f"{d}/got-a", sw) == want
        after = sw.port_stats()
        avg, sent = _avg(before, after, "a", "tx")
        assert sent > BLOB and avg > 8000, ("not whole to A's vtap", avg, sent)
        assert after["a"]["gso_segmented"] == 0, after["a"]
        stats = sw.port_stats()
        drops = {(p, k): v for p in ("a", "b") for k, v in stats[p]["drops"].items() if k.startswith("offload")}
        assert drops == {}, drops
    finally:
        for s in servers:
            s.kill()
            s.wait()
        subprocess.run(["rm", "-rf", d])
        o.down()
