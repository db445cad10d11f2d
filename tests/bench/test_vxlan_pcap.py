"""The pcap part's VXLAN traffic (p1024vx, issue 30): what gen_pcap.py writes, the switch's config, and the checks that
turn a run without real decapsulation and encapsulation into a failure instead of a figure."""
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from dswbench import pcap_rate, summary, vxlan_pcap
from dswbench.vxlan_pcap import check_switch, ovs_vxlan_result

REPO = Path(__file__).resolve().parents[2]


def read_pcap(path):
    data = path.read_bytes()
    assert struct.unpack("<I", data[:4])[0] == 0xA1B2C3D4
    frames, off = [], 24
    while off < len(data):
        incl = struct.unpack("<IIII", data[off:off + 16])[2]
        frames.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return frames


def csum_ok(hdr):
    s = sum(struct.unpack("!%dH" % (len(hdr) // 2), hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s == 0xFFFF


@pytest.fixture(scope="module")
def pcaps(tmp_path_factory):
    d = tmp_path_factory.mktemp("pcap")
    subprocess.run([sys.executable, str(REPO / "scripts" / "gen_pcap.py"), str(d)], check=True)
    return d


def test_the_underlay_pcap_is_an_arp_reply_then_p1024_encapsulated_to_the_vtep(pcaps):
    g = vxlan_pcap._g
    fwd, plain = read_pcap(pcaps / "p1024vx_fwd.pcap"), read_pcap(pcaps / "p1024_fwd.pcap")
    assert len(fwd) == 1 + 1024
    arp = fwd[0]
    assert arp[:6] == g.VX_LOCAL_MAC and arp[6:12] == g.VX_REMOTE_MAC and arp[12:14] == b"\x08\x06"
    op, sha, spa, tha, tpa = struct.unpack("!6xH6s4s6s4s", arp[14:42])
    assert (op, sha, spa, tha, tpa) == (2, g.VX_REMOTE_MAC, g.VX_REMOTE_IP, g.VX_LOCAL_MAC, g.VX_LOCAL_IP)
    sports = set()
    for outer, inner in zip(fwd[1:], plain):
        assert len(outer) == 110 and outer[:6] == g.VX_LOCAL_MAC and outer[6:12] == g.VX_REMOTE_MAC
        ip = outer[14:34]
        assert ip[0] == 0x45 and ip[9] == 17 and ip[6:8] == b"\x40\x00" and csum_ok(ip)   # UDP, DF
        assert ip[12:16] == g.VX_REMOTE_IP and ip[16:20] == g.VX_LOCAL_IP
        assert struct.unpack("!H", ip[2:4])[0] == len(outer) - 14
        sport, dport, ulen, ucsum = struct.unpack("!HHHH", outer[34:42])
        assert dport == 4789 and ulen == len(outer) - 34 and ucsum == 0
        sports.add(sport)
        assert outer[42] == 0x08 and struct.unpack("!I", outer[46:50])[0] >> 8 == g.VX_VNI
        assert outer[50:] == inner   # the p1024 frame A_i -> B_i, untouched
    assert len(sports) == 1024 and min(sports) >= 49152   # one outer source port per inner flow
    assert read_pcap(pcaps / "p1024vx_rev.pcap") == read_pcap(pcaps / "p1024_rev.pcap")


def test_the_switch_config_maps_the_default_vlan_to_the_vni_with_the_remote_listed():
    cfg = vxlan_pcap.switch_config("net_pcap0,rx_pcap=a", "net_pcap1,rx_pcap=b")
    assert "underlay: p0" in cfg and "local_ip: 198.18.0.1" in cfg
    assert "{vlan: 0, vni: 5000, remotes: [198.18.0.2]}" in cfg
    assert pcap_rate.switch_config("a", "b", "p1024vx") == vxlan_pcap.switch_config("a", "b")


def sw_res(drops=None):
    return dict(mpps=10.0, ports=[dict(name="p0", rx_packets=1000, tx_packets=500, drops=drops or {}),
                                  dict(name="p1", rx_packets=500, tx_packets=1000, drops={})])


def show(rx, tx, drops=None, mac=vxlan_pcap.LOCAL_MAC):
    return dict(underlay_mac=mac, vteps=[dict(ip=vxlan_pcap.REMOTE_IP, resolved=True, mac=vxlan_pcap.REMOTE_MAC,
                                              rx_packets=rx, tx_packets=tx, drops=drops or {})])


def test_a_switch_run_that_decapsulated_and_encapsulated_keeps_its_figure():
    r = check_switch(sw_res(), show(100, 100), show(1100, 600))
    assert r["mpps"] == 10.0 and "error" not in r
    assert r["vxlan"]["decapsulated"] == 1000 and r["vxlan"]["encapsulated"] == 500 and r["vxlan"]["drops"] == {}


@pytest.mark.parametrize("res, vx0, vx1, why", [
    # every frame to the VTEP counted unresolved: the switch forwarded nothing through the tunnel
    (sw_res(), show(0, 0), show(1000, 0, {"vxlan_unresolved": 500}), "encapsulated 0"),
    (sw_res({"vxlan_unknown_vni": 900}), show(0, 0), show(10, 10), "drops dominate"),
    (sw_res(), show(0, 0), show(1000, 500, mac="02:00:00:00:00:99"), "underlay MAC"),
    (sw_res(), None, None, "no remote VTEP"),
])
def test_a_switch_run_without_vxlan_work_fails(res, vx0, vx1, why):
    r = check_switch(res, vx0, vx1)
    assert r["mpps"] is None and why in r["error"], r


def ovs_sample(t, p0, p1, vx0):
    ports = ("OFPST_PORT reply (xid=0x2): 1 ports\n  port p0: rx pkts=%d, bytes=0, drop=0, errs=0\n"
             "           tx pkts=%d, bytes=0, drop=0, errs=0, coll=?\n"
             "OFPST_PORT reply (xid=0x2): 1 ports\n  port p1: rx pkts=%d, bytes=0, drop=0, errs=0\n"
             "           tx pkts=%d, bytes=0, drop=0, errs=0, coll=?\n" % (p0 + p1))
    vx = "OFPST_PORT reply (xid=0x2): 1 ports\n  port vx0: rx pkts=%d, bytes=0, drop=?\n  tx pkts=%d, bytes=0\n" % vx0
    return {"t0": t, "t1": t, "ports": ports, "vx0": vx}


FLOWS = ("recirc_id(0),in_port(1),eth(dst=02:70:63:61:70:00),eth_type(0x0800),ipv4(dst=198.18.0.1,proto=17),"
         "udp(dst=4789), packets:9, bytes:9, used:0.0s, actions:tnl_pop(4)\n"
         "recirc_id(0),in_port(5),eth(src=02:00:01:00:00:07,dst=02:00:00:00:00:07), packets:9, bytes:9, used:0.0s, "
         "actions:tnl_push(tnl_port(4),header(size=50,type=4),out_port(1)),2\n")


def test_an_ovs_run_counts_p0_and_p1_and_must_pop_and_push():
    s0, s1 = ovs_sample(10.0, (0, 0), (0, 0), (0, 0)), ovs_sample(20.0, (20e6, 15e6), (15e6, 20e6), (20e6, 30e6))
    r = ovs_vxlan_result(s0, s1, "", FLOWS, None)
    assert r["mpps"] == pytest.approx(3.5) and r["vxlan"]["tnl_pop_flows"] == 1 and r["vxlan"]["tnl_push_flows"] == 1
    assert r["vxlan"]["vx0_rx"] == 20e6
    plain = FLOWS.replace("tnl_push(tnl_port(4),header(size=50,type=4),out_port(1)),2", "2")
    r = ovs_vxlan_result(s0, s1, "", plain, None)
    assert r["mpps"] is None and "0 tnl_push" in r["error"]


def test_the_tables_give_the_vxlan_ratio_and_its_target():
    run = lambda s, v: dict(traffic="p1024vx", system=s, run=1, mpps=v, log="x", cmd="x")
    obj, text = pcap_rate.summarize([run("testpmd mac", 30.0), run("ovs normal", 4.0), run("dpdk_switch", 13.0)], {})
    assert obj["vxlan_over_ovs"] == pytest.approx(3.25)
    assert "VXLAN: dpdk_switch / OVS-DPDK userspace VXLAN, p1024vx = 3.25 (issue 30: >= 3x: met)" in text
    _, text = pcap_rate.summarize([run("ovs normal", 5.0), run("dpdk_switch", 13.0)], {})
    assert "p1024vx = 2.60 (issue 30: >= 3x: MISSED)" in text


def test_the_suite_judges_the_vxlan_target(tmp_path):
    (tmp_path / "pcap").mkdir()
    run = lambda s, v: dict(traffic="p1024vx", system=s, run=1, mpps=v, log="x", cmd="x")
    obj, _ = pcap_rate.summarize([run("ovs normal", 4.0), run("dpdk_switch", 14.0)], {})
    (tmp_path / "pcap" / "runs.json").write_text(json.dumps(obj))
    s, text = summary.summarize(str(tmp_path), {})
    t = next(t for t in s["targets"] if "p1024vx" in t["target"])
    assert t["value"] == pytest.approx(3.5) and t["state"] == "met"
