"""What the harness reads from ping and iperf3."""
import pytest

import json

from dswbench.traffic import parse_ping, parse_tcp, parse_udp, tcp_file


def test_ping_summary(fixture_text):
    r = parse_ping(fixture_text("ping.txt"))
    assert r == {"ping_min_ms": 0.039, "ping_avg_ms": 0.049, "ping_max_ms": 0.058, "ping_sent": 3, "ping_received": 3}
    assert parse_ping("ping: connect: Network is unreachable") == {}


def test_iperf3_tcp_is_the_receivers_rate(fixture_json):
    j = fixture_json("iperf3_tcp.json")
    r = parse_tcp(j)
    assert r["tcp_gbps"] == pytest.approx(j["end"]["sum_received"]["bits_per_second"] / 1e9)
    assert r["tcp_sender_gbps"] > 0 and r["tcp_retransmits"] == j["end"]["sum_sent"]["retransmits"]


def test_iperf3_udp_counts_what_arrived(fixture_json):
    j = fixture_json("iperf3_udp.json")
    recv = j["end"]["sum_received"]
    r = parse_udp(j)
    assert r["udp_rx_packets"] == recv["packets"] - recv["lost_packets"]
    assert r["udp_rx_pps"] == pytest.approx(r["udp_rx_packets"] / recv["seconds"])
    assert r["udp_lost"] == recv["lost_packets"] and r["udp_tx_pps"] > r["udp_rx_pps"]


def test_iperf3_errors(fixture_json):
    j = fixture_json("iperf3_refused.json")
    assert parse_tcp(j) == {"tcp_error": "unable to connect to server: Connection refused"}
    assert parse_udp(j) == {"udp_error": "unable to connect to server: Connection refused"}
    assert parse_tcp(None) == {"tcp_error": "no iperf3 result"}


def test_iperf3_four_streams_are_summed_under_their_own_key(fixture_json):
    j = fixture_json("iperf3_tcp_p4.json")
    assert len(j["end"]["streams"]) == 4
    r = parse_tcp(j, "tcp4")
    assert r["tcp4_gbps"] == pytest.approx(j["end"]["sum_received"]["bits_per_second"] / 1e9)
    assert r["tcp4_retransmits"] == j["end"]["sum_sent"]["retransmits"] and "tcp_gbps" not in r
    assert parse_tcp(None, "tcp4") == {"tcp4_error": "no iperf3 result"}


def test_tcp_run_tells_retransmits_the_receiver_already_had(fixture_json, tmp_path):
    """The sender's counters beside the run (iperf writes them): its DSACKed retransmits, under the run's key."""
    j = fixture_json("iperf3_tcp.json")
    (tmp_path / "r.tcp4.json").write_text(json.dumps(j))
    assert "tcp4_dsack_segs" not in tcp_file(tmp_path / "r.tcp4.json", "tcp4")   # counters not read: unknown
    (tmp_path / "r.tcp4.nstat.json").write_text(json.dumps({"TcpRetransSegs": 581, "TcpExtTCPDSACKRecvSegs": 570}))
    r = tcp_file(tmp_path / "r.tcp4.json", "tcp4")
    assert r["tcp4_dsack_segs"] == 570 and r["tcp4_gbps"] > 0
