#!/usr/bin/python3
"""Writes the pcap traffic used by bench/ (the P_fwd/P_rev.pcap of BENCHMARKS.md's "Reproducing").

    gen_pcap.py OUTDIR

OUTDIR/p2_fwd.pcap     1 frame   A -> B    A = 02:00:00:00:00:01 10.0.0.1, B = 02:00:00:00:00:02 10.0.0.2
OUTDIR/p2_rev.pcap     1 frame   B -> A
OUTDIR/p1024_fwd.pcap  1024 frames A_i -> B_i, i = 1..1024 (HH = i >> 8, LL = i & 0xff):
                       A_i = 02:00:00:00:HH:LL 10.0.HH.LL, B_i = 02:00:01:00:HH:LL 10.1.HH.LL
OUTDIR/p1024_rev.pcap  1024 frames B_i -> A_i
OUTDIR/p1024vlan_fwd.pcap  the p1024_fwd frames with an 802.1Q tag, VLAN 10 (64 bytes): what a trunk carries
OUTDIR/p1024vlan_rev.pcap  the p1024_rev frames, untagged: what an access port of VLAN 10 carries
OUTDIR/p1024vx_fwd.pcap    what a VTEP's underlay carries: an ARP reply of the remote VTEP (VX_REMOTE_IP is
                           at VX_REMOTE_MAC, told to VX_LOCAL_IP at VX_LOCAL_MAC), then the p1024_fwd frames,
                           each in Ethernet / IPv4 (DF) / UDP 4789 / VXLAN (VNI VX_VNI) from the remote VTEP to
                           VX_LOCAL_IP, the outer UDP source port one per inner flow (49152 + i)
OUTDIR/p1024vx_rev.pcap    the p1024_rev frames, plain: the switch encapsulates them toward the remote VTEP

Every frame is 60 bytes (64 on the wire with FCS): Ethernet / IPv4 / UDP 1024 -> 1024 with an
18-byte zero payload, a valid IPv4 header checksum and a valid UDP checksum. The unidirectional
("flood") benchmarks replay only the *_fwd file. Plain struct, no scapy: it runs in milliseconds.
The VXLAN frames are 110 bytes (the 60-byte inner frame and 50 bytes of outer headers; outer UDP
checksum 0, as RFC 7348 allows). The ARP reply is how the switch under test learns the remote VTEP's
MAC on a port nobody answers from: replayed with the rest, it keeps the binding fresh.
"""
import os
import struct
import sys

FRAME_LEN = 60
UDP_PORT = 1024
PCAP_GLOBAL = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # LINKTYPE_ETHERNET


def csum16(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac(*octets: int) -> bytes:
    return bytes(octets)


def ip4(*octets: int) -> bytes:
    return bytes(octets)


def frame(src_mac: bytes, dst_mac: bytes, src_ip: bytes, dst_ip: bytes) -> bytes:
    payload = bytes(FRAME_LEN - 14 - 20 - 8)
    udp_len = 8 + len(payload)
    ip_len = 20 + udp_len
    ip_hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ip_len, 0, 0, 64, 17, 0, src_ip, dst_ip)
    ip_hdr = ip_hdr[:10] + struct.pack("!H", csum16(ip_hdr)) + ip_hdr[12:]
    udp_hdr = struct.pack("!HHHH", UDP_PORT, UDP_PORT, udp_len, 0)
    pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 17, udp_len)
    ucs = csum16(pseudo + udp_hdr + payload) or 0xFFFF
    udp_hdr = udp_hdr[:6] + struct.pack("!H", ucs)
    eth = dst_mac + src_mac + struct.pack("!H", 0x0800)
    out = eth + ip_hdr + udp_hdr + payload
    assert len(out) == FRAME_LEN
    return out


VLAN = 10


def tagged(fr: bytes, vlan: int) -> bytes:
    return fr[:12] + struct.pack("!HH", 0x8100, vlan) + fr[12:]


# The VXLAN underlay of p1024vx: addresses from the benchmarking range (RFC 2544, 198.18.0.0/15), so
# that they meet nothing real. VX_LOCAL_MAC is the MAC net_pcap gives the first pcap port of a process
# in DPDK 22.11 ("pcap" and the port's number): the switch's underlay MAC (the harness checks it), and
# OVS's br-phy is given it too.
VX_LOCAL_IP = ip4(198, 18, 0, 1)
VX_REMOTE_IP = ip4(198, 18, 0, 2)
VX_LOCAL_MAC = mac(0x02, 0x70, 0x63, 0x61, 0x70, 0x00)
VX_REMOTE_MAC = mac(0x02, 0x00, 0xC6, 0x12, 0x00, 0x02)
VX_VNI = 5000
VXLAN_PORT = 4789


def ipv4_header(src_ip: bytes, dst_ip: bytes, payload_len: int, flags_frag: int = 0) -> bytes:
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, flags_frag, 64, 17, 0, src_ip, dst_ip)
    return hdr[:10] + struct.pack("!H", csum16(hdr)) + hdr[12:]


def vxlan_wrapped(inner: bytes, sport: int) -> bytes:
    """INNER in the outer headers the remote VTEP puts on it: DF set, UDP checksum 0, VNI VX_VNI."""
    vx = struct.pack("!B3xI", 0x08, VX_VNI << 8)
    udp = struct.pack("!HHHH", sport, VXLAN_PORT, 8 + len(vx) + len(inner), 0)
    ip = ipv4_header(VX_REMOTE_IP, VX_LOCAL_IP, len(udp) + len(vx) + len(inner), 0x4000)
    return VX_LOCAL_MAC + VX_REMOTE_MAC + struct.pack("!H", 0x0800) + ip + udp + vx + inner


def arp_reply(sha: bytes, spa: bytes, tha: bytes, tpa: bytes) -> bytes:
    arp = struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 2, sha, spa, tha, tpa)
    fr = tha + sha + struct.pack("!H", 0x0806) + arp
    return fr + bytes(FRAME_LEN - len(fr))


def write_pcap(path: str, frames) -> None:
    with open(path, "wb") as f:
        f.write(PCAP_GLOBAL)
        for n, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 0, n, len(fr), len(fr)))  # ts 0 s + n us
            f.write(fr)


def hosts(count: int):
    """(A, B) host pairs as ((mac, ip), (mac, ip))."""
    if count == 1:
        return [((mac(2, 0, 0, 0, 0, 1), ip4(10, 0, 0, 1)),
                 (mac(2, 0, 0, 0, 0, 2), ip4(10, 0, 0, 2)))]
    pairs = []
    for i in range(1, count + 1):
        hh, ll = i >> 8, i & 0xFF
        pairs.append(((mac(2, 0, 0, 0, hh, ll), ip4(10, 0, hh, ll)),
                      (mac(2, 0, 1, 0, hh, ll), ip4(10, 1, hh, ll))))
    return pairs


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    for name, count in (("p2", 1), ("p1024", 1024)):
        pairs = hosts(count)
        write_pcap(os.path.join(outdir, name + "_fwd.pcap"),
                   (frame(a[0], b[0], a[1], b[1]) for a, b in pairs))
        write_pcap(os.path.join(outdir, name + "_rev.pcap"),
                   (frame(b[0], a[0], b[1], a[1]) for a, b in pairs))
    pairs = hosts(1024)
    write_pcap(os.path.join(outdir, "p1024vlan_fwd.pcap"),
               (tagged(frame(a[0], b[0], a[1], b[1]), VLAN) for a, b in pairs))
    write_pcap(os.path.join(outdir, "p1024vlan_rev.pcap"),
               (frame(b[0], a[0], b[1], a[1]) for a, b in pairs))
    underlay = [arp_reply(VX_REMOTE_MAC, VX_REMOTE_IP, VX_LOCAL_MAC, VX_LOCAL_IP)]
    underlay += [vxlan_wrapped(frame(a[0], b[0], a[1], b[1]), 49152 + i) for i, (a, b) in enumerate(pairs)]
    write_pcap(os.path.join(outdir, "p1024vx_fwd.pcap"), underlay)
    write_pcap(os.path.join(outdir, "p1024vx_rev.pcap"), (frame(b[0], a[0], b[1], a[1]) for a, b in pairs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
