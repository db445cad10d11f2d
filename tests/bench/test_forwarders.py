"""What the harness reads from the forwarders (testpmd's stats, dpdk_switch's counters, OVS's ports and PMD) and from
ethtool (the containers' offloads)."""
import pytest

from dswbench.netns import parse_features
from dswbench.forwarders import ovs_result, parse_dump_ports, parse_pmd_stats, switch_result, pps_from_testpmd, rate_from_testpmd


def test_testpmd_rate_is_the_second_shows_tx_pps_summed_over_ports(fixture_text):
    r = rate_from_testpmd(fixture_text("testpmd_io.log"), 0)
    assert [p["port"] for p in r["ports"]] == [0, 1]
    assert r["ports"][0]["tx_pps"] == 21903356   # port 0's second block; its first read 0
    assert r["mpps"] == pytest.approx(sum(p["tx_pps"] for p in r["ports"]) / 1e6)
    assert r["mpps"] > 40 and r["exit_status"] == 0 and "error" not in r


def test_testpmd_with_one_show_only_has_no_rate(fixture_text):
    text = fixture_text("testpmd_io.log")
    first_show_only = text[:text.index("NIC statistics for port 0", text.index("NIC statistics for port 1"))]
    r = rate_from_testpmd(first_show_only, 137)
    assert r["mpps"] is None and "second 'show port stats all'" in r["error"] and r["exit_status"] == 137
    assert rate_from_testpmd("EAL: Error - exiting with code: 1", 1)["mpps"] is None


def test_testpmd_last_pps_sums_the_last_show(fixture_text):
    text = fixture_text("testpmd_io.log")
    rx = pps_from_testpmd(text, "Rx-pps")
    assert rx > 40e6
    assert pps_from_testpmd("nothing here", "Rx-pps") is None


def test_switch_rate_is_the_tx_delta_over_the_time_between_reads(fixture_json):
    a, b = fixture_json("switch_stats0.json"), fixture_json("switch_stats1.json")
    for p in b["ports"]:   # the capture's net_null frames are all dropped (zero MACs): give it a TX
        p["tx_packets"] = p["rx_packets"]
    s0 = {"t0": 100.0, "t1": 100.2, "stats": a}
    s1 = {"t0": 101.0, "t1": 101.2, "stats": b}
    r = switch_result(s0, s1, 0, None)
    tx = sum(p["tx_packets"] for p in b["ports"]) - sum(p["tx_packets"] for p in a["ports"])
    assert r["elapsed_s"] == pytest.approx(1.0)
    assert r["mpps"] == pytest.approx(tx / 1e6)
    drops = r["ports"][0]["drops"]["src_mac_zero"]
    assert drops == b["ports"][0]["drops"]["src_mac_zero"] - a["ports"][0]["drops"].get("src_mac_zero", 0)
    assert r["ctl_read_s"] == pytest.approx([0.2, 0.2])
    assert "warning" not in r


def test_switch_without_samples_or_with_a_bad_exit(fixture_json):
    r = switch_result(None, None, 143, "switch did not answer")
    assert r["mpps"] is None and r["error"] == "switch did not answer"
    assert "status 143" in r["warning"]


def test_ovs_ports_and_pmd_stats(fixture_text):
    ports = parse_dump_ports(fixture_text("ovs_dump_ports.txt"))
    assert ports == {"LOCAL": (0, 0), "p0": (100000000, 90000000), "p1": (90000000, 100000000)}
    pmd = parse_pmd_stats(fixture_text("ovs_pmd_stats.txt"))
    assert pmd["cycles_per_pkt"] == 277.0 and pmd["megaflow_hits"] == 614400 and pmd["idle_cycles_pct"] == 0.0
    assert pmd["upcalls_failed"] == 0


def test_ovs_rate_counts_the_two_dpdk_ports_not_local(fixture_text):
    s0 = {"t0": 10.0, "t1": 10.0, "ports": fixture_text("ovs_dump_ports.txt")}
    s1 = {"t0": 20.0, "t1": 20.0, "ports": fixture_text("ovs_dump_ports_later.txt")}
    r = ovs_result(s0, s1, fixture_text("ovs_pmd_stats.txt"), None)
    assert r["mpps"] == pytest.approx(20.0)   # 2 x 100 M packets in 10 s
    assert sorted(p["name"] for p in r["ports"]) == ["p0", "p1"]
    assert r["pmd_stats"]["cycles_per_pkt"] == 277.0
    one_port = {"t0": 20.0, "t1": 20.0, "ports": "  port  p0: rx pkts=1, bytes=0\n   tx pkts=5, bytes=0"}
    assert "not 2" in ovs_result(s0, one_port, "", None)["error"]
    assert ovs_result(None, None, "", "OVS did not start")["mpps"] is None


def test_offload_features_read_back_from_ethtool():
    # ethtool 6.1 -k on kernel 6.18 after `tx off`: the summary line says TSO "on" (an accecn feature it does
    # not know stays on); the features themselves say off.
    text = ("tx-checksumming: off\n\ttx-checksum-ipv4: off [fixed]\n\ttx-checksum-ip-generic: off\n"
            "tcp-segmentation-offload: on\n\ttx-tcp-segmentation: off [requested on]\n"
            "\ttx-tcp6-segmentation: off [requested on]\n\ttx-tcp-accecn-segmentation: on\n"
            "tx-udp-segmentation: off [requested on]\n")
    assert parse_features(text) == {"tx-checksum-ip-generic": "off", "tx-tcp-segmentation": "off",
                                    "tx-tcp6-segmentation": "off", "tx-udp-segmentation": "off"}
