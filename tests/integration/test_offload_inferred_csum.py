"""A container's own vxlan behind a veth on each side, the switch no VTEP: the outer UDP checksum
the switch infers for the tunnel GSO frames a veth hands it, and writes into each segment.

      namespace A (mfuz<pid>a)                                          namespace B (mfuz<pid>b)
   vx0 10.89.0.1 ─ eth0 ═ mfuz<pid>v ── veth port "a" ── dpdk_switch ── veth port "b" ── mfuz<pid>w ═ eth0 ─ vx0 10.89.0.2
                   underlay <ul>.1                                                                   underlay <ul>.2

A's vxlan hands its veth 64 KB TCP segments inside VXLAN (UDP-tunnel GSO skbs). The packet socket
of port "a" reads them with a plain virtio-net header, which has no bit for "an outer UDP checksum
per segment" (a vtap's UDP_TUNNEL_CSUM): the switch infers it from the outer UDP checksum field,
where the kernel leaves the pseudo-header sum when the tunnel has udpcsum and 0 when it has not
(udp_tunnel_layout's outer_csum, dataplane/vnet_tunnel.cc). Port "b" cannot take tunnel GSO, so
the switch segments (segment_tunnel) and writes each segment's outer UDP checksum, or 0, on
that inference.

How each case fails if the inference were wrong (each checked by breaking it locally):
  - ipv6 (the kernel's default over IPv6: checksums, a zero checksum refused on receipt): inferring
    "none" sends checksum 0, which B's kernel drops (Udp6InCsumErrors): the download stalls and
    curl fails. A checksum computed wrongly fails the same way.
  - ipv4 udpcsum (the kernel's default): B's kernel would take 0 over IPv4, so what B's underlay
    heard is checked: every VXLAN datagram from A carries a non-zero, valid UDP checksum.
  - ipv4 noudpcsum: inferring "wanted" would add checksums A's tunnel does not send: every
    datagram from A must arrive with checksum 0.
In every case the download's sha256 matches, port "b" segmented in software, port "a" took frames
far past the MTU, B counted no UDP or TCP checksum error and neither port dropped for an offload.
"""

import array
import hashlib
import os
import struct
import subprocess
import time

import pytest

from conftest import run, wait_for
from vxlan_util import PY, del_namespaces, drops_and_segmented, fetch_sha256, ns_exec

PID = os.getpid() % 100000
BLOB = 8 << 20


class Overlay:
    def __init__(self, family, udpcsum):
        p = f"mfuz{PID}"
        self.family, self.udpcsum = family, udpcsum
        self.a, self.b = f"{p}a", f"{p}b"
        self.va, self.vb = f"{p}v", f"{p}w"
        net = 100 + PID % 50
        if family == "ipv6":
            self.a_ul, self.b_ul, self.plen = f"fd00:{net}::1", f"fd00:{net}::2", 64
        else:
            self.a_ul, self.b_ul, self.plen = f"192.168.{net}.1", f"192.168.{net}.2", 24
        self.a_ip, self.b_ip = "10.89.0.1", "10.89.0.2"

    def ports(self):
        return [{"name": "a", "type": "veth", "iface": self.va}, {"name": "b", "type": "veth", "iface": self.vb}]

    def make(self):
        for ns, host in ((self.a, self.va), (self.b, self.vb)):
            run(["ip", "netns", "add", ns])
            run(["ip", "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", ns])
            run(["sysctl", "-qw", f"net.ipv6.conf.{host}.disable_ipv6=1"])
            run(["ip", "link", "set", host, "up"])
        self._vtep(self.a, self.a_ul, self.b_ul, self.a_ip)
        self._vtep(self.b, self.b_ul, self.a_ul, self.b_ip)
        # B's underlay hears each datagram as it came (no GRO merging them first).
        ns_exec(self.b, "ethtool", "-K", "eth0", "gro", "off", check=False)

    def _vtep(self, ns, local, remote, ip):
        h = lambda *a: ns_exec(ns, *a)
        h("ip", "link", "set", "lo", "up")
        h("ip", "addr", "add", f"{local}/{self.plen}", "dev", "eth0", *(["nodad"] if self.family == "ipv6" else []))
        h("ip", "link", "set", "eth0", "up")
        csum = [] if self.family == "ipv6" else ["udpcsum" if self.udpcsum else "noudpcsum"]
        h("ip", "link", "add", "vx0", "type", "vxlan", "id", "42", "remote", remote, "local", local,
          "dstport", "4789", "dev", "eth0", *csum)
        h("sysctl", "-qw", "net.ipv6.conf.vx0.disable_ipv6=1")
        h("ip", "addr", "add", f"{ip}/24", "dev", "vx0")
        h("ip", "link", "set", "vx0", "up")

    def down(self):
        del_namespaces(self.a, self.b)
        for host in (self.va, self.vb):
            run(["ip", "link", "del", host], check=False)


def _csum_errors(ns, family):
    """UDP datagrams (the outer ones; a zero checksum over IPv6 included) and TCP segments (the
    inner ones) namespace `ns` refused for their checksum."""
    snmp = ns_exec(ns, "cat", "/proc/net/snmp").stdout.splitlines()
    errors = 0
    for proto in ("Tcp:", "Udp:"):
        names, values = [l.split() for l in snmp if l.startswith(proto)]
        errors += int(values[names.index("InCsumErrors")])
    if family == "ipv6":
        for line in ns_exec(ns, "cat", "/proc/net/snmp6").stdout.splitlines():
            k, v = line.split()
            if k == "Udp6InCsumErrors":
                errors += int(v)
    return errors


def _fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def _sum16(b):
    if len(b) % 2:
        b += b"\0"
    return sum(array.array("H", b))   # native order: folded and compared as such


def _outer_udp_csums(pcap, src):
    """(checksum field, valid) of each UDP datagram to port 4789 from underlay address `src` in a
    pcap of Ethernet frames."""
    out = []
    with open(pcap, "rb") as f:
        data = f.read()
    at = 24
    while at + 16 <= len(data):
        incl = struct.unpack_from("<I", data, at + 8)[0]
        frame = data[at + 16:at + 16 + incl]
        at += 16 + incl
        et = struct.unpack_from("!H", frame, 12)[0]
        ip = frame[14:]
        if et == 0x0800 and ip[9] == 17:
            ihl = (ip[0] & 15) * 4
            if ".".join(map(str, ip[12:16])) != src:
                continue
            udp = ip[ihl:struct.unpack_from("!H", ip, 2)[0]]
            pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, len(udp))
        elif et == 0x86dd and ip[6] == 17:
            if ip[8:24] != _v6(src):
                continue
            udp = ip[40:40 + struct.unpack_from("!H", ip, 4)[0]]
            pseudo = ip[8:40] + struct.pack("!IxxxB", len(udp), 17)
        else:
            continue
        if struct.unpack_from("!H", udp, 2)[0] != 4789:
            continue
        field = struct.unpack_from("!H", udp, 6)[0]
        # A datagram the switch passed with its outer checksum left to offload (NEEDS_CSUM at the
        # outer UDP, as A's kernel hands over one whose inner checksum is complete, a RST say) is
        # heard on B's veth as CHECKSUM_PARTIAL: its field holds the pseudo-header's sum, which
        # B's kernel takes as it is (its checksum errors are counted apart).
        partial = udp[6:8] == struct.pack("=H", _fold(_sum16(pseudo)))
        out.append((field, partial or _fold(_sum16(pseudo) + _sum16(_inner_completed(udp))) == 0xffff))
    return out


def _inner_completed(udp):
    """The datagram as it is once an inner TCP checksum left to offload is filled in: a frame the
    switch passes on with the inner checksum still to do (NEEDS_CSUM) is heard so on B's veth, its
    outer checksum made for the completed one (local checksum offload). B's kernel counts a wrong
    inner checksum (Tcp InCsumErrors)."""
    at = 8 + 8 + 14   # UDP, VXLAN, inner Ethernet
    if len(udp) < at + 40 or udp[at - 2:at] != b"\x08\x00" or udp[at + 9] != 6:
        return udp
    ip = udp[at:]
    ihl = (ip[0] & 15) * 4
    tcp = bytearray(ip[ihl:struct.unpack_from("!H", ip, 2)[0]])
    tcp[16:18] = b"\0\0"
    c = ~_fold(_sum16(ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))) + _sum16(bytes(tcp))) & 0xffff
    field = at + ihl + 16
    return udp[:field] + struct.pack("=H", c) + udp[field + 2:]


def _v6(addr):
    import ipaddress
    return ipaddress.IPv6Address(addr).packed


def _fetch(ns, url, out, sw):
    """sha256 of what curl in `ns` got from url; a failed fetch shows ports a and b's drops."""
    return fetch_sha256(ns, url, out, sw, tries=40, max_time=20, diagnose=lambda: drops_and_segmented(sw, "a", "b"))


@pytest.mark.parametrize("family,udpcsum", [("ipv6", True), ("ipv4", True), ("ipv4", False)],
                         ids=["ipv6", "ipv4-udpcsum", "ipv4-noudpcsum"])
def test_outer_checksum_inferred_from_a_veth_is_what_the_segments_carry(switch, tmp_path, family, udpcsum):
    o = Overlay(family, udpcsum)
    server = dump = None
    d = tmp_path / "www"
    try:
        o.make()
        sw = switch(o.ports(), idle_sleep_us=50)
        info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
        assert "udp_tunnel_tso" not in info["b"].get("tx_offloads", []), info["b"]
        wait_for(lambda: ns_exec(o.b, "ping", "-c", "1", "-W", "1", o.a_ip, check=False).returncode == 0, 15,
                 interval=0.5, what="the overlay up")
        d.mkdir()
        blob = os.urandom(BLOB)
        (d / "blob").write_bytes(blob)
        want = hashlib.sha256(blob).hexdigest()
        del blob
        server = subprocess.Popen(["ip", "netns", "exec", o.a, PY, "-m", "http.server", "8080", "--bind", o.a_ip,
                                   "--directory", str(d)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        pcap = tmp_path / "b.pcap"
        dump = subprocess.Popen(["ip", "netns", "exec", o.b, "tcpdump", "-i", "eth0", "-s", "0", "-U", "-n", "-w",
                                 str(pcap), "udp", "port", "4789"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        wait_for(lambda: pcap.exists(), 10, what="tcpdump listening")
        errors0 = _csum_errors(o.b, family)
        before = sw.port_stats()
        assert _fetch(o.b, f"http://{o.a_ip}:8080/blob", str(tmp_path / "got"), sw) == want
        after = sw.port_stats()
        time.sleep(0.3)
        dump.terminate()
        dump.wait(timeout=10)

        rx = after["a"]["rx_packets"] - before["a"]["rx_packets"]
        rx_bytes = after["a"]["rx_bytes"] - before["a"]["rx_bytes"]
        assert rx_bytes > BLOB and rx_bytes / rx > 8000, ("A's veth handed over no tunnel GSO frames", rx, rx_bytes)
        assert after["b"]["gso_segmented"] > before["b"]["gso_segmented"], after["b"]
        assert _csum_errors(o.b, family) == errors0
        drops = {(p, k): v for p in ("a", "b") for k, v in after[p]["drops"].items() if k.startswith("offload")}
        assert drops == {}, drops

        heard = _outer_udp_csums(pcap, o.a_ul)
        assert len(heard) > BLOB // 1500, len(heard)
        if udpcsum:
            bad = [c for c, ok in heard if c == 0 or not ok]
            assert not bad, f"{len(bad)} of {len(heard)} datagrams from A without a valid outer UDP checksum"
        else:
            sums = [c for c, _ in heard if c != 0]
            assert not sums, f"{len(sums)} of {len(heard)} datagrams from A with a checksum its tunnel never sends"
    finally:
        for p in (server, dump):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        o.down()
