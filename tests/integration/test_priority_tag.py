"""802.1Q priority tags (a tag with VID 0: a priority only) from a container.

    a  (scapy: broadcast tagged VID 0, PCP 5) ── af_packet "a", access vlan 10 ─┐
    b  (tcpdump: sees it untagged)            ── af_packet "b", access vlan 10 ─┼─ dpdk_switch
    t  (tcpdump: sees it tagged vlan 10)      ── af_packet "t", trunk [10] ─────┘

802.1Q puts a priority-tagged frame in the VLAN of the port it enters; on access ports it was
dropped as vlan_not_allowed. A trunk has no native VLAN, so there it stays a counted drop.
"""
import re
import sys

from conftest import wait_for
from test_vlan_arp import Capture, vlan_ports

# Runs inside a container: three UDP broadcasts from eth0 with an 802.1Q tag of VID `vid`, PCP 5.
PRIORITY_SEND = r"""
import sys
from scapy.all import IP, UDP, Dot1Q, Ether, Raw, conf, sendp
conf.verb = 0
mac, ip, vid = sys.argv[1], sys.argv[2], int(sys.argv[3])
sendp(Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=vid, prio=5) / IP(src=ip, dst="10.77.0.255")
      / UDP(sport=4242, dport=4242) / Raw(b"priority-tagged"), iface="eth0", count=3, inter=0.1)
"""


def vlan_drops(sw, port):
    return sw.port_stats()[port]["drops"].get("vlan_not_allowed", 0)


def test_priority_tagged_frames_join_the_access_ports_vlan(netns, switch, tmp_path):
    a, b, t = netns(), netns(), netns()
    sw = switch(vlan_ports(a=(a, 10), b=(b, 10), t=(t, [10])))
    cap_b = Capture(b, tmp_path / "b.txt", ["udp", "port", "4242"])
    cap_t = Capture(t, tmp_path / "t.txt")
    a.exec(sys.executable, "-c", PRIORITY_SEND, a.mac, a.ip, "0", timeout=60)

    datagram = rf"{re.escape(a.ip)}\.4242 > 10\.77\.0\.255\.4242: UDP, length 15"
    untagged = re.compile(rf"ethertype IPv4 \(0x0800\), length \d+: {datagram}")
    tagged10 = re.compile(rf"ethertype 802\.1Q \(0x8100\), length \d+: vlan 10, p \d, ethertype IPv4 \(0x0800\), {datagram}")
    try:
        wait_for(lambda: len(untagged.findall(cap_b.text())) == 3 and len(tagged10.findall(cap_t.text())) == 3, 5,
                 what="b to receive the three frames untagged and t tagged with VLAN 10")
    finally:
        text_b, text_t = cap_b.stop(), cap_t.stop()
        print(f"--- b ---\n{text_b}--- t ---\n{text_t}")
    assert "802.1Q" not in text_b, "the priority tag is taken off towards an access port"
    assert vlan_drops(sw, "a") == 0
    assert {(e["mac"], e["vlan"], e["port"]) for e in sw.mac_table()} == {(a.mac, 10, "a")}

    # From the trunk: VID 0 names no VLAN there (no native VLAN): dropped and counted.
    t.exec(sys.executable, "-c", PRIORITY_SEND, t.mac, t.ip, "0", timeout=60)
    wait_for(lambda: vlan_drops(sw, "t") == 3, 5, what="the trunk to count three vlan_not_allowed drops")
