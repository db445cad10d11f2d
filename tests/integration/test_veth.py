"""Containers as they come, on veth ports: default offloads on (no `ethtool tx off`), so their
kernels hand the switch partial checksums and TCP segments of up to 64 KB, which must reach the
other container whole and right.

    c1 (netns, offloads on) ── veth ── veth port c1 ─┐
                                                     ├─ dpdk_switch ── capture c1 -> pcapng
    c2 (netns, offloads on) ── veth ── veth port c2 ─┘
"""
import hashlib
import os
import struct
import subprocess
import sys

from conftest import veth_ports, wait_for
from probes import HTTP_PORT, ping_received

FILE_MB = 32


def serve_file(container, tmp_path, size_mb=FILE_MB):
    """python's http.server in `container` serving a random file; returns (URL, its sha256)."""
    www = tmp_path / f"www-{container.name}"
    www.mkdir()
    data = os.urandom(size_mb << 20)
    (www / "blob").write_bytes(data)
    container.popen(sys.executable, "-m", "http.server", HTTP_PORT, "--bind", container.ip,
                    "--directory", www, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"http://{container.ip}:{HTTP_PORT}/blob", hashlib.sha256(data).hexdigest()


def download_sha256(container, url, tmp_path):
    """Fetches url from inside container (retrying while the server starts); its sha256."""
    out = tmp_path / f"got-{container.name}"
    container.exec("curl", "-sS", "--retry", "10", "--retry-connrefused", "--retry-delay", "1",
                   "--max-time", "60", "-o", out, url, timeout=90)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    out.unlink()
    return digest


def offloads_on(container):
    """The container's eth0 leaves checksums to the device and segments for it to split."""
    out = container.exec("ethtool", "-k", "eth0").stdout
    return "tx-checksumming: on" in out and "tcp-segmentation-offload: on" in out


def drops(sw, port):
    return {k: v for k, v in sw.port_stats()[port]["drops"].items() if v}


def test_default_offload_containers_exchange_files_through_veth_ports(netns, switch, tmp_path):
    c1, c2 = netns(tx_off=False), netns(tx_off=False)
    assert offloads_on(c1) and offloads_on(c2)
    sw = switch(veth_ports(c1=c1, c2=c2))
    assert [p["type"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["veth", "veth"]
    c1.ping(c2.ip)

    # Both directions: each container serves a file the other fetches, byte for byte.
    for server, client in ((c2, c1), (c1, c2)):
        url, digest = serve_file(server, tmp_path)
        assert download_sha256(client, url, tmp_path) == digest

    # The bulk crossed as segments longer than any frame of the MTU (the kernel's GSO), not
    # split: a few thousand frames for 64 MB, where 1500-byte frames would be 45,000.
    stats = sw.port_stats()
    into_c1 = stats["c1"]["tx_packets"]
    assert stats["c1"]["tx_bytes"] / into_c1 > 4 * 1518, stats["c1"]
    assert drops(sw, "c1") == {} and drops(sw, "c2") == {}
    assert stats["c1"]["kernel"]["rx_ring_full"] == 0 and stats["c2"]["kernel"]["rx_ring_full"] == 0


def test_a_container_with_tx_off_still_works_beside_one_without(netns, switch, tmp_path):
    c1, c2 = netns(tx_off=True), netns(tx_off=False)
    assert not offloads_on(c1) and offloads_on(c2)
    sw = switch(veth_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)
    for server, client in ((c2, c1), (c1, c2)):
        url, digest = serve_file(server, tmp_path, size_mb=8)
        assert download_sha256(client, url, tmp_path) == digest
    assert drops(sw, "c1") == {} and drops(sw, "c2") == {}


def promiscuous(ifname):
    flags = int(open(f"/sys/class/net/{ifname}/flags").read(), 16)
    return bool(flags & 0x100)   # IFF_PROMISC


def test_veth_port_deleted_and_added_again(netns, switch, tmp_path):
    c1, c2 = netns(tx_off=False), netns(tx_off=False)
    sw = switch(veth_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)
    assert promiscuous(c2.hostif)

    assert sw.ctl("port", "del", "c2")["ok"] is True
    assert not promiscuous(c2.hostif), "the port's promiscuous mode outlived it"
    assert ping_received(c1.ping(c2.ip, count=3, check=False)) == 0

    assert sw.ctl("port", "add", "c2", "veth", f"iface={c2.hostif}")["ok"] is True
    assert sw.port_stats()["c2"]["rx_packets"] == 0
    # Which interface the added port sits on: a veth port has no devargs to tell it.
    assert sw.ctl("show", "port", "info", "c2")["ports"][0]["iface"] == c2.hostif
    text = sw.ctl("show", "port", "info", "c2", json=False)
    assert f"iface: {c2.hostif}" in text and "devargs: -" in text, text
    wait_for(lambda: sw.ctl("show", "port", "info", "c2")["ports"][0]["link_up"], 5, what="c2's link up")
    c1.ping(c2.ip)
    url, digest = serve_file(c2, tmp_path, size_mb=8)
    assert download_sha256(c1, url, tmp_path) == digest
    # While c2 was gone, c1's ARP requests for it had nowhere to go.
    assert set(drops(sw, "c1")) <= {"no_flood_target"} and drops(sw, "c2") == {}


def pcapng_packets(path):
    """(captured length, original length, bytes) of each packet block of a pcapng file."""
    data = open(path, "rb").read()
    out, at = [], 0
    while at + 12 <= len(data):
        btype, blen = struct.unpack_from("<II", data, at)
        assert blen >= 12 and at + blen <= len(data), f"a broken block at {at}"
        if btype == 6:   # enhanced packet block
            iface, _, _, cap, orig = struct.unpack_from("<IIIII", data, at + 8)
            assert iface == 0
            out.append((cap, orig, data[at + 28:at + 28 + cap]))
        at += blen
    assert at == len(data), "trailing bytes after the last block"
    return out


def test_capture_writes_a_64k_segment_whole(netns, switch, tmp_path):
    c1, c2 = netns(tx_off=False), netns(tx_off=False)
    sw = switch(veth_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)
    url, digest = serve_file(c2, tmp_path, size_mb=8)
    pcap = tmp_path / "c1.pcapng"
    sw.ctl("capture", "c1", str(pcap), "tx")   # what leaves toward c1: the download's segments
    assert download_sha256(c1, url, tmp_path) == digest
    sw.ctl("capture", "stop", "c1")

    packets = pcapng_packets(pcap)
    assert packets, "nothing captured"
    longest = max(packets, key=lambda p: p[1])
    cap, orig, frame = longest
    assert orig > 30000, f"no GSO segment among {len(packets)} frames (longest {orig} bytes)"
    assert cap == orig, f"a {orig}-byte segment captured as {cap} bytes"
    # What is written is the frame itself: its IPv4 total length says where it ends.
    assert struct.unpack_from("!H", frame, 12)[0] == 0x0800
    assert 14 + struct.unpack_from("!H", frame, 16)[0] == orig
    # tcpdump reads the file too.
    r = subprocess.run(["tcpdump", "-r", str(pcap), "-n", "-c", "5"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
