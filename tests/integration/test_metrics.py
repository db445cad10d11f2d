"""Prometheus /metrics (switch.metrics): the figures of `show ... --json` in the text format,
served from the control plane, refused before EAL when its address is bad, and not to be hung by
hostile clients.

    c1 (netns) ── veth ── af_packet c1 ─┐
                                        ├─ dpdk_switch ── http://127.0.0.1:<port>/metrics
    c2 (netns) ── veth ── af_packet c2 ─┘
"""
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import af_packet_ports, run_to_exit, switch_config, wait_for, write_config
from probes import vm_rss_kb

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{{LABEL}(?:,{LABEL})*\}})? (\d+)$")
HELP = re.compile(rf"^# HELP ({NAME}) .*$")
TYPE = re.compile(rf"^# TYPE ({NAME}) (counter|gauge)$")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, method="GET", timeout=5):
    """(status, content type, body) of one request."""
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def check_exposition(text):
    """Every line in the 0.0.4 text format, each family's HELP and TYPE once before its samples,
    counters named *_total; then prometheus_client's own parser must read it too."""
    assert text.endswith("\n")
    typed, helped = {}, set()
    for line in text.splitlines():
        if m := HELP.match(line):
            assert m.group(1) not in helped, line
            helped.add(m.group(1))
        elif m := TYPE.match(line):
            assert m.group(1) in helped and m.group(1) not in typed, line
            typed[m.group(1)] = m.group(2)
            if m.group(2) == "counter":
                assert m.group(1).endswith("_total"), line
        else:
            m = SAMPLE.match(line)
            assert m, f"not a sample line: {line!r}"
            assert m.group(1) in typed, f"sample before its TYPE: {line!r}"
    families = list(text_string_to_metric_families(text))
    assert len(families) == len(typed)
    return families


def scrape(url):
    """{(name, frozenset(labels)): value} of one scrape, checked line by line."""
    status, ctype, body = get(url)
    assert status == 200, body
    assert ctype == "text/plain; version=0.0.4; charset=utf-8"
    out = {}
    for fam in check_exposition(body):
        for s in fam.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(m, name, **labels):
    return m[(name, frozenset(labels.items()))]


def between(lo, mid, hi, what):
    assert lo <= mid <= hi, f"{what}: show said {mid}, scrapes around it {lo} and {hi}"


def test_metrics_are_the_figures_of_show_json(netns, switch):
    c1, c2 = netns(), netns()
    port = free_port()
    sw = switch(af_packet_ports(c1=c1, c2=c2), metrics=f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/metrics"
    c1.ping(c2.ip, count=5)
    sw.ctl("mac", "add", "02:00:00:00:00:0a", "c1")

    # Counters may move between two reads; each shown figure lies between the scrapes around it.
    m1 = scrape(url)
    ports = sw.port_stats()
    stats = sw.ctl("show", "switch", "stats")
    lcores = sw.ctl("show", "lcores")["lcores"]
    macs = sw.mac_table()
    m2 = scrape(url)
    for name, p in ports.items():
        for field in ("rx_packets", "tx_packets", "rx_bytes", "tx_bytes"):
            between(value(m1, f"dsw_port_{field}_total", port=name), p[field],
                    value(m2, f"dsw_port_{field}_total", port=name), f"{name} {field}")
        assert p["rx_packets"] >= 5 and p["tx_packets"] >= 5, p
        reasons = {dict(k[1])["reason"] for k in m2 if k[0] == "dsw_port_drops_total" and dict(k[1])["port"] == name}
        assert set(p["drops"]) <= reasons and len(reasons) >= 20, reasons
        for reason in reasons:
            between(value(m1, "dsw_port_drops_total", port=name, reason=reason), p["drops"].get(reason, 0),
                    value(m2, "dsw_port_drops_total", port=name, reason=reason), f"{name} drops {reason}")
        for field in ("imissed", "ierrors", "rx_nombuf", "oerrors"):
            between(value(m1, f"dsw_port_pmd_{field}_total", port=name), p["pmd"][field],
                    value(m2, f"dsw_port_pmd_{field}_total", port=name), f"{name} pmd {field}")
        between(value(m1, "dsw_port_rx_ring_full_total", port=name), p["kernel"]["rx_ring_full"],
                value(m2, "dsw_port_rx_ring_full_total", port=name), f"{name} rx_ring_full")
    assert value(m2, "dsw_ports") == 2
    # Every counter of `show switch stats` (the DSW_SWITCH_COUNTERS list) is a family of its name.
    counters = [k for k, v in stats.items() if isinstance(v, int) and not k.startswith("mac_")]
    assert {"learned", "moves", "flooded", "arp_proxy_replies"} <= set(counters)
    for k in counters:
        between(value(m1, f"dsw_{k}_total"), stats[k], value(m2, f"dsw_{k}_total"), k)
    assert stats["learned"] >= 2
    assert value(m2, "dsw_mac_entries") == stats["mac_entries"] == len(macs) >= 3
    assert value(m2, "dsw_mac_capacity") == stats["mac_capacity"]
    assert value(m2, "dsw_mac_aging_seconds") == stats["mac_aging_s"]
    assert value(m2, "dsw_mbufs_pool_size") == stats["mbufs"]["pool"]
    assert value(m2, "dsw_mbufs_committed") == stats["mbufs"]["committed"]
    assert value(m2, "dsw_mbufs_in_use") + value(m2, "dsw_mbufs_free") == stats["mbufs"]["pool"]
    for l in lcores:
        lc = str(l["lcore"])
        for field in ("packets", "polls", "busy_cycles", "idle_cycles", "tx_bursts"):
            between(value(m1, f"dsw_lcore_{field}_total", lcore=lc), l[field],
                    value(m2, f"dsw_lcore_{field}_total", lcore=lc), f"lcore {lc} {field}")

    # Other paths and methods.
    assert get(f"http://127.0.0.1:{port}/")[0] == 404
    assert get(f"http://127.0.0.1:{port}/metricsx")[0] == 404
    assert get(url, method="POST")[0] == 405
    assert get(url, method="HEAD")[0] == 200

    # The server's thread runs on the main lcore's CPU (lcore 0 on CPU 0), never on the worker's.
    pid = sw.proc.pid
    tasks = {t.name: (t / "comm").read_text().strip() for t in Path(f"/proc/{pid}/task").iterdir()}
    cpus = {tid: re.search(r"Cpus_allowed_list:\s*(\S+)", Path(f"/proc/{pid}/task/{tid}/status").read_text()).group(1)
            for tid in tasks}
    mhd = [tid for tid, comm in tasks.items() if comm.startswith("MHD")]
    assert mhd, f"no libmicrohttpd thread among {tasks}"
    assert all(cpus[t] == cpus[str(pid)] == "0" for t in mhd), (tasks, cpus)


def test_a_bad_metrics_address_is_refused_before_eal(binaries, run_switch, tmp_path):
    for addr, says in (("nope", "'nope' is not an address:port (e.g. 127.0.0.1:9417 or [::1]:9417)"),
                       ("127.0.0.1:70000", "'127.0.0.1:70000' has port 70000, not in 1..65535")):
        r = run_switch(switch_config(metrics=addr))
        assert r.returncode == 2, r.stderr
        assert f"{r.config_path}: switch.metrics: {says}" in r.stderr
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        addr = f"127.0.0.1:{taken.getsockname()[1]}"
        r = run_switch(switch_config(metrics=addr))
        assert r.returncode == 2, r.stderr
        assert f"{r.config_path}: switch.metrics: {addr}: cannot listen: Address already in use" in r.stderr
        assert "EAL" not in r.stderr + r.stdout, "refused before EAL starts"
        # The command line's --metrics wins over the config's, and is named.
        cfg = switch_config()
        path = write_config(tmp_path, cfg, "cli.yaml")
        r = run_to_exit([binaries.switch, "--", "--config", path, "--metrics", addr], "with a port in use")
        assert r.returncode == 2
        assert f"--metrics: {addr}: cannot listen: Address already in use" in r.stderr
    Path(cfg["switch"]["ctl_socket"]).unlink(missing_ok=True)


def test_hostile_clients_neither_hang_the_switch_nor_its_stop(netns, switch):
    c1 = netns()
    port = free_port()
    sw = switch(af_packet_ports(c1=c1), metrics=f"127.0.0.1:{port}")
    url = f"http://127.0.0.1:{port}/metrics"
    scrape(url)
    rss = vm_rss_kb(sw.proc.pid)

    # A request of 4 MB of headers: refused once it passes the limit, memory does not follow it.
    big = socket.create_connection(("127.0.0.1", port), timeout=5)
    big.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
    answer = b""
    try:
        for _ in range(4096):
            big.sendall(b"X-Junk: " + b"y" * 1014 + b"\r\n")
    except OSError:
        pass   # closed by the server: that is the point
    try:
        answer = big.recv(4096)
    except OSError:
        pass
    big.close()
    assert answer == b"" or answer.split(b" ")[1] in (b"413", b"431"), answer[:200]
    assert vm_rss_kb(sw.proc.pid) < rss + 2048, "a huge request is not held in memory"

    # Slowloris and a crowd: more connections than the server takes, each holding a half-sent
    # request. The control socket still answers, and the switch still stops at once.
    held = []
    for _ in range(40):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=1)
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            held.append(s)
        except OSError:
            pass
    assert held, "no connection made at all"
    t0 = time.monotonic()
    assert sw.ctl("show", "switch", "stats")["mac_capacity"] > 0
    assert time.monotonic() - t0 < 2
    for s in held[:5]:
        try:
            s.sendall(b"y")
        except OSError:
            pass
    t0 = time.monotonic()
    rc = sw.stop(signal.SIGTERM, timeout=5)
    took = time.monotonic() - t0
    for s in held:
        s.close()
    assert rc == 0, sw.log()
    assert took < 2, f"SIGTERM took {took:.2f} s with {len(held)} clients holding connections"
