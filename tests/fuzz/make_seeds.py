#!/usr/bin/python3
"""Writes tests/fuzz/seeds/: real frames (made with scapy) in frame_fuzzer's input format.

Each seed is a small scenario, so the fuzzer starts from inputs that already reach the deep
branches: a learned or static binding answered by the ARP or ND proxy, VLAN trunks, QinQ,
runts, headers split across segments. The format is described at the top of frame_fuzzer.cc.

    /usr/bin/python3 tests/fuzz/make_seeds.py      (needs scapy; rewrites the directory)
"""
import os
import shutil
import struct
from socket import AF_INET6, inet_ntop, inet_pton

from scapy.layers.inet import IP, TCP, UDP, ICMP
from scapy.layers.inet6 import (ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr,
                                ICMPv6NDOptSrcLLAddr, IPv6)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.layers.vxlan import VXLAN
from scapy.utils6 import in6_getnsma, in6_getnsmac

SEEDS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")

A, B, C = "02:00:00:00:00:0a", "02:00:00:00:00:0b", "02:00:00:00:00:0c"
IP_A, IP_B, IP_C = "10.0.0.1", "10.0.0.2", "10.0.0.3"
IP6_A, IP6_B = "fd00::a", "fd00::b"
BCAST = "ff:ff:ff:ff:ff:ff"


def header(trunk=False, proxy=True, burst=1, vlan=0, window=0):
    flags = (1 if trunk else 0) | (0 if proxy else 2)
    return struct.pack("<BBHI", flags, burst - 1, vlan, window)


def frame(pkt, port=0, headroom=0, split=None, oversize=False, pad=True):
    data = bytes(pkt)
    if pad and len(data) < 60:
        data += b"\0" * (60 - len(data))   # as it arrives from a NIC: padded to the minimum
    flags = headroom | (8 if split is not None else 0) | (16 if oversize else 0) | (port << 5)
    return struct.pack("<HBB", len(data), flags, split or 0) + data


def ctl(op, arg=0, payload=b"", aux=0):
    return struct.pack("<HBB", 0x8000 | op, arg, aux) + payload


# virtio_net_hdr flags and GSO types (linux/virtio_net.h); the fuzzer's OffloadCaps bits.
NEEDS_CSUM, DATA_VALID = 1, 2
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4, GSO_ECN = 0, 1, 3, 4, 5, 0x80
CAP_CSUM, CAP_TSO, CAP_USO, RX_FLAGS = 1, 2, 4, 8


def vnet(flags=0, gso=GSO_NONE, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0, caps=0, mtu_step=40):
    """Control op 6: the next frame takes the offload path with this header (MTU 68 + 36 * mtu_step)."""
    return ctl(6, caps, struct.pack("<BBHHHH", flags, gso, hdr_len, gso_size, csum_start, csum_offset), aux=mtu_step)


TNL_V4, TNL_V6, TNL_CSUM = 0x20, 0x40, 8   # UDP-tunnel GSO type bits; flag UDP_TUNNEL_CSUM
NO_DECAP = 8                               # op 7's arg: switched as it is, not decapsulated


def tunnel(flags=0, gso=GSO_NONE, hdr_len=0, gso_size=0, csum_start=0, csum_offset=0, outer_th=0, inner_nh=0,
           caps=0, mtu_step=40):
    """Control op 7: the next frame comes from a vtap with this 24-byte UDP-tunnel header."""
    return ctl(7, caps, struct.pack("<BBHHHHHHHHHHH", flags, gso, hdr_len, gso_size, csum_start, csum_offset,
                                    0, 0, 0, 0, 0, outer_th, inner_nh), aux=mtu_step)


# The fuzzer's VTEP (tunnel_fuzz.h): 192.168.0.1 on UDP 4789, VNI 100 and 200, the remote 192.168.0.2
# on the link, 10.9.0.2 and 10.9.0.3 behind the gateway 192.168.0.254.
VTEP_LOCAL, VTEP_REMOTE = "192.168.0.1", "192.168.0.2"
VTEP_FAR, VTEP_FAR2, GATEWAY = "10.9.0.2", "10.9.0.3", "192.168.0.254"
UA, UB, UG = "02:00:00:00:01:0a", "02:00:00:00:01:0b", "02:00:00:00:01:fe"


def vxlan(inner, vni=100, src=VTEP_REMOTE, dst=VTEP_LOCAL, v6=False, dport=4789):
    ip = IPv6(src="fd01::2", dst="fd01::1") if v6 else IP(src=src, dst=dst)
    return Ether(src=UB, dst=UA) / ip / UDP(sport=40000, dport=dport) / VXLAN(vni=vni) / inner


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ip_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def arp(op, hwsrc, psrc, pdst, hwdst="00:00:00:00:00:00", dst=BCAST, vlan=None):
    eth = Ether(src=hwsrc, dst=dst)
    body = ARP(op=op, hwsrc=hwsrc, psrc=psrc, hwdst=hwdst, pdst=pdst)
    return eth / Dot1Q(vlan=vlan) / body if vlan is not None else eth / body


def ns(src_mac, src_ip, target, dad=False, hlim=255, opt=True):
    snm = in6_getnsma(inet_pton(AF_INET6, target))   # solicited-node multicast address and MAC
    pkt = Ether(src=src_mac, dst=in6_getnsmac(snm)) / \
        IPv6(src="::" if dad else src_ip, dst=inet_ntop(AF_INET6, snm), hlim=hlim) / ICMPv6ND_NS(tgt=target)
    return pkt / ICMPv6NDOptSrcLLAddr(lladdr=src_mac) if opt and not dad else pkt


def na(src_mac, target, dst_mac=A, dst_ip=IP6_A):
    return Ether(src=src_mac, dst=dst_mac) / IPv6(src=target, dst=dst_ip, hlim=255) / \
        ICMPv6ND_NA(tgt=target, R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=src_mac)


def seeds():
    s = {}
    # ARP proxy: B announces itself on port 1, A asks for B on port 0 and is answered.
    s["arp_gratuitous_then_request"] = header() + frame(arp(1, B, IP_B, IP_B), port=1) + \
        frame(arp(1, A, IP_A, IP_B), port=0)
    s["arp_reply_then_request"] = header() + frame(arp(2, B, IP_B, IP_A, A, dst=A), port=1) + \
        frame(arp(1, C, IP_C, IP_B), port=2) + frame(arp(1, B, IP_B, IP_B), port=1)
    s["arp_probe"] = header() + frame(arp(1, A, "0.0.0.0", IP_B), port=0) + frame(arp(1, C, IP_C, IP_A), port=2)
    s["arp_static_binding"] = header() + ctl(3, 0, ip_bytes(IP_B) + mac_bytes(B)) + \
        frame(arp(1, A, IP_A, IP_B)) + frame(arp(1, B, IP_B, IP_A), port=1)
    s["arp_owner_asks_itself"] = header() + frame(arp(1, B, IP_B, IP_C), port=1) + frame(arp(1, B, IP_B, IP_B), port=1)
    s["arp_truncated_and_bogus"] = header(burst=4) + \
        frame(bytes(arp(1, A, IP_A, IP_B))[:30], pad=False) + \
        frame(bytes(Ether(src=A, dst=BCAST) / ARP(hwlen=8, plen=4, pdst=IP_B, psrc=IP_A))) + \
        frame(bytes(Ether(src=A, dst=BCAST) / ARP(ptype=0x86dd, pdst=IP_B, psrc=IP_A))) + \
        frame(arp(1, A, IP_A, IP_B), split=20)
    s["arp_proxy_off"] = header(proxy=False) + frame(arp(1, B, IP_B, IP_B), port=1) + frame(arp(1, A, IP_A, IP_B))
    # IPv4 unicast: learn both ends, then forward; a hairpin; a moved MAC.
    s["ipv4_udp_tcp"] = header(burst=2) + \
        frame(Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / UDP(sport=1000, dport=53) / b"q", port=0) + \
        frame(Ether(src=C, dst=A) / IP(src=IP_C, dst=IP_A) / ICMP(), port=0) + \
        frame(Ether(src=B, dst=A) / IP(src=IP_B, dst=IP_A) / TCP(sport=80, dport=1000, flags="SA"), port=1) + \
        frame(Ether(src=B, dst=C) / IP(src=IP_B, dst=IP_C) / TCP(), port=1) + \
        frame(Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / TCP(), port=2) + \
        frame(Ether(src=B, dst=A) / IP(src=IP_B, dst=IP_A) / TCP(), port=1)
    s["broadcast_and_bad_sources"] = header(burst=3) + \
        frame(Ether(src=A, dst=BCAST) / IP(src=IP_A, dst="255.255.255.255") / UDP(dport=67)) + \
        frame(Ether(src="01:00:5e:00:00:01", dst=B) / IP()) + \
        frame(Ether(src="00:00:00:00:00:00", dst=B) / IP())
    # IPv6 ND proxy: B advertises on port 1, A solicits on port 0 and gets the NA.
    s["nd_na_then_ns"] = header() + frame(na(B, IP6_B), port=1) + frame(ns(A, IP6_A, IP6_B), port=0)
    s["nd_ns_then_ns"] = header() + frame(ns(B, IP6_B, IP6_A), port=1) + frame(ns(A, IP6_A, IP6_B), port=0) + \
        frame(ns(A, IP6_A, IP6_B, opt=False), port=0)
    s["nd_dad_and_odd"] = header(burst=4) + frame(ns(B, IP6_B, IP6_B, dad=True), port=1) + \
        frame(ns(A, IP6_A, IP6_B, hlim=64)) + \
        frame(bytes(ns(A, IP6_A, IP6_B))[:70], pad=False) + \
        frame(Ether(src=A, dst=B) / IPv6(src=IP6_A, dst=IP6_B) / ICMPv6EchoRequest())
    s["nd_split_segments"] = header() + frame(na(B, IP6_B), port=1) + frame(ns(A, IP6_A, IP6_B), split=60) + \
        frame(ns(A, IP6_A, IP6_B), headroom=3)
    # 802.1Q: a trunk carrying VLANs 10 and 20 (window base 10, bits 0 and 10).
    trunk = header(trunk=True, vlan=10, window=(1 << 0) | (1 << 10))
    s["vlan_trunk_arp"] = trunk + frame(arp(1, B, IP_B, IP_B, vlan=10), port=1) + \
        frame(arp(1, A, IP_A, IP_B, vlan=10), port=0) + frame(arp(1, A, IP_A, IP_B, vlan=20), port=0) + \
        frame(arp(1, A, IP_A, IP_B, vlan=30), port=0) + frame(arp(1, A, IP_A, IP_B), port=0)
    s["vlan_trunk_nd"] = trunk + frame(Ether(src=B, dst=A) / Dot1Q(vlan=20) / IPv6(src=IP6_B, dst=IP6_A, hlim=255) /
                                       ICMPv6ND_NA(tgt=IP6_B) / ICMPv6NDOptDstLLAddr(lladdr=B), port=1) + \
        frame(Ether(src=A, dst="33:33:ff:00:00:0b") / Dot1Q(vlan=20) / IPv6(src=IP6_A, dst="ff02::1:ff00:b", hlim=255) /
              ICMPv6ND_NS(tgt=IP6_B) / ICMPv6NDOptSrcLLAddr(lladdr=A), port=0)
    s["vlan_access_tagged"] = header(vlan=10) + frame(arp(1, A, IP_A, IP_B, vlan=10)) + frame(arp(1, A, IP_A, IP_B))
    s["qinq"] = header(trunk=True, vlan=100, window=1) + \
        frame(Ether(src=A, dst=B, type=0x88a8) / Dot1AD(vlan=100) / Dot1Q(vlan=10) / IP()) + \
        frame(Ether(src=A, dst=B) / Dot1Q(vlan=100) / Dot1Q(vlan=10) / IP()) + \
        frame(Ether(src=A, dst=B, type=0x88a8) / Dot1AD(vlan=100) / IP())
    # Runts and truncated headers, a header split across segments, an oversize chain.
    eth = bytes(Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B))
    s["runts"] = header(burst=6) + frame(b"", pad=False) + frame(eth[:5], pad=False) + \
        frame(eth[:13], pad=False) + frame(eth[:14], pad=False) + \
        frame(bytes(Ether(src=A, dst=B) / Dot1Q(vlan=10))[:16], pad=False) + frame(eth, split=8)
    s["oversize"] = header(burst=2) + frame(Ether(src=A, dst=B) / IP() / UDP(), oversize=True) + \
        frame(Ether(src=A, dst=B) / IP() / UDP() / (b"x" * 300), split=200)
    # Control ops between bursts: static MAC (conflicts with learning), flushes, removals.
    s["control_ops"] = header() + ctl(2, 3, mac_bytes(B)) + frame(Ether(src=B, dst=A) / IP(), port=1) + \
        frame(Ether(src=A, dst=B) / IP(), port=0) + ctl(1, 0) + frame(arp(1, C, IP_C, IP_A), port=2) + \
        ctl(5, 0, mac_bytes(C)) + ctl(4) + frame(arp(1, A, IP_A, IP_C), port=0) + ctl(0) + \
        frame(arp(1, A, IP_A, IP_C), port=0)
    # More sources and bindings than the fuzzer's tables hold (32 MACs, 16 bindings).
    s["tables_full"] = header(burst=32) + b"".join(
        frame(bytes(arp(1, "02:00:00:00:01:%02x" % i, "10.0.1.%d" % i, IP_A))[:42], port=i % 8, pad=False)
        for i in range(40))
    # A full burst of everything at once, as a worker sees it.
    mixed = [arp(1, B, IP_B, IP_B), arp(1, A, IP_A, IP_B), na(B, IP6_B), ns(A, IP6_A, IP6_B),
             Ether(src=A, dst=B) / IP() / UDP(), Ether(src=C, dst=BCAST) / IP(), eth[:10]]
    s["burst32_mixed"] = header(burst=32) + b"".join(
        frame(mixed[i % len(mixed)], headroom=i % 8, pad=i % len(mixed) != 6) for i in range(32))
    # The virtio-net header: a vnet port's partial checksums and GSO segments, to a port that
    # takes them (caps) or one that gets them completed and split (no caps, an MTU of 608 or
    # 428). Each seed stays under scripts/fuzz.sh's -max_len.
    tcp4 = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / TCP(sport=1000, dport=80, flags="PA") / (b"t" * 1300)
    tcp6 = Ether(src=A, dst=B) / IPv6(src=IP6_A, dst=IP6_B) / TCP(sport=1000, dport=80, flags="A") / (b"s" * 1100)
    udp4 = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=5001) / (b"u" * 900)
    tagged = Ether(src=A, dst=B) / Dot1Q(vlan=10) / IP(src=IP_A, dst=IP_B) / TCP(flags="A") / (b"v" * 1000)
    csum_tcp = dict(flags=NEEDS_CSUM, csum_offset=16)
    s["vnet_tso4_split_and_kept"] = header() + \
        vnet(gso=GSO_TCPV4, hdr_len=54, gso_size=500, csum_start=34, mtu_step=15, **csum_tcp) + \
        frame(tcp4, pad=False) + \
        vnet(gso=GSO_TCPV4, hdr_len=54, gso_size=500, csum_start=34, caps=CAP_CSUM | CAP_TSO, **csum_tcp) + \
        frame(tcp4, pad=False)
    s["vnet_tso4_ecn_split_segments"] = header() + \
        vnet(gso=GSO_TCPV4 | GSO_ECN, hdr_len=54, gso_size=350, csum_start=34, mtu_step=10, **csum_tcp) + \
        frame(tcp4, split=60, pad=False)
    s["vnet_tso6"] = header() + \
        vnet(gso=GSO_TCPV6, hdr_len=74, gso_size=400, csum_start=54, mtu_step=15, **csum_tcp) + frame(tcp6, pad=False)
    s["vnet_uso_and_csum"] = header() + \
        vnet(flags=NEEDS_CSUM, gso=GSO_UDP_L4, hdr_len=42, gso_size=300, csum_start=34, csum_offset=6,
             mtu_step=10) + frame(udp4, pad=False) + \
        vnet(flags=NEEDS_CSUM, csum_start=34, csum_offset=6) + frame(udp4, pad=False) + \
        vnet(flags=DATA_VALID) + frame(Ether(src=A, dst=B) / IP() / UDP(), pad=False)
    s["vnet_tagged_tso"] = header() + \
        vnet(gso=GSO_TCPV4, hdr_len=58, gso_size=450, csum_start=38, mtu_step=15, **csum_tcp) + frame(tagged, pad=False)
    short = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / TCP(flags="A") / (b"w" * 200)
    s["vnet_bad_headers"] = header() + \
        vnet(gso=GSO_TCPV4, hdr_len=54, gso_size=0, csum_start=34, **csum_tcp) + frame(short, pad=False) + \
        vnet(flags=NEEDS_CSUM, csum_start=4000, csum_offset=16) + frame(short, pad=False) + \
        vnet(gso=GSO_TCPV6, hdr_len=54, gso_size=100, csum_start=34, **csum_tcp) + frame(short, pad=False) + \
        vnet(gso=GSO_UDP, hdr_len=42, gso_size=100) + frame(udp4, pad=False) + \
        vnet(gso=GSO_TCPV4, hdr_len=54, gso_size=100, csum_start=34, **csum_tcp) + \
        frame(bytes(short)[:40], pad=False) + \
        vnet(gso=GSO_TCPV4, hdr_len=54, gso_size=2, csum_start=34, **csum_tcp) + frame(short, pad=False)
    # What a virtio ethdev says with RX flags: RX_LRO + tso_segsz (bit0), RX_L4_CKSUM_NONE (bit1).
    s["virtio_rx_flags"] = header() + \
        vnet(flags=3, gso_size=400, caps=RX_FLAGS, mtu_step=15) + frame(tcp6, pad=False) + \
        vnet(flags=2, caps=RX_FLAGS) + frame(short, pad=False) + \
        vnet(flags=3, gso_size=500, caps=RX_FLAGS) + frame(short, pad=False) + \
        vnet(flags=1, gso_size=0, caps=RX_FLAGS) + frame(short, pad=False)
    s["virtio_rx_flags_tso_kept"] = header() + \
        vnet(flags=3, gso_size=500, caps=RX_FLAGS | CAP_CSUM | CAP_TSO) + frame(tcp4, pad=False)
    # A vtap's UDP-tunnel header (op 7): VXLAN from the fuzzer's remote VTEP, its inner TCP/UDP
    # segment left whole, decapsulated (its requests then the inner frame's) or switched as it
    # is; outer UDP at 34 (IPv4) or 54 (IPv6), inner IP 30 bytes later.
    itcp = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / TCP(sport=1000, dport=80, flags="PA") / (b"t" * 1200)
    iudp = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / UDP(sport=5000, dport=5001) / (b"u" * 900)
    itcp6 = Ether(src=A, dst=B) / IPv6(src=IP6_A, dst=IP6_B) / TCP(sport=1000, dport=80, flags="A") / (b"s" * 900)
    itag = Ether(src=A, dst=B) / Dot1Q(vlan=7) / IP(src=IP_A, dst=IP_B) / TCP(flags="A") / (b"v" * 800)
    tso4 = dict(flags=NEEDS_CSUM, gso=GSO_TCPV4 | TNL_V4, hdr_len=104, gso_size=400, csum_start=84, csum_offset=16,
                outer_th=34, inner_nh=64)
    s["tunnel_tso4_decap"] = header() + tunnel(mtu_step=15, **tso4) + frame(vxlan(itcp), pad=False) + \
        tunnel(caps=CAP_CSUM | CAP_TSO, **tso4) + frame(vxlan(itcp, vni=200), pad=False)
    s["tunnel_tso4_switched"] = header() + tunnel(caps=NO_DECAP, mtu_step=20, **tso4) + \
        frame(vxlan(itcp), pad=False) + tunnel(caps=NO_DECAP | CAP_TSO | CAP_CSUM, **tso4) + \
        frame(vxlan(itcp), split=90, pad=False)
    s["tunnel_uso_and_tso6_decap"] = header() + \
        tunnel(flags=NEEDS_CSUM | TNL_CSUM, gso=GSO_UDP_L4 | TNL_V4, hdr_len=92, gso_size=300, csum_start=84,
               csum_offset=6, outer_th=34, inner_nh=64, mtu_step=10) + frame(vxlan(iudp), pad=False) + \
        tunnel(flags=NEEDS_CSUM, gso=GSO_TCPV6 | TNL_V4 | GSO_ECN, hdr_len=124, gso_size=300, csum_start=104,
               csum_offset=16, outer_th=34, inner_nh=64, mtu_step=12) + frame(vxlan(itcp6), pad=False)
    s["tunnel_tagged_inner_decap"] = header() + \
        tunnel(flags=NEEDS_CSUM, gso=GSO_TCPV4 | TNL_V4, hdr_len=108, gso_size=300, csum_start=88, csum_offset=16,
               outer_th=34, inner_nh=68, mtu_step=12) + frame(vxlan(itag), pad=False) + \
        tunnel() + frame(vxlan(itag), pad=False)
    # A plain header at the inner checksum (what the kernel sends without tunnel GSO); none at all;
    # padding after the outer packet; unknown VTEP, VNI and port; an outer ARP.
    small = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / UDP(sport=1, dport=2) / b"p"
    s["tunnel_csum_only_and_plain"] = header(burst=2) + \
        tunnel(flags=NEEDS_CSUM, csum_start=84, csum_offset=16) + frame(vxlan(itcp), pad=False) + \
        tunnel(flags=NEEDS_CSUM, csum_start=84, csum_offset=6, caps=CAP_CSUM) + frame(vxlan(small)) + \
        tunnel() + frame(bytes(vxlan(small)) + b"\0" * 20, pad=False) + \
        tunnel() + frame(vxlan(small, src="192.168.0.9")) + tunnel() + frame(vxlan(small, vni=300)) + \
        tunnel() + frame(vxlan(small, dport=4790)) + tunnel() + frame(arp(1, UB, VTEP_REMOTE, VTEP_LOCAL))
    s["tunnel_ipv6_outer"] = header() + \
        tunnel(caps=NO_DECAP, flags=NEEDS_CSUM, gso=GSO_TCPV4 | TNL_V6, hdr_len=124, gso_size=500, csum_start=104,
               csum_offset=16, outer_th=54, inner_nh=84, mtu_step=20) + frame(vxlan(itcp, v6=True), pad=False) + \
        tunnel(flags=NEEDS_CSUM, gso=GSO_TCPV4 | TNL_V6, hdr_len=124, gso_size=500, csum_start=104,
               csum_offset=16, outer_th=54, inner_nh=84) + frame(vxlan(itcp, v6=True), pad=False)
    bad = dict(tso4, gso_size=100)
    itcp = Ether(src=A, dst=B) / IP(src=IP_A, dst=IP_B) / TCP(sport=1000, dport=80, flags="PA") / (b"t" * 200)
    s["tunnel_bad_headers"] = header() + \
        tunnel(**dict(bad, gso=GSO_TCPV4 | TNL_V4 | TNL_V6)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, flags=0)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, outer_th=30)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, inner_nh=60)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, gso=GSO_TCPV6 | TNL_V4)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, gso=GSO_UDP | TNL_V4)) + frame(vxlan(itcp), pad=False) + \
        tunnel(**dict(bad, gso=GSO_TCPV4 | TNL_V6)) + frame(vxlan(itcp), pad=False) + \
        tunnel(flags=NEEDS_CSUM | TNL_CSUM, csum_start=84, csum_offset=16) + frame(vxlan(itcp), pad=False) + \
        tunnel(**tso4) + frame(bytes(vxlan(itcp))[:80], pad=False)
    # ARP on the underlay: the on-link VTEP's reply to our request resolves it, the gateway's
    # request for our address resolves both VTEPs behind it and is answered, a gratuitous ARP
    # after the gateway moved; the far VTEP's own ARP, a group sender and a runt resolve nothing;
    # then VXLAN from each VTEP.
    s["tunnel_underlay_arp"] = header() + \
        tunnel() + frame(arp(2, UB, VTEP_REMOTE, VTEP_LOCAL, UA, dst=UA)) + \
        tunnel() + frame(arp(1, UG, GATEWAY, VTEP_LOCAL)) + \
        tunnel() + frame(arp(1, "02:00:00:00:01:fd", GATEWAY, GATEWAY)) + \
        tunnel() + frame(arp(2, UB, VTEP_FAR, VTEP_LOCAL, UA, dst=UA)) + \
        tunnel() + frame(arp(1, "03:00:00:00:01:fe", GATEWAY, VTEP_LOCAL)) + \
        tunnel() + frame(bytes(arp(1, UG, GATEWAY, VTEP_LOCAL))[:40], pad=False) + \
        tunnel() + frame(vxlan(small, src=VTEP_FAR)) + tunnel() + frame(vxlan(small, src=VTEP_FAR2, vni=200))
    return s


def main():
    shutil.rmtree(SEEDS, ignore_errors=True)
    os.makedirs(SEEDS)
    total = 0
    for name, data in sorted(seeds().items()):
        with open(os.path.join(SEEDS, name), "wb") as f:
            f.write(data)
        total += len(data)
    print(f"make_seeds: {len(seeds())} seeds, {total} bytes in {SEEDS}")


if __name__ == "__main__":
    main()
