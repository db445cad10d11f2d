"""Jumbo frames on af_packet ports: carried whole, or counted `oversize`, never forwarded cut.

  c1 (netns, MTU 9100)                     dpdk_switch                     c2 (netns, MTU 9100)
  eth0 10.77.0.2 --veth-- h1 (MTU 9100) --- af_packet "c1" ---- af_packet "c2" --- h2 (MTU 9100) --veth-- eth0 10.77.0.3
                                                                  (mtu: 1500 in the oversize test)

The ports' ring frames are sized from the interfaces' MTU (read when the port opens), so the MTU
is set on both veth ends before the switch starts. Before the fix every frame longer than 1982
bytes left the switch cut to 1982 bytes and was counted as traffic.
"""

import hashlib
import os
import subprocess
import sys

from conftest import af_packet_ports, run, wait_for
from probes import ping_received, serve_http

JUMBO_MTU = 9100
PING_SIZE = JUMBO_MTU - 28            # ICMP payload of a full-MTU IPv4 packet
FRAME_LEN = JUMBO_MTU + 14            # its Ethernet frame (no tag)
CUT_LEN = 1982                        # what the PMD's default 2048-byte ring frame kept of it


def set_mtu(container, mtu):
    run(["ip", "link", "set", container.hostif, "mtu", str(mtu)])
    run(["ip", "-n", container.name, "link", "set", "eth0", "mtu", str(mtu)])


def jumbo_pair(netns):
    c1, c2 = netns(), netns()
    for c in (c1, c2):
        set_mtu(c, JUMBO_MTU)
    return c1, c2


def big_ping(src, dst, count=3):
    """Full-MTU pings with DF set (no fragmentation anywhere): a reply only if both frames crossed whole."""
    return src.exec("ping", "-n", "-M", "do", "-s", str(PING_SIZE), "-c", str(count), "-i", "0.2", "-W", "2",
                    dst.ip, timeout=30, check=False)


def eth0_rx_bytes(container):
    out = container.exec("cat", "/sys/class/net/eth0/statistics/rx_bytes").stdout
    return int(out)


# A UDP datagram of argv[2] bytes, DF set, from this namespace to argv[1]:5000.
UDP_SEND = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, 10, 2)   # IP_MTU_DISCOVER, IP_PMTUDISC_DO (not in Python's socket)
s.sendto(bytes(i % 251 for i in range(int(sys.argv[2]))), (sys.argv[1], 5000))
"""
# Receives one datagram on argv[1]:5000; prints its length and sha256.
UDP_RECV = r"""
import hashlib, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 5000))
s.settimeout(10)
print("ready", flush=True)
d = s.recv(65535)
print(len(d), hashlib.sha256(d).hexdigest(), flush=True)
"""


def test_jumbo_frames_cross_whole(netns, switch, tmp_path):
    """MTU 9100 end to end: full-size pings both ways, an 8000-byte UDP datagram and an HTTP
    transfer with a jumbo MSS arrive intact, and the switch counts the frames at their length."""
    c1, c2 = jumbo_pair(netns)
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)   # ARP and learning on small frames first

    before = sw.port_stats()
    p = big_ping(c1, c2, count=5)
    assert ping_received(p) == 5, p.stdout + p.stderr
    after = sw.port_stats()
    # Five echo requests out of port c2 and five replies out of c1, each FRAME_LEN bytes (the
    # cut ones were CUT_LEN): the counters see whole frames.
    for port in ("c1", "c2"):
        sent = after[port]["tx_packets"] - before[port]["tx_packets"]
        sent_bytes = after[port]["tx_bytes"] - before[port]["tx_bytes"]
        assert sent >= 5 and sent_bytes >= 5 * FRAME_LEN, (port, sent, sent_bytes)
    p = big_ping(c2, c1, count=3)
    assert ping_received(p) == 3, p.stdout + p.stderr

    recv = c2.popen(sys.executable, "-c", UDP_RECV, c2.ip, stdout=subprocess.PIPE, text=True)
    assert recv.stdout.readline().strip() == "ready"
    c1.exec(sys.executable, "-c", UDP_SEND, c2.ip, "8000")
    got = recv.stdout.readline().split()
    expected = hashlib.sha256(bytes(i % 251 for i in range(8000))).hexdigest()
    assert got == ["8000", expected], got

    body = os.urandom(1 << 20).hex()   # 2 MB of text, in full-MSS segments
    url = serve_http(c2, tmp_path, body)
    fetched = []

    def fetch():
        r = c1.exec("curl", "-sS", "--max-time", "20", url, check=False, timeout=30)
        fetched[:] = [r]
        return r.returncode == 0
    wait_for(fetch, 20, interval=0.5, what="the HTTP transfer")
    assert hashlib.sha256(fetched[0].stdout.encode()).hexdigest() == hashlib.sha256(body.encode()).hexdigest()

    stats = sw.port_stats()
    for port in ("c1", "c2"):
        assert stats[port]["drops"].get("oversize", 0) == 0, stats[port]


def test_frame_longer_than_the_port_is_counted_oversize(netns, switch):
    """MTU 9100 on both veths, but port c2 configured `mtu: 1500`: full-size frames to c2 are
    counted oversize on TX, those from c2 (cut by its 2 KB ring frames) on RX; none reaches the
    other side, cut or whole. Small frames still cross."""
    c1, c2 = jumbo_pair(netns)
    ports = af_packet_ports(c1=c1, c2=c2)
    ports[1]["mtu"] = 1500
    sw = switch(ports)
    c1.ping(c2.ip)
    assert sw.port_stats()["c2"]["drops"].get("oversize", 0) == 0

    rx_c2, rx_c1 = eth0_rx_bytes(c2), eth0_rx_bytes(c1)
    p = big_ping(c1, c2, count=3)
    assert ping_received(p) == 0, p.stdout
    stats = sw.port_stats()
    assert stats["c2"]["drops"].get("oversize", 0) == 3, stats["c2"]
    # Nothing cut (CUT_LEN) or whole arrived: at most an ARP frame or two.
    assert eth0_rx_bytes(c2) - rx_c2 < 200

    # c2 -> c1: the kernel takes c2's frames whole, its ring cuts them; counted on RX.
    p = big_ping(c2, c1, count=3)
    assert ping_received(p) == 0, p.stdout
    stats = sw.port_stats()
    assert stats["c2"]["drops"].get("oversize", 0) == 6, stats["c2"]
    assert stats["c1"]["drops"].get("oversize", 0) == 0, stats["c1"]
    assert eth0_rx_bytes(c1) - rx_c1 < 200

    c1.ping(c2.ip)   # frames within 1500 still cross


def test_mtu_key_is_checked(run_switch, netns):
    """`mtu:` is a key of kernel-backed ports only, within 68..9702, with its key path."""
    from conftest import switch_config
    c1 = netns()
    bad = af_packet_ports(c1=c1)
    bad[0]["mtu"] = 67
    r = run_switch(switch_config(bad))
    assert r.returncode == 2, r.stderr
    assert "ports[0].mtu" in r.stderr and "68" in r.stderr, r.stderr
    bad[0]["mtu"] = 9703
    r = run_switch(switch_config(bad))
    assert r.returncode == 2 and "ports[0].mtu" in r.stderr and "9702" in r.stderr, r.stderr
    vhost = [{"name": "v1", "type": "vhost", "path": "/tmp/dsw-jumbo-never.sock", "mtu": 1500}]
    r = run_switch(switch_config(vhost))
    assert r.returncode == 2 and "ports[0].mtu: not a key of a vhost port" in r.stderr, r.stderr


def test_tap_mtu_beyond_the_pmd_is_refused(run_switch):
    """net_tap (DPDK 22.11) takes an MTU up to 1504: more is refused, saying so, not cut later."""
    from conftest import PID, switch_config
    tap = [{"name": "t1", "type": "tap", "iface": f"dswt{PID}tap", "mtu": 9000}]
    r = run_switch(switch_config(tap))
    assert r.returncode == 2, r.stderr
    assert "bad.yaml: ports[0]: mtu 9000: net_tap_t1 takes at most 1504" in r.stderr, r.stderr
