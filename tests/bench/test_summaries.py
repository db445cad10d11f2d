"""The harness's tables: medians, ratios and targets of each part and of the suite; Google Benchmark's JSON;
the host probe's verdict."""
import json

import pytest

from dswbench import containers_summary as containers
from dswbench import pcap_rate, summary, vhost
from dswbench.gbench import gbench_lost, gbench_medians
from dswbench.quiet import host_contended, probe_contended


def pcap_run(traffic, system, run, mpps, **kw):
    return dict(traffic=traffic, system=system, run=run, mpps=mpps, log="logs/x.log", cmd="x", **kw)


def test_pcap_medians_and_ratios():
    runs = [pcap_run("p2", "testpmd mac", r, v) for r, v in ((1, 40.0), (2, 50.0), (3, 45.0))]
    runs += [pcap_run("p2", "dpdk_switch", r, v) for r, v in ((1, 30.0), (2, 36.0), (3, 33.0))]
    runs += [pcap_run("p2", "testpmd io", 1, 60.0), pcap_run("p2", "ovs normal", 1, 10.0, pmd_stats={"cycles_per_pkt": 126})]
    runs += [pcap_run("p1024", "dpdk_switch", 1, 20.0), pcap_run("p1024vlan", "dpdk_switch", 1, 19.0)]
    obj, text = pcap_rate.summarize(runs, {"runs": "3", "window_s": "10", "warmup_s": "8", "cpu_mhz": "2600.0",
                                           "memory": "huge --in-memory"})
    r = {x["traffic"]: x for x in obj["ratios"]}
    assert r["p2"]["switch_over_testpmd_mac"] == pytest.approx(33.0 / 45.0)
    assert r["p2"]["switch_over_ovs"] == pytest.approx(3.3)
    assert r["p2"]["switch_cycles_per_pkt"] == pytest.approx(2600.0 / 33.0)
    assert r["p2"]["ovs_pmd_cycles_per_pkt"] == 126
    assert obj["vlan_over_plain"] == pytest.approx(0.95)
    assert obj["meta"]["runs"] == 3 and obj["meta"]["cpu_mhz"] == 2600.0
    assert "VLAN push/pop end to end: dpdk_switch p1024vlan / p1024 = 0.950 (issue 4: within 10%: met)" in text
    line = next(x for x in text.splitlines() if x.startswith("p2 "))
    assert line.split()[1:5] == ["60.00", "45.00", "10.00", "33.00"] and line.split()[5] == "0.733"


def test_pcap_median_leaves_out_host_contended_runs_when_the_cell_has_a_clean_one():
    taken = {"during": {"cpu": 1, "ms": 1, "spins": 100, "gaps_per_ms": 0.9, "gap_pct": 3.0}}
    runs = [pcap_run("p2", "dpdk_switch", 1, 20.0, host_probe=taken), pcap_run("p2", "dpdk_switch", 2, 30.0)]
    obj, text = pcap_rate.summarize(runs, {})
    assert obj["medians"][0]["median_mpps"] == 30.0 and obj["medians"][0]["host_contended_runs"] == [1]
    assert "20.00* 30.00" in text


def test_pcap_keeps_the_least_taken_attempt():
    probe = lambda g: {"during": {"cpu": 1, "ms": 1, "spins": 100, "gaps_per_ms": g, "gap_pct": 2.0}}
    tries = [dict(repeats=i, host_probe=probe(g)) for i, g in enumerate((0.9, 0.8, 1.2))]
    kept = pcap_rate.keep(tries)
    assert kept["kept_attempt"] == 1 and kept["repeats"] == 2
    clean = [dict(repeats=0, host_probe=probe(0.9)), dict(repeats=1, host_probe=probe(0.3))]
    assert pcap_rate.keep(clean)["kept_attempt"] == 1


def ct_run(path, run, tcp, ping, udp):
    return dict(path=path, run=run, label=containers.LABELS[path], tcp_gbps=tcp, ping_avg_ms=ping, udp_rx_pps=udp,
                udp_tx_pps=udp * 1.5)


def test_containers_ratios_and_targets():
    runs = [ct_run("bridge", 1, 4.0, 0.08, 80000), ct_run("switch-xdp", 1, 3.0, 0.10, 84000),
            ct_run("switch-afp", 1, 2.2, 0.12, 81000), ct_run("testpmd-afp", 1, 2.0, 0.10, 80000),
            dict(path="ovs-afp", run=1, error="skipped: openvswitch-switch-dpdk is not installed")]
    obj, text = containers.summarize(runs, {"runs": "1", "steer": "afp", "rx_cpus": "1"})
    r = {(x["numerator"], x["denominator"]): x for x in obj["ratios"]}
    assert r["switch-xdp", "bridge"]["tcp"] == pytest.approx(0.75)
    assert r["switch-xdp", "bridge"]["ping"] == pytest.approx(1.25)
    assert r["switch-xdp", "bridge"]["note"] == "TCP >= 1.00: MISSED; ping <= bridge: MISSED"
    assert r["switch-afp", "testpmd-afp"]["note"] == "TCP >= 0.95: met"
    assert ("switch-afp", "ovs-afp") in r and r["switch-afp", "ovs-afp"]["tcp"] is None
    row = next(x for x in text.splitlines() if x.startswith("OVS-DPDK NORMAL, af_packet "))
    assert row.split(None, 4)[3:] == ["-", "skipped: openvswitch-switch-dpdk is not installed"]
    assert "for the af_packet paths and bridge-steered" in text


def test_containers_issue28_targets_against_the_bridge_with_default_offloads():
    runs = [dict(ct_run("bridge-default", 1, 20.0, 0.030, 60000), tcp4_gbps=24.0, offloads="default"),
            dict(ct_run("switch-veth", 1, 21.0, 0.040, 90000), tcp4_gbps=22.0, tcp_retransmits=12, offloads="default"),
            dict(ct_run("bridge-default", 2, 22.0, 0.026, 61000), tcp4_gbps=25.0, offloads="default"),
            dict(ct_run("switch-veth", 2, 16.0, 0.050, 95000), tcp4_gbps=26.0, tcp_retransmits=30, offloads="default"),
            dict(ct_run("switch-afp", 1, 4.0, 0.10, 80000), offloads="tx off"),
            dict(ct_run("switch-afp", 2, 4.2, 0.11, 82000), offloads="tx off")]
    obj, text = containers.summarize(runs, {"runs": "2", "steer": "afp", "rx_cpus": "1"})
    t = {x["target"].split(":")[0]: x for x in obj["targets"]}
    assert t["TCP"]["value"] == pytest.approx(18.5 / 21.0) and t["TCP"]["state"] == "MISSED"
    # the worst run against the bridge's run of the same round: 16 / 22, below the 0.8 floor
    worst = t["TCP worst run"]
    assert worst["value"] == pytest.approx(16.0 / 22.0) and worst["state"] == "MISSED"
    assert t["TCP 4 streams"]["value"] == pytest.approx(24.0 / 24.5) and t["TCP 4 streams"]["state"] == "MISSED"
    assert t["ping RTT"]["value"] == pytest.approx(0.045 / 0.028) and t["ping RTT"]["state"] == "MISSED"
    assert t["UDP 64 B rx pps"]["value"] == pytest.approx(92500 / 81000) and t["UDP 64 B rx pps"]["state"] == "met"
    sw = obj["medians"]["switch-veth"]
    assert sw["offloads"] == "default" and sw["tcp_retransmits"] == 21
    assert sw["over_bridge_default"]["tcp_gbps"] == pytest.approx(18.5 / 21.0)
    row = next(x for x in text.splitlines() if x.startswith("dpdk_switch, veth "))
    assert row.split()[2:12] == ["default", "0.045", "1.61", "18.50", "21", "0.88", "24.00", "-", "0.98", "92,500"]
    row = next(x for x in text.splitlines() if x.startswith("dpdk_switch, af_packet "))
    assert row.split()[2:4] == ["tx", "off"] and row.split()[8] == "0.20"   # TCP 4.1 / 21.0
    assert "Issue 28 targets (containers with default offloads)" in text


def test_containers_say_how_many_retransmits_were_dsacked():
    runs = [dict(ct_run("bridge-default", 1, 20.0, 0.030, 60000), tcp_retransmits=0, tcp_dsack_segs=0),
            dict(ct_run("switch-veth", 1, 21.0, 0.040, 90000), tcp_retransmits=581, tcp_dsack_segs=581,
                 tcp4_gbps=20.0, tcp4_retransmits=210, tcp4_dsack_segs=200),
            dict(ct_run("switch-afp", 1, 4.0, 0.10, 80000), tcp_retransmits=9)]   # counters not read
    _, text = containers.summarize(runs, {"runs": "1", "steer": "afp", "rx_cpus": "1"})
    lines = text.splitlines()
    at = lines.index("retr DSACKed by the receiver (it had them: reordered, not lost), medians:")
    assert lines[at + 1].split() == ["dpdk_switch,", "veth", "TCP", "581", "of", "581;", "x4", "200", "of", "210"]
    assert not lines[at + 2].strip()   # the bridge (no retransmits) and af_packet (not read) have no line


def test_containers_contention_verdict():
    assert containers.contended({"dpdk": [], "cpu_share": 0.01}) == ""
    why = containers.contended({"dpdk": ["dpdk-testpmd(77)"], "cpu_share": 0.2, "busy": {"cc1plus": 3.5}})
    assert "other DPDK processes ran: dpdk-testpmd(77)" in why and "20% of the CPUs (cc1plus:3.5 CPU-s)" in why


def test_vhost_ratio():
    recs = [dict(middle="testpmd-io", run=1, rx_pps=10_000_000, tx_pps=10_000_000),
            dict(middle="switch", run=1, rx_pps=8_500_000, tx_pps=8_500_000),
            dict(middle="switch", run=2, rx_pps=None, tx_pps=None, error="the peer did not start")]
    obj, text = vhost.summarize(recs, 2, 5, 10, "huge")
    assert obj["ratio"] == pytest.approx(0.85)
    assert "dpdk_switch / testpmd io: 0.850   (target issue 5: >= 0.80: met)" in text
    assert "(the peer did not start)" in text


def test_gbench_medians_with_repetitions_and_without(fixture_json):
    g = gbench_medians(fixture_json("gbench.json"))
    assert set(g) >= {"BM_SwitchPath_2Macs", "BM_LearnNewMacs", "BM_HostMemoryLatency"}
    two = g["BM_SwitchPath_2Macs"]
    assert len(two["runs_cycles_per_packet"]) == 2 and two["cycles_per_packet"] > 0
    assert g["BM_LearnNewMacs"]["new_macs_per_s"] > 0
    one = gbench_medians(fixture_json("gbench_one.json"))["BM_SwitchPath_2Macs"]
    row = fixture_json("gbench_one.json")["benchmarks"][0]
    assert one["cycles_per_packet"] == row["cycles_per_packet"] and one["runs_cycles_per_packet"] == [row["cycles_per_packet"]]
    assert gbench_medians(None) == {}


def test_gbench_lost_counts_target_rows_only(fixture_json):
    j = fixture_json("gbench.json")
    for b in j["benchmarks"]:
        b["gap_pct"] = 50.0 if b["name"].startswith("BM_SwitchPath_2Macs") else 1.5
    assert gbench_lost(j) == 1.5   # the 2-MAC row is not a target row
    assert gbench_lost({}) == 0


def test_suite_table_and_targets(tmp_path, fixture_json):
    (tmp_path / "gbench").mkdir()
    (tmp_path / "gbench" / "gbench.json").write_text(json.dumps(fixture_json("gbench.json")))
    (tmp_path / "vhost").mkdir()
    obj, text = vhost.summarize([dict(middle="testpmd-io", run=1, rx_pps=10e6), dict(middle="switch", run=1, rx_pps=7e6)],
                                1, 5, 10, "huge")
    (tmp_path / "vhost" / "runs.json").write_text(json.dumps(obj))
    s, text = summary.summarize(str(tmp_path), {"runs": "1", "date": "d", "cpu_model": "c"})
    t = {x["target"]: x for x in s["targets"]}
    assert t["vhost: dpdk_switch / testpmd io (issue 5)"]["state"] == "MISSED"
    assert t["bench: learning, M new MACs/s"]["value"] == pytest.approx(
        s["gbench"]["BM_LearnNewMacs"]["new_macs_per_s"] / 1e6)
    assert t["bench: cycles/packet at 2048 MACs"]["state"] == "not measured"
    assert "2. Packet rate" in text and "   not run, or no result (pcap.log)" in text
    assert summary.target_row("x", 0.96, ">=", 0.95)["state"] == "met"
    assert summary.target_row("x", 21.0, "<=", 20)["state"] == "MISSED"


def test_vxlan_deltas_and_target(tmp_path):
    rows = [("BM_Worker_2048Macs_Plain", [30.0, 31.0, 29.0]), ("BM_Worker_2048Macs_VxlanDecap", [36.0, 37.0, 35.0]),
            ("BM_Worker_2048Macs_VxlanEncap", [40.0, 41.0, 39.0])]
    j = {"benchmarks": [{"name": n, "run_name": n, "run_type": "iteration", "cycles_per_packet": c}
                        for n, runs in rows for c in runs]}
    (tmp_path / "gbench").mkdir()
    (tmp_path / "gbench" / "gbench.json").write_text(json.dumps(j))
    s, text = summary.summarize(str(tmp_path), {"runs": "3", "date": "d", "cpu_model": "c"})
    v = s["gbench_vxlan"]
    assert (v["decap_over_plain"], v["encap_over_plain"], v["sum_over_plain"]) == (6.0, 10.0, 16.0)
    t = {x["target"]: x for x in s["targets"]}["bench (issue 30): VXLAN encap+decap over plain, cycles/pkt"]
    assert t["state"] == "MISSED" and t["limit"] == 15
    assert "plain 30.0, decap 36.0 (+6.0), encap 40.0 (+10.0); encap + decap over plain 16.0 (target <= 15)" in text
    assert summary.vxlan_deltas({})["sum_over_plain"] is None


def test_gbench_rows_in_registration_order_when_interleaved():
    j = {"benchmarks": [{"name": n, "run_name": n, "run_type": "iteration", "family_index": f, "cycles_per_packet": 1.0}
                        for n, f in (("B", 1), ("C", 2), ("A", 0), ("B", 1))]}
    assert list(gbench_medians(j)) == ["A", "B", "C"]


def test_host_probe_verdict():
    reading = lambda rate, lost: {"cpu": 1, "ms": 1, "spins": 50, "gaps_per_ms": rate, "gap_pct": lost}
    assert probe_contended(reading(0.70, 2.1), False) == ""
    assert "taken 0.78 times a ms (limit 0.7)" in probe_contended(reading(0.78, 2.3), False)
    assert probe_contended(reading(0.90, 2.5), True) == ""
    assert "25.0% of its time lost" in probe_contended(reading(0.1, 25.0), True)
    rec = {"host_probe": {"before": reading(1.0, 3.0), "during": reading(0.5, 1.0)}}
    assert host_contended(rec).startswith("before: CPU 1 taken 1.00 times a ms")
