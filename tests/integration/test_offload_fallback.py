"""A TCP segment from a container with default offloads (its kernel hands the switch 64 KB GSO
segments with partial checksums) reaches ports that cannot take it as MTU-sized frames whose IP
and TCP checksums scapy verifies, in order, with the same bytes; the port that can takes it whole.

    c1 (netns, offloads on, HTTP server) ── veth port c1 ─┐
                                                          │            ┌─ veth port c2 ── c2 (curl: the file whole)
                                                          ├ dpdk_switch┼─ p: net_pcap, tx_pcap -> p.pcap
       c2 is not learned (its port's mac_limit is spent), │            ├─ x: af_xdp on c3's veth -> tcpdump in c3
       so c1 -> c2 is flooded to every port               ┘            └─ m: memif == testpmd (io) -> net_pcap m.pcap
"""
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from scapy.all import IP, TCP, Ether, rdpcap

from conftest import CTL_DIR, DPDK_RUNTIME_DIR, NAME_PREFIX, PID, free_hugepages, veth_ports, wait_for
from probes import HTTP_PORT
from test_veth import download_sha256, offloads_on, serve_file

TESTPMD = shutil.which("dpdk-testpmd")
HTTP_SPORT = int(HTTP_PORT)
NOBODY = "02:00:00:00:99:99"   # c2's one learned MAC, so that c2's own is not


class MemifToPcap:
    """dpdk-testpmd, io forwarding between a net_memif client and a net_pcap port whose tx_pcap
    is what reached it over memif. Its lcores share CPU 0: the switch's worker keeps CPU 1."""

    def __init__(self, sock, tmp_path):
        self.prefix = f"{NAME_PREFIX}{PID}mp"
        self.out = tmp_path / "m.pcap"
        empty = tmp_path / "empty.pcap"
        empty.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
        self.log_path = tmp_path / "testpmd-memif.log"
        self.args = [TESTPMD, "--lcores", "0@0,1@0", "--no-huge", "-m", "512", "--no-pci", "--file-prefix", self.prefix,
                     "--vdev", f"net_memif0,role=client,id=0,socket={sock},socket-abstract=no",
                     "--vdev", f"net_pcap0,rx_pcap={empty},tx_pcap={self.out}", "--",
                     "--forward-mode=io", "--nb-cores=1", "--total-num-mbufs=16384", "--auto-start"]
        self.proc = None

    def __enter__(self):
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=self._log, stderr=subprocess.STDOUT)
        return self

    def stop(self):
        """Closing stdin is testpmd's 'exit': it closes the pcap file."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self._log.close()
        self.proc = None
        shutil.rmtree(DPDK_RUNTIME_DIR / self.prefix, ignore_errors=True)

    def __exit__(self, *exc):
        self.stop()
        print(f"--- {self.log_path} ---\n{self.log_path.read_text(errors='replace')}")


def checksums_right(frame):
    """scapy's own IP and TCP checksums of the frame, against those it carries."""
    q = Ether(frame)
    ip_sum, tcp_sum = q[IP].chksum, q[TCP].chksum
    del q[IP].chksum
    del q[TCP].chksum
    r = Ether(bytes(q))
    return r[IP].chksum == ip_sum and r[TCP].chksum == tcp_sum


def check_stream(path, c1_ip, body, what):
    """The frames c1 sent in `path`: each at most 1514 bytes with checksums right, new data
    always where the last ended (in order, no gap), and the stream they make ends with `body`."""
    frames = [bytes(p) for p in rdpcap(str(path))]
    mine = [Ether(f) for f in frames]
    mine = [(f, q) for f, q in zip(frames, mine) if IP in q and TCP in q and q[IP].src == c1_ip
            and q[TCP].sport == HTTP_SPORT]
    assert mine, f"{what}: nothing from c1 among {len(frames)} frames"
    syn = [q for f, q in mine if q[TCP].flags & 0x02]
    assert syn, f"{what}: no SYN-ACK from c1"
    base = syn[0][TCP].seq + 1
    stream = bytearray()
    data_frames = 0
    for f, q in mine:
        assert len(f) <= 1514, f"{what}: a {len(f)}-byte frame (the segment was not split)"
        assert checksums_right(f), f"{what}: wrong checksum in {q.summary()}"
        # By the IP length: Ethernet padding is no payload.
        payload = f[14 + q[IP].ihl * 4 + q[TCP].dataofs * 4:14 + q[IP].len]
        if not payload:
            continue
        data_frames += 1
        at = (q[TCP].seq - base) % (1 << 32)
        assert at <= len(stream), f"{what}: a gap before byte {at} (the stream had {len(stream)})"
        old = stream[at:at + len(payload)]
        assert payload[:len(old)] == old, f"{what}: a retransmission at {at} differs"
        stream[at:at + len(payload)] = payload
    assert stream.endswith(body), f"{what}: the {len(stream)} bytes c1 sent are not the file"
    return data_frames


@pytest.mark.skipif(TESTPMD is None, reason="dpdk-testpmd is not installed (Debian package dpdk)")
def test_a_gso_segment_reaches_ports_that_cannot_take_it_split_and_right(netns, switch, tmp_path):
    if free_hugepages() < 300:
        pytest.fail("af_xdp needs hugepages: fewer than 300 free 2 MiB pages (scripts/hugepages.sh)")
    c1, c2, c3 = netns(tx_off=False), netns(tx_off=False), netns()
    assert offloads_on(c1)
    CTL_DIR.mkdir(parents=True, exist_ok=True)
    sock = CTL_DIR / f"{NAME_PREFIX}{PID}-ofl-memif.sock"
    sock.unlink(missing_ok=True)
    empty = tmp_path / "p_in.pcap"
    empty.write_bytes(bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000"))
    p_out = tmp_path / "p.pcap"
    ports = veth_ports(c1=c1, c2=c2) + [
        {"name": "p", "type": "dpdk", "devargs": f"net_pcap_ofl,rx_pcap={empty},tx_pcap={p_out}"},
        {"name": "x", "type": "af_xdp", "iface": c3.hostif},
        {"name": "m", "type": "memif", "socket": str(sock), "id": 0},
    ]
    ports[1]["mac_limit"] = 1
    sw = switch(ports, eal={"no_huge": False, "memory_mb": 512})
    try:
        with MemifToPcap(sock, tmp_path) as peer:
            wait_for(lambda: sw.ctl("show", "port", "info", "m")["ports"][0]["link_up"], 20, what="memif peer")
            # c2's port learns one MAC, not c2's: every frame to c2 is flooded.
            c2.exec("/usr/bin/python3", "-c",
                    "from scapy.all import Ether, sendp; "
                    f"sendp(Ether(src='{NOBODY}', dst='ff:ff:ff:ff:ff:ff', type=0x88b5) / bytes(46), iface='eth0', verbose=0)")
            wait_for(lambda: any(e["mac"] == NOBODY for e in sw.mac_table()), 5, what="the decoy MAC learned on c2")
            sniff = c3.popen("tcpdump", "-i", "eth0", "-n", "-s", "0", "-U", "-w", tmp_path / "x.pcap",
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(1.5)   # tcpdump's capture open

            url, digest = serve_file(c1, tmp_path, size_mb=2)
            assert download_sha256(c2, url, tmp_path) == digest
            body = (tmp_path / f"www-{c1.name}" / "blob").read_bytes()
            assert not any(e["mac"] == c2.mac for e in sw.mac_table()), "c2 was learned: nothing was flooded"

            stats = sw.port_stats()
            for port in ("p", "x", "m"):
                assert stats[port]["gso_segmented"] > 0, (port, stats[port])
                assert stats[port]["drops"] == {}, (port, stats[port]["drops"])
            assert stats["c2"]["gso_segmented"] == 0 and stats["c2"]["csum_completed"] == 0
            # c2 took the segments whole: fewer, longer frames than the others got.
            assert stats["c2"]["tx_bytes"] / stats["c2"]["tx_packets"] > 2 * 1514, stats["c2"]
            time.sleep(0.5)
            sniff.terminate()
            sniff.wait(timeout=10)
            peer.stop()
        assert sw.ctl("port", "del", "p")["ok"] is True   # closes p.pcap
    finally:
        sock.unlink(missing_ok=True)

    for path, what in ((p_out, "net_pcap"), (tmp_path / "x.pcap", "af_xdp"), (tmp_path / "m.pcap", "memif")):
        n = check_stream(path, c1.ip, body, what)
        assert n >= len(body) // 1460, f"{what}: {n} frames for {len(body)} bytes"
