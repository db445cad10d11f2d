"""Containers as they come (issue 28): default offloads in every container, through dpdk_switch on the
offload-carrying `veth` port. With them on, a container's kernel hands its veth partial TCP/UDP checksums
and segments of up to 64 KB (TSO, GSO, USO); the switch must carry both to every port right.

  c1 eth0 (default offloads) --veth-- dswk-<pid>h1 --- veth "c1" ┐
  c2 eth0 (default offloads) --veth-- dswk-<pid>h2 --- veth "c2" ├ dpdk_switch (lcores 0-1, --no-huge)
  c3 ...                                                          ┘  [+ a net_pcap port "p" writing a pcap]
                                                                      [or c2 on af_packet, MTU 1000: UDP GSO]

Each test fails on af_packet ports (DSW_CONTAINER_PORT_TYPE=af_packet), which pass partial checksums on
as they are and cut 64 KB segments: the receiving kernel drops the segment for its checksum or never gets
it whole.

vnet_frames.py makes and reads frames with the virtio-net header from inside a container, as the kernel
does for a veth: it lets a test send one exact 64 KB TCP segment to a MAC nobody has (flooded), or a
tagged one from a trunk container (this kernel has no 802.1Q module, so no eth0.10), and judge what every
receiver got: checksums (completed first where the header says NEEDS_CSUM, as the device would), GSO
type and size, VLAN tag, and the bytes of each flow in order.
"""

import hashlib
import json as jsonlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import run, wait_for
from probes import HTTP_PORT
from containers_fixture import container_ports, offload_netns, offload_switch  # noqa: F401 (fixtures)

import vnet_frames

VNET_TOOL = Path(__file__).with_name("vnet_frames.py")
NOBODY_MAC = "02:42:0a:4d:00:fd"     # no container has it: a frame to it is flooded
MIB = 1 << 20


# --- helpers --------------------------------------------------------------------------------------

def sha256_of(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            h.update(chunk)
    return h.hexdigest()


def snmp(container, proto):
    """{counter: value} of /proc/net/snmp's PROTO lines (Udp, Tcp, Ip) in the container's namespace."""
    lines = [l.split() for l in container.exec("cat", "/proc/net/snmp").stdout.splitlines()
             if l.startswith(proto + ":")]
    return dict(zip(lines[0][1:], map(int, lines[1][1:])))


def serve_dir(container, www):
    """python's http.server in CONTAINER on its IPv4 address, serving WWW."""
    container.popen(sys.executable, "-m", "http.server", HTTP_PORT, "--bind", container.ip, "--directory", www,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"http://{container.ip}:{HTTP_PORT}"


def iperf_tcp(client, server, dst, port, seconds=2):
    """iperf3 TCP CLIENT -> SERVER (at DST) for SECONDS: its JSON; fails with iperf3's own error."""
    srv = server.popen("iperf3", "-s", "-1", "-p", port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: server.exec("ss", "-Htln", f"sport = :{port}").stdout.strip(), 10, what="iperf3 -s to listen")
    r = client.exec("iperf3", "-c", dst, "-p", port, "-t", seconds, "-J", "--connect-timeout", 5000,
                    timeout=seconds + 40, check=False)
    try:
        srv.wait(timeout=10)
    except subprocess.TimeoutExpired:   # the client never got through: the server still waits
        srv.terminate()
    try:
        j = jsonlib.loads(r.stdout)
    except ValueError:
        j = {"error": f"no JSON from iperf3 (exit {r.returncode}): {r.stderr}"}
    assert "error" not in j and r.returncode == 0, f"iperf3 to {dst}: {j.get('error')}"
    return j


class Receiver:
    """vnet_frames.py recv in a container: reads eth0 until each flow of WANT ({dport: bytes}) is whole or
    SECONDS pass."""

    def __init__(self, container, tmp_path, want, seconds=15):
        self.c, self.seconds = container, seconds
        self.path = tmp_path / f"recv-{container.name}-{'-'.join(map(str, want))}.txt"
        self.out = open(self.path, "w")
        self.proc = container.popen(sys.executable, VNET_TOOL, "recv", seconds, jsonlib.dumps(want),
                                    stdout=self.out, stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in self.path.read_text() or self.proc.poll() is not None, 10,
                 what=f"the receiver in {container.name}")
        assert self.proc.poll() is None, self.path.read_text()

    def stop(self, grace=1.0):
        """For frames that must not come: ends the window GRACE seconds after the caller saw what was sent
        arrive where it belongs (a frame sent astray leaves the switch with those), not SECONDS after the start;
        then result()."""
        time.sleep(grace)
        if self.proc.poll() is None:
            self.proc.terminate()   # vnet_frames.py recv stops reading and reports what it got
        return self.result()

    def result(self):
        self.proc.wait(timeout=self.seconds + 15)
        self.out.close()
        text = self.path.read_text()
        assert self.proc.returncode == 0, f"receiver in {self.c.name}: {text}"
        return jsonlib.loads(text.strip().splitlines()[-1])


def send_frames(container, specs):
    out = container.exec(sys.executable, VNET_TOOL, "send", jsonlib.dumps(specs), timeout=60).stdout
    return jsonlib.loads(out.strip().splitlines()[-1])


def segment(src, dst_mac, dport, family=4, l4="tcp", seq=0, vlan=None, payload=63960):
    """One 64 KB segment with a partial checksum from SRC (what TSO/USO hands a veth): TCP at the MSS of a
    1500 MTU without options, UDP at 1400 (UDP_SEGMENT)."""
    v4 = family == 4
    gso = 1400 if l4 == "udp" else (1448 if v4 else 1428)
    return dict(src=src.mac, dst=dst_mac, vlan=vlan, family=family, l4=l4,
                sip=src.ip if v4 else src.ip6 or "fd00:77::1", dip="10.77.0.250" if v4 else "fd00:77::fa",
                sport=40000 + dport % 1000, dport=dport, seq=seq, payload=payload, gso_size=gso, seed=dport * 7 + seq)


def flood_specs(src):
    """Two TCPv4 segments of one flow, a TCPv6 and a UDP (USO) one, all to NOBODY_MAC."""
    return [segment(src, NOBODY_MAC, 7001, seq=1000), segment(src, NOBODY_MAC, 7001, seq=1000 + 63960),
            segment(src, NOBODY_MAC, 7002, family=6, seq=5), segment(src, NOBODY_MAC, 7003, l4="udp")]


def want_of(specs):
    want = {}
    for s in specs:
        want[str(s["dport"])] = want.get(str(s["dport"]), 0) + s["payload"]
    return want


def assert_arrived_right(got, sent, where, gso_ok=True, whole=None):
    """Every frame right (no errors), every flow whole, in order and with the sent bytes. gso_ok=False: every
    frame cut to the MTU; whole=N: the N segments sent arrived unsplit (a port that takes them)."""
    bad = [(f["dport"], f["frame_len"], f["errors"]) for f in got["frames"] if f["errors"]]
    assert not bad, f"{where}: frames that are not right: {bad[:10]}"
    if whole is not None:
        shapes = [(f["dport"], f["frame_len"], f["gso_type"], f["gso_size"]) for f in got["frames"]]
        assert len(shapes) == whole and all(g for _, _, g, _ in shapes), \
            f"{where}: {whole} segments sent, these frames arrived (dport, length, gso type, size): {shapes[:10]}"
    if not gso_ok:
        big = [(f["dport"], f["ip_len"], f["gso_type"]) for f in got["frames"] if f["gso_type"] or f["ip_len"] > 1500]
        assert not big, f"{where}: frames larger than the MTU or still GSO: {big[:10]}"
    for dport, flow in sent["flows"].items():
        g = got["flows"].get(dport)
        assert g is not None, f"{where}: nothing of flow {dport} arrived ({len(got['frames'])} frames in all)"
        assert g["bytes"] == flow["bytes"] and g["sha256"] == flow["sha256"], \
            f"{where}: flow {dport}: {g['bytes']} bytes, sha256 {g['sha256'][:12]} (sent {flow['bytes']}, " \
            f"{flow['sha256'][:12]})"
        assert g["in_order"], f"{where}: flow {dport} out of order"


# --- 1. HTTP: a 64 MB file each way ----------------------------------------------------------------

def test_http_download_of_64mb_both_ways(offload_netns, offload_switch, tmp_path):
    """c1 and c2 each serve a 64 MB random file; each downloads the other's with curl; the sha256 match."""
    c1, c2 = offload_netns(), offload_netns()
    sw = offload_switch(container_ports(c1=c1, c2=c2))
    files = {}
    for c in (c1, c2):
        www = tmp_path / f"www-{c.name}"
        www.mkdir()
        (www / "blob").write_bytes(os.urandom(64 * MIB))
        files[c.name] = (serve_dir(c, www) + "/blob", sha256_of(www / "blob"))
    for client, server in ((c2, c1), (c1, c2)):
        url, digest = files[server.name]
        out = tmp_path / f"got-{client.name}"
        # The first try also waits for the server to listen (and ARP); a path that breaks TCP never connects.
        wait_for(lambda: client.exec("curl", "-sS", "--connect-timeout", "3", "--max-time", "60", "-o", out, url,
                                     check=False, timeout=90).returncode == 0, 30, interval=0.5,
                 what=f"curl {url} from {client.name}")
        assert out.stat().st_size == 64 * MIB and sha256_of(out) == digest, f"{url}: the download differs"
        out.unlink()
    stats = sw.port_stats()
    assert stats["c1"]["rx_bytes"] >= 64 * MIB and stats["c2"]["rx_bytes"] >= 64 * MIB, stats


# --- 2. iperf3 TCP over IPv4 and IPv6 --------------------------------------------------------------

@pytest.mark.parametrize("family", [4, 6])
def test_iperf3_tcp(offload_netns, offload_switch, family):
    """A 2 s iperf3 TCP run c1 -> c2 completes, with at least 20 MB arrived (a path that breaks the
    checksums or the segments carries nothing), and the receiver's kernel saw no bad checksum."""
    c1, c2 = offload_netns(ipv6=family == 6), offload_netns(ipv6=family == 6)
    offload_switch(container_ports(c1=c1, c2=c2))
    dst = c2.ip if family == 4 else c2.ip6
    wait_for(lambda: c1.exec("ping", "-n", "-c", "1", "-W", "1", dst, check=False).returncode == 0, 15,
             what=f"{dst} to answer ping")
    before = snmp(c2, "Tcp")
    j = iperf_tcp(c1, c2, dst, 5230)
    got, sent = j["end"]["sum_received"]["bytes"], j["end"]["sum_sent"]["bytes"]
    assert got >= 20 * MIB, f"only {got} bytes arrived in 2 s over IPv{family}"
    assert got >= 0.95 * sent, f"sent {sent} bytes, {got} arrived"
    after = snmp(c2, "Tcp")
    assert after["InCsumErrors"] == before["InCsumErrors"], f"TCP checksum errors in {c2.name}: {before} -> {after}"


# --- 3. UDP: checksums verified by the receiver -----------------------------------------------------

# Runs in the sender: argv family, destination, count of plain datagrams, count of 61,600-byte USO sends
# (UDP_SEGMENT 1400: 44 datagrams each). Every datagram starts with its sequence number and length; its
# bytes follow from the sequence number.
UDP_SEND = r"""
import random, socket, struct, sys, time
fam, dst, plain, uso = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = socket.socket(socket.AF_INET if fam == "4" else socket.AF_INET6, socket.SOCK_DGRAM)
def dgram(seq, n):
    return struct.pack("!IH", seq, n) + random.Random(seq).randbytes(n - 6)
seq = 0
for i in range(plain):
    s.sendto(dgram(seq, (64, 512, 1000, 1400)[i % 4]), (dst, 9000)); seq += 1
    if i % 50 == 49: time.sleep(0.002)
s.setsockopt(socket.SOL_UDP, 103, 1400)          # UDP_SEGMENT: one send, 44 datagrams (USO/GSO)
for i in range(uso):
    s.sendto(b"".join(dgram(seq + k, 1400) for k in range(44)), (dst, 9000)); seq += 44
    time.sleep(0.003)
print(seq)
"""
# Runs in the receiver: argv family, address, datagrams expected, seconds. Prints "ready", then
# "<good> <bad> <distinct>" (bad: length or bytes not what the sequence number says).
UDP_RECV = r"""
import random, socket, struct, sys, time
fam, addr, want, secs = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_INET if fam == "4" else socket.AF_INET6, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)    # SO_RCVBUFFORCE: no drop for want of buffer
s.bind((addr, 9000))
print("ready", flush=True)
good = bad = 0
seen = set()
end = time.monotonic() + secs
while len(seen) < want and time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        d = s.recv(65536)
    except socket.timeout:
        break
    seq, n = struct.unpack_from("!IH", d)
    if n == len(d) and d[6:] == random.Random(seq).randbytes(n - 6):
        good += 1
        seen.add(seq)
    else:
        bad += 1
print(good, bad, len(seen), flush=True)
"""


@pytest.mark.parametrize("family", [4, 6])
def test_udp_checksums_verified_by_the_receiver(offload_netns, offload_switch, tmp_path, family):
    """400 plain datagrams and 100 USO sends (4,400 datagrams of 1400 B) c1 -> c2: all arrive with their
    bytes, and c2's kernel counts no checksum error (Udp InCsumErrors) and no other drop."""
    c1, c2 = offload_netns(ipv6=family == 6), offload_netns(ipv6=family == 6)
    offload_switch(container_ports(c1=c1, c2=c2))
    dst = c2.ip if family == 4 else c2.ip6
    proto = "Udp" if family == 4 else "Udp6"
    # Resolved first: a datagram sent while its neighbour is unresolved waits in a short queue, or is lost.
    wait_for(lambda: c1.exec("ping", "-n", "-c", "1", "-W", "1", dst, check=False).returncode == 0, 15,
             what=f"{dst} to answer ping")
    want = 400 + 100 * 44
    before = snmp(c2, "Udp") if family == 4 else snmp6(c2)
    log = tmp_path / "udp-recv.txt"
    with open(log, "w") as out:
        rcv = c2.popen(sys.executable, "-c", UDP_RECV, family, dst, want, 20, stdout=out, stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in log.read_text() or rcv.poll() is not None, 10, what="the UDP receiver")
        sent = int(c1.exec(sys.executable, "-c", UDP_SEND, family, dst, 400, 100, timeout=60).stdout.split()[-1])
        rcv.wait(timeout=40)
    assert sent == want
    good, bad, distinct = map(int, log.read_text().split()[-3:])
    after = snmp(c2, "Udp") if family == 4 else snmp6(c2)
    delta = {k: after[k] - before[k] for k in after}
    assert delta["InCsumErrors"] == 0, f"{proto}: {c2.name}'s kernel dropped datagrams for bad checksums: {delta}"
    assert bad == 0, f"{bad} datagrams arrived with other bytes than sent"
    assert distinct == want, f"{distinct} of {want} datagrams arrived ({proto} counters: {delta})"


# Runs in the sender: argv destination, count of plain 500-byte datagrams, count of UDP_SEGMENT 1400 sends of
# 10 datagrams each. The datagrams as UDP_SEND makes them (UDP_RECV checks them).
UDP_SEND_GSO = r"""
import random, socket, struct, sys, time
dst, plain, uso = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
def dgram(seq, n):
    return struct.pack("!IH", seq, n) + random.Random(seq).randbytes(n - 6)
seq = 0
for i in range(plain):
    s.sendto(dgram(seq, 500), (dst, 9000)); seq += 1
s.setsockopt(socket.SOL_UDP, 103, 1400)          # UDP_SEGMENT
for i in range(uso):
    s.sendto(b"".join(dgram(seq + k, 1400) for k in range(10)), (dst, 9000)); seq += 10
    time.sleep(0.003)
print(seq)
"""


def test_udp_gso_to_a_smaller_mtu_is_dropped_not_cut(offload_netns, offload_switch, tmp_path):
    """c1 (veth port, 1500) sends UDP_SEGMENT 1400 datagrams to c2 behind an af_packet port of MTU 1000 (it
    takes no offloads: the worker segments for it). Each datagram is c1's application's (QUIC's, say): cut to
    the MTU, c2 would get other datagrams than were sent. So none of them arrives, each GSO frame counts
    offload_gso_mtu on c2's port, and plain datagrams that fit still arrive.

      c1 eth0 (1500, USO on) -- veth "c1" -- dpdk_switch -- af_packet "c2" (mtu 1000) -- c2 eth0 (1000)"""
    c1, c2 = offload_netns(), offload_netns()
    run(["ip", "link", "set", "dev", c2.hostif, "mtu", "1000"])
    c2.exec("ip", "link", "set", "dev", "eth0", "mtu", "1000")
    ports = container_ports(c1=c1) + [{"name": "c2", "type": "af_packet", "iface": c2.hostif, "mtu": 1000}]
    sw = offload_switch(ports)
    wait_for(lambda: c1.exec("ping", "-n", "-c", "1", "-W", "1", c2.ip, check=False).returncode == 0, 15,
             what=f"{c2.ip} to answer ping")
    plain, uso = 50, 20
    log = tmp_path / "udp-recv.txt"
    with open(log, "w") as out:
        # Waits for every datagram sent (it cannot get them all): it ends after 5 s, having seen all that came.
        rcv = c2.popen(sys.executable, "-c", UDP_RECV, 4, c2.ip, plain + uso * 10, 5, stdout=out,
                       stderr=subprocess.STDOUT)
        wait_for(lambda: "ready" in log.read_text() or rcv.poll() is not None, 10, what="the UDP receiver")
        sent = int(c1.exec(sys.executable, "-c", UDP_SEND_GSO, c2.ip, plain, uso, timeout=60).stdout.split()[-1])
        rcv.wait(timeout=20)
    assert sent == plain + uso * 10
    good, bad, distinct = map(int, log.read_text().split()[-3:])
    drops = sw.port_stats()["c2"]["drops"]
    assert bad == 0, f"{bad} datagrams arrived cut (not as sent); c2's drops: {drops}"
    assert (good, distinct) == (plain, plain), f"{distinct} distinct datagrams arrived, {plain} plain sent"
    assert drops.get("offload_gso_mtu") == uso, f"c2's drops: {drops}"


def snmp6(container):
    """The Udp6 counters of /proc/net/snmp6, named as in /proc/net/snmp (InCsumErrors, ...)."""
    out = {}
    for line in container.exec("cat", "/proc/net/snmp6").stdout.splitlines():
        k, v = line.split()
        if k.startswith("Udp6"):
            out[k[len("Udp6"):]] = int(v)
    return out


# --- 4. VLANs ---------------------------------------------------------------------------------------

def test_access_vlans_carry_offloaded_tcp_and_keep_it_apart(offload_netns, offload_switch, tmp_path):
    """
      c1 10.77.0.2 --- access vlan 10 --+                  +-- access vlan 20 --- c3 10.77.0.4
                                         |-- dpdk_switch --|
      c2 10.77.0.3 --- access vlan 10 --+
    iperf3 TCP c1 -> c2 (64 KB segments, partial checksums) crosses VLAN 10; c3, in the same IP subnet
    but VLAN 20, hears none of it and cannot reach c1.
    """
    c1, c2, c3 = offload_netns(), offload_netns(), offload_netns()
    offload_switch(container_ports(c1=(c1, 10), c2=(c2, 10), c3=(c3, 20)))
    cap_path = tmp_path / "c3.txt"
    with open(cap_path, "w") as cap_out:
        cap = c3.popen("tcpdump", "-i", "eth0", "-n", "-e", "-l", "--immediate-mode", "ether", "host", c1.mac,
                       stdout=cap_out, stderr=subprocess.STDOUT)
        wait_for(lambda: "listening on" in cap_path.read_text(), 10, what="tcpdump in c3")
        c1.ping(c2.ip)
        try:
            j = iperf_tcp(c1, c2, c2.ip, 5231)
            assert c1.ping(c3.ip, count=2, wait_s=1, check=False).returncode != 0, "c1 (vlan 10) reached c3 (vlan 20)"
        finally:
            cap.terminate()
            cap.wait(timeout=5)
    assert j["end"]["sum_received"]["bytes"] >= 20 * MIB, j["end"]["sum_received"]
    leaked = [l for l in cap_path.read_text().splitlines() if c1.mac in l]
    assert not leaked, "c3 (vlan 20) heard c1 (vlan 10):\n" + "\n".join(leaked[:10])


def test_trunk_container_sends_and_gets_offloaded_segments_tagged(offload_netns, offload_switch, tmp_path):
    """
      t (trunk [10, 20]) eth0 ==802.1Q== dpdk_switch --+-- access vlan 10 --- a10
                                                       +-- access vlan 20 --- a20
    a10 sends 64 KB segments with partial checksums to t (not yet learned: flooded in VLAN 10): t gets them
    tagged 10, the checksum offset moved by the tag, right; a20 nothing. Then the trunk container writes
    tagged segments (vnet_frames.py: this kernel has no eth0.10): a10 gets the VLAN 10 ones untagged and
    right, a20 the VLAN 20 one, neither the other's. (The kernel hands a packet socket a received frame's
    tag apart, in its aux data: a port that does not read it sees the trunk's frames untagged.)
    """
    t, a10, a20 = offload_netns(), offload_netns(), offload_netns()
    sw = offload_switch(container_ports(t=(t, [10, 20]), a10=(a10, 10), a20=(a20, 20)))
    up = [segment(a10, t.mac, 7012), segment(a10, t.mac, 7013, family=6, l4="udp")]
    rx_t, rx20 = Receiver(t, tmp_path, want_of(up), seconds=6), Receiver(a20, tmp_path, want_of(up), seconds=6)
    sent = send_frames(a10, up)
    got = rx_t.result()
    stats = {p: {k: s[k] for k in ("rx_packets", "tx_packets", "drops", "kernel")} for p, s in sw.port_stats().items()}
    assert_arrived_right(got, sent, f"t (trunk) [the switch's ports: {stats}]")
    assert {f["vlan"] for f in got["frames"]} == {10}, [(f["vlan"], f["tag_inband"]) for f in got["frames"]]
    assert not rx20.stop()["frames"], "a20 (vlan 20) got a10's (vlan 10) frames"

    down10 = [segment(t, a10.mac, 7010, vlan=10), segment(t, a10.mac, 7011, family=6, vlan=10, seq=9)]
    down20 = [segment(t, a20.mac, 7020, vlan=20, l4="udp")]
    rx10 = Receiver(a10, tmp_path, want_of(down10 + down20), seconds=8)
    rx20 = Receiver(a20, tmp_path, want_of(down10 + down20), seconds=8)
    # Each access port's own flows alone, to see when they are in: rx10 and rx20 listen that long and a grace
    # more for the other VLAN's.
    own10, own20 = Receiver(a10, tmp_path, want_of(down10), seconds=8), Receiver(a20, tmp_path, want_of(down20), seconds=8)
    sent10, sent20 = send_frames(t, down10), send_frames(t, down20)
    own10.result(), own20.result()
    got10, got20 = rx10.stop(), rx20.stop()
    drops = {p: s["drops"] for p, s in sw.port_stats().items() if s["drops"]}
    assert_arrived_right(got10, sent10, f"a10 (vlan 10) [the switch's drops: {drops}]")
    assert_arrived_right(got20, sent20, f"a20 (vlan 20) [the switch's drops: {drops}]")
    assert set(got10["flows"]) == set(sent10["flows"]), f"a10 got another VLAN's flows: {list(got10['flows'])}"
    assert set(got20["flows"]) == set(sent20["flows"]), f"a20 got another VLAN's flows: {list(got20['flows'])}"
    tagged = [f for f in got10["frames"] + got20["frames"] if f["vlan"] is not None]
    assert not tagged, f"access ports delivered tagged frames: {tagged[:3]}"


# --- 5. a flood of a GSO segment ---------------------------------------------------------------------

def test_flood_of_a_gso_segment_reaches_every_container_right(offload_netns, offload_switch, tmp_path):
    """c1 sends 64 KB segments (TCPv4, TCPv6, UDP) to a MAC nobody has: the switch floods them, and c2 and
    c3 each get every flow whole, in order, checksums right, each segment unsplit (a veth port takes them)."""
    c1, c2, c3 = offload_netns(), offload_netns(), offload_netns()
    sw = offload_switch(container_ports(c1=c1, c2=c2, c3=c3))
    specs = flood_specs(c1)
    rxs = [Receiver(c, tmp_path, want_of(specs)) for c in (c2, c3)]
    flooded = sw.ctl("show", "switch", "stats")["flooded"]
    sent = send_frames(c1, specs)
    for c, rx in zip((c2, c3), rxs):
        assert_arrived_right(rx.result(), sent, c.name, whole=len(specs))
    assert sw.ctl("show", "switch", "stats")["flooded"] - flooded >= len(specs)


def test_flood_of_a_gso_segment_to_a_pcap_port_is_cut_to_the_mtu(offload_netns, offload_switch, tmp_path):
    """The same flood reaches a net_pcap port (which takes no offloads) as MTU-sized frames with their IP,
    TCP and UDP checksums right, in order, with the same bytes; c2 on a veth port gets it too."""
    c1, c2 = offload_netns(), offload_netns()
    pcap = tmp_path / "p.pcap"
    ports = container_ports(c1=c1, c2=c2) + [
        {"name": "p", "type": "dpdk", "devargs": f"net_pcap_dswk{os.getpid()},tx_pcap={pcap}"}]
    sw = offload_switch(ports)
    specs = flood_specs(c1)
    rx = Receiver(c2, tmp_path, want_of(specs))
    sent = send_frames(c1, specs)
    assert_arrived_right(rx.result(), sent, c2.name)

    def frames():
        from scapy.utils import RawPcapReader
        return [bytes(data) for data, _ in RawPcapReader(str(pcap))]
    want = want_of(specs)

    def whole():
        got = [f for f in map(vnet_frames.inspect, frames()) if f and str(f["dport"]) in want]
        return got if sum(f["payload_len"] for f in got) >= sum(want.values()) else None
    try:
        got = wait_for(whole, 10, what=f"{pcap} to hold the whole flood")
    except AssertionError:
        got = [f for f in map(vnet_frames.inspect, frames()) if f and str(f["dport"]) in want]
        raise AssertionError(f"{pcap}: {len(got)} frames, sizes {sorted({f['frame_len'] for f in got})[:10]}, "
                             f"{sum(f['payload_len'] for f in got)} of {sum(want.values())} payload bytes") from None
    assert_arrived_right({"frames": got, "flows": vnet_frames.flows(got)}, sent, "the pcap port", gso_ok=False)
    stats = sw.port_stats()["p"]
    assert stats["gso_segmented"] >= len(specs), f"the pcap port's counters: {stats}"
