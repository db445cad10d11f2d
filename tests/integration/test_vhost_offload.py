"""vhost-user ports negotiate TSO and checksum offload with their peers, so that a 64 KB TCP
segment crosses the switch whole between two DPDK apps, and a port that cannot take it gets it
as MTU-sized frames with right checksums.

  sender: dpdk-testpmd, csum forwarding        dpdk_switch (worker on CPU 1)         receiver: dpdk-testpmd, rxonly
    net_pcap0 (rx_pcap: one 64 KB TCP frame)     vhost "vm1" (tso=1) --+--> vhost "vm2" ==== net_virtio_user0, RX offloads
      -> net_virtio_user0, tso set 1448 ======== vhost-user socket     |                    TCP_CKSUM|UDP_CKSUM|TCP_LRO
                                                                       +--> dpdk "cap": net_pcap, tx_pcap (no offloads)

The frame's destination is unknown to the switch: it floods to vm2 and cap. vm2's guest took
GUEST_TSO4/6, so the segment leaves whole (the receiver sees one 64 KB packet marked RX_LRO);
cap takes no offloads, so the worker splits it (rte_gso) into frames whose checksums scapy checks.
testpmd runs with --no-huge, its own file prefix and both lcores on CPU 0; each exits when its
stdin closes. No throughput asserts.
"""

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import rdpcap, wrpcap

from conftest import CTL_DIR, DPDK_RUNTIME_DIR, NAME_PREFIX, PID, wait_for

TESTPMD = shutil.which("dpdk-testpmd")
PAYLOAD = bytes((i * 7 + 3) & 0xFF for i in range(64000))
MSS = 1448


class PeerTestpmd:
    """One dpdk-testpmd at its interactive prompt, fed commands through stdin."""
    seq = 0

    def __init__(self, log_dir, vdevs, args):
        PeerTestpmd.seq += 1
        self.prefix = f"{NAME_PREFIX}{PID}-dswh{PeerTestpmd.seq}"
        self.log_path = Path(log_dir) / f"testpmd-{self.prefix}.log"
        # Line-buffered: testpmd prints with stdio, which a file would hold back until exit.
        cmd = ["stdbuf", "-oL", TESTPMD, "--lcores", "0@0,1@0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix", self.prefix]
        for v in vdevs:
            cmd += ["--vdev", v]
        cmd += ["--", "-i", "--nb-cores=1", "--total-num-mbufs=8192"] + list(args)
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT,
                                     text=True)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def send(self, *commands):
        for c in commands:
            self.proc.stdin.write(c + "\n")
        self.proc.stdin.flush()

    def wait_log(self, pattern, timeout=20, what=None):
        return wait_for(lambda: re.search(pattern, self.log()), timeout, interval=0.2,
                        what=what or f"testpmd log to show {pattern!r}")

    def stop(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (subprocess.TimeoutExpired, BrokenPipeError):
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        shutil.rmtree(DPDK_RUNTIME_DIR / self.prefix, ignore_errors=True)


@pytest.fixture
def testpmd(tmp_path):
    if TESTPMD is None:
        pytest.fail("dpdk-testpmd is not installed (Debian package dpdk; scripts/install_deps.sh)")
    made = []

    def make(vdevs, *args):
        t = PeerTestpmd(tmp_path, vdevs, args)
        made.append(t)
        return t

    yield make
    for t in made:
        t.stop()
        print(f"--- {t.log_path} ---\n{t.log()}")


@pytest.fixture
def sockets():
    """sockets(name) -> a vhost-user socket path for this test, removed at teardown."""
    made = []

    def make(name):
        CTL_DIR.mkdir(parents=True, exist_ok=True)
        p = CTL_DIR / f"{NAME_PREFIX}{PID}-dswh-{name}.sock"
        p.unlink(missing_ok=True)
        made.append(p)
        return p

    yield make
    for p in made:
        p.unlink(missing_ok=True)


def tx_offloads(sw, name):
    return sw.ctl("show", "port", "info", name)["ports"][0].get("tx_offloads")


def big_segment():
    return (Ether(src="02:00:00:00:0a:01", dst="02:00:00:00:0b:01") / IP(src="10.9.0.1", dst="10.9.0.2")
            / TCP(sport=1234, dport=80, flags="PA", seq=1000) / PAYLOAD)


def start_sender(testpmd, tmp_path, vm1):
    """testpmd forwarding a pcap's one 64 KB TCP frame to its virtio-user port with TSO asked."""
    src = tmp_path / "big.pcap"
    wrpcap(str(src), [big_segment()])
    a = testpmd([f"net_pcap0,rx_pcap={src}", f"net_virtio_user0,path={vm1},queues=1"], "--no-flush-rx")
    a.wait_log(r"testpmd> ", what="sender's prompt")
    # TSO needs the port stopped; restarted, net_virtio negotiates HOST_TSO4/6 with the switch.
    a.send("port stop 1", "csum set tcp hw 1", "csum set ip sw 1", f"tso set {MSS} 1", "port start 1")
    a.wait_log(rf"TSO segment size for non-tunneled packets is {MSS}", what="sender's TSO on the vhost link")
    return a


def test_64k_segment_crosses_vhost_whole_and_reaches_pcap_split(switch, testpmd, sockets, tmp_path):
    vm1, vm2 = sockets("vm1"), sockets("vm2")
    out = tmp_path / "cap_tx.pcap"
    empty = tmp_path / "empty.pcap"
    wrpcap(str(empty), [])
    sw = switch([{"name": "vm1", "type": "vhost", "path": str(vm1)},
                 {"name": "vm2", "type": "vhost", "path": str(vm2)},
                 {"name": "cap", "type": "dpdk", "devargs": f"net_pcap_dswhcap,rx_pcap={empty},tx_pcap={out}"}])
    info = sw.ctl("show", "port", "info", "vm1")["ports"][0]
    assert "tso=1" in info["devargs"]
    # No guest yet: nothing to leave to the port.
    assert tx_offloads(sw, "vm2") == []

    b = testpmd([f"net_virtio_user0,path={vm2},queues=1"], "--forward-mode=rxonly", "--rx-offloads=0x1c")
    b.wait_log(r"testpmd> ", what="receiver's prompt")
    b.send("set verbose 1", "start")
    # (a) negotiation: the receiver took GUEST_CSUM and GUEST_TSO4/6, and the switch says so.
    wait_for(lambda: tx_offloads(sw, "vm2") == ["csum", "tso"], 10, what="vm2's guest offloads in show port info")

    a = start_sender(testpmd, tmp_path, vm1)
    a.send("show port info 1")
    a.wait_log(r"Max segment number per MTU/TSO", what="sender's port info")
    wait_for(lambda: sw.ctl("show", "port", "info", "vm1")["ports"][0]["link_up"], 10, what="vm1 up")
    a.send("set fwd csum", "start")

    # (b) one packet of the whole segment, marked as a segment to split (RX_LRO).
    b.wait_log(r"length=64054", what="the receiver to get the 64 KB segment")
    time.sleep(1)
    log = b.log()
    lengths = [int(x) for x in re.findall(r"length=(\d+)", log)]
    assert lengths == [64054], lengths
    assert "RTE_MBUF_F_RX_LRO" in log
    stats = sw.port_stats()
    assert stats["vm1"]["rx_packets"] == 1
    assert stats["vm2"]["tx_packets"] == 1 and stats["vm2"]["tx_bytes"] == 64054
    assert stats["vm2"]["gso_segmented"] == 0

    # The pcap port takes no offloads: the worker split the segment, checksums written.
    n_seg = (len(PAYLOAD) + MSS - 1) // MSS
    wait_for(lambda: sw.port_stats()["cap"]["tx_packets"] == n_seg, 10, what=f"{n_seg} segments on cap")
    assert sw.port_stats()["cap"]["gso_segmented"] == 1
    a.send("stop")
    segs = wait_for(lambda: (lambda p: p if len(p) == n_seg else None)(rdpcap(str(out))), 10,
                    what="the segments in the tx pcap")
    data = b""
    seq = 1000
    for s in segs:
        assert len(s) <= 1514
        ip, tcp = s[IP], s[TCP]
        assert tcp.seq == seq
        body = bytes(tcp.payload)
        assert len(body) == min(MSS, len(PAYLOAD) - len(data))
        # Checksums as scapy computes them from the segment itself.
        fresh = Ether(bytes(s))
        fresh[IP].chksum = None
        fresh[TCP].chksum = None
        fresh = Ether(bytes(fresh))
        assert (fresh[IP].chksum, fresh[TCP].chksum) == (ip.chksum, tcp.chksum)
        data += body
        seq += len(body)
    assert data == PAYLOAD


def test_offloads_false_keeps_plain_vhost(switch, testpmd, sockets):
    """offloads: false: no tso devarg, and the switch leaves nothing to the guest's side even when
    it negotiated everything (frames reach it with full checksums, MTU-sized)."""
    vm = sockets("plain")
    sw = switch([{"name": "vm", "type": "vhost", "path": str(vm), "offloads": False}])
    assert "tso" not in sw.ctl("show", "port", "info", "vm")["ports"][0]["devargs"]
    b = testpmd([f"net_virtio_user0,path={vm},queues=1"], "--forward-mode=rxonly", "--rx-offloads=0x1c")
    b.wait_log(r"testpmd> ", what="receiver's prompt")
    b.send("start")
    wait_for(lambda: sw.ctl("show", "port", "info", "vm")["ports"][0]["link_up"], 10, what="vm up")
    time.sleep(1.5)   # a link-watch round: caps would be republished by now
    assert tx_offloads(sw, "vm") is None


def test_virtio_user_port_negotiates_with_its_backend(switch, testpmd, sockets, tmp_path):
    """The switch as virtio-user guest of testpmd's net_vhost (tso=1): it takes HOST_TSO4/6 and
    GUEST_TSO4/6 from the backend, and a 64 KB segment from a vhost peer reaches the backend whole.

      sender testpmd (virtio-user) == vhost "vm1" -> dpdk_switch -> virtio_user "up" == receiver testpmd (net_vhost, rxonly)
    """
    vm1, backend = sockets("vm1u"), sockets("backend")
    b = testpmd([f"net_vhost0,iface={backend},queues=1,tso=1"], "--forward-mode=rxonly", "--rx-offloads=0xc")
    b.wait_log(r"testpmd> ", what="backend's prompt")
    b.send("set verbose 1", "start")
    sw = switch([{"name": "vm1", "type": "vhost", "path": str(vm1)},
                 {"name": "up", "type": "virtio_user", "path": str(backend)}])
    # net_virtio's TX checksum has no IPv4 header part (no RTE_ETH_TX_OFFLOAD_IPV4_CKSUM), so
    # the worker completes checksum-only frames itself; segments the backend takes whole.
    assert tx_offloads(sw, "up") == ["tso"]
    a = start_sender(testpmd, tmp_path, vm1)
    wait_for(lambda: sw.ctl("show", "port", "info", "vm1")["ports"][0]["link_up"], 10, what="vm1 up")
    a.send("set fwd csum", "start")
    b.wait_log(r"length=64054", what="the backend to get the 64 KB segment")
    time.sleep(1)
    log = b.log()
    assert [int(x) for x in re.findall(r"length=(\d+)", log)] == [64054]
    assert "RTE_MBUF_F_RX_LRO" in log
    assert sw.port_stats()["up"]["gso_segmented"] == 0


# A TCP segment of 64 KB handed to the container's eth0 as its own TCP stack would (a GSO skb:
# PACKET_VNET_HDR asks the kernel to take the virtio-net header with the frame), so that it
# leaves the container whole, as with default offloads. argv: destination MAC.
GSO_SENDER = r"""
import socket, struct, sys
from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
payload = bytes((i * 7 + 3) & 0xFF for i in range(64000))
frame = bytes(Ether(src="02:00:00:00:0a:01", dst=sys.argv[1]) / IP(src="10.9.0.1", dst="10.9.0.2")
              / TCP(sport=1234, dport=80, flags="PA", seq=1000) / payload)
SOL_PACKET, PACKET_VNET_HDR = 263, 15   # linux/socket.h, linux/if_packet.h
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
s.bind(("eth0", 0))
# flags NEEDS_CSUM, GSO_TCPV4, hdr_len, gso_size, csum_start, csum_offset (little-endian)
hdr = struct.pack("<BBHHHH", 1, 1, 54, 1448, 34, 16)
print(s.send(hdr + frame))
"""


def test_64k_segment_from_a_veth_container_reaches_a_vhost_peer_whole(netns, switch, testpmd, sockets):
    """The issue's sentence: a segment from a vnet container reaches a virtio peer unsplit.

      c1 (netns, default offloads) eth0 --veth-- veth "c1" -> dpdk_switch -> vhost "vm" == testpmd rxonly
    """
    c1 = netns(tx_off=False)
    vm = sockets("vmv")
    sw = switch([{"name": "c1", "type": "veth", "iface": c1.hostif}, {"name": "vm", "type": "vhost", "path": str(vm)}])
    b = testpmd([f"net_virtio_user0,path={vm},queues=1"], "--forward-mode=rxonly", "--rx-offloads=0x1c")
    b.wait_log(r"testpmd> ", what="receiver's prompt")
    b.send("set verbose 1", "start")
    wait_for(lambda: tx_offloads(sw, "vm") == ["csum", "tso"], 10, what="vm's guest offloads")
    sent = c1.exec("/usr/bin/python3", "-c", GSO_SENDER, "02:00:00:00:0b:01")
    assert int(sent.stdout.split()[-1]) == 10 + 64054
    b.wait_log(r"length=64054", what="the vhost peer to get the 64 KB segment")
    time.sleep(1)
    log = b.log()
    assert [int(x) for x in re.findall(r"length=(\d+)", log)] == [64054]
    assert "RTE_MBUF_F_RX_LRO" in log
    stats = sw.port_stats()
    assert stats["vm"]["tx_packets"] == 1 and stats["vm"]["gso_segmented"] == 0
