"""dpdk_switch between containers on af_packet ports: forwarding, learning, CLI, config, signals.

  c1 (netns)                                   dpdk_switch                  c2 (netns)
  eth0 10.77.0.2 --veth-- dswt<pid>h<n> --- af_packet "c1" -+    +- af_packet "c2" --- dswt<pid>h<n> --veth-- eth0 10.77.0.3
                                                             |    |                                        http.server :8080
  c3 (netns)                                                 |    |
  eth0 10.77.0.4 --veth-- dswt<pid>h<n> --- af_packet "c3" -+    +- /run/dpdk_switch/dswt<pid>s<n>.sock
                                                                                 ^
                                                                   dpdk_switch_ctl --json ...

Each test starts its own switch (EAL from the config: lcores 0-1, --no-huge, a unique file
prefix) on the containers it needs: three, two, one (signals, CLI errors) or none (refused
configs). Containers run without IPv6, so the only frames on the wire are those a test sends.
"""

import json as jsonlib
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import SUBNET, af_packet_ports, mask, switch_config, wait_for
from probes import ping_received, serve_http

STATIC_MAC = "02:00:00:00:00:99"


def entries_for(table, macs):
    """The table's entries for these MACs, without age_s, in a stable order."""
    return sorted(mask(e for e in table if e["mac"].lower() in macs), key=lambda e: e["mac"])


def learned(switch, **port_of):
    """Waits until the MAC table holds each container's MAC, dynamic, on its port name; returns
    the table. port_of: port name -> Container."""
    expected = sorted(({"mac": c.mac, "vlan": 0, "port": name, "static": False}
                       for name, c in port_of.items()), key=lambda e: e["mac"])
    macs = {c.mac for c in port_of.values()}
    last = []

    def check():
        last[:] = switch.mac_table()
        return entries_for(last, macs) == expected
    try:
        wait_for(check, 5, what="the MAC table to hold every container's MAC")
    except AssertionError:
        assert entries_for(last, macs) == expected, last  # shows the difference
    return last



def curl(container, url, timeout=15):
    """Fetches url from inside container, retrying while the server starts; returns the body."""
    last = []

    def fetch():
        p = container.exec("curl", "-sS", "--max-time", "5", url, check=False)
        last[:] = [p]
        return p.stdout if p.returncode == 0 else None
    try:
        return wait_for(fetch, timeout, interval=0.3, what=f"curl {url}")
    except AssertionError as e:
        raise AssertionError(f"{e}: {last[0].stderr}") from None


def assert_ok(answer):
    """A command that changes state answers {"ok": true} (extra fields, such as a count, allowed)."""
    assert isinstance(answer, dict) and answer.get("ok") is True, answer



def test_three_containers_ping_curl_and_learn(netns, switch, tmp_path):
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2, c3=c3))

    info = sw.ctl("show", "port", "info", "all")["ports"]
    assert [(p["name"], p["type"], p["link_up"]) for p in info] == [
        ("c1", "af_packet", True), ("c2", "af_packet", True), ("c3", "af_packet", True)]

    c1.ping(c2.ip)
    c1.ping(c3.ip)

    page = f"<h1>hello from {c2.name}</h1>\n"
    url = serve_http(c2, tmp_path, page)
    assert curl(c1, url) == page

    learned(sw, c1=c1, c2=c2, c3=c3)


def test_known_unicast_is_not_flooded(netns, switch, tmp_path):
    """A switch, not a hub: c3 sees broadcasts from c1 but not c1's unicast to c2."""
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2, c3=c3))
    c1.ping(c2.ip)
    c1.ping(c3.ip)
    c2.ping(c3.ip)
    learned(sw, c1=c1, c2=c2, c3=c3)

    capture = tmp_path / "c3.txt"
    with open(capture, "w") as out:
        tcpdump = c3.popen("tcpdump", "-i", "eth0", "-n", "-l", "--immediate-mode", "icmp",
                           stdout=out, stderr=subprocess.STDOUT)
    wait_for(lambda: "listening on" in capture.read_text(), 10, what="tcpdump to start")

    c1.ping(c2.ip, count=5)  # known unicast, both ways
    # A broadcast ping (receivers ignore it by default: net.ipv4.icmp_echo_ignore_broadcasts),
    # sent after the unicast one: once c3 has seen it, it would have seen the unicast too.
    broadcast = f"{SUBNET}.255"
    seen_broadcast = re.compile(rf"IP {re.escape(c1.ip)} > {re.escape(broadcast)}: ICMP echo request")

    def broadcast_seen():
        c1.exec("ping", "-n", "-b", "-c", "1", "-W", "1", broadcast, check=False)
        return seen_broadcast.search(capture.read_text())
    wait_for(broadcast_seen, 10, interval=0, what="c3 to capture c1's broadcast ping")

    tcpdump.send_signal(signal.SIGINT)
    tcpdump.wait(timeout=5)
    seen = capture.read_text()
    between = re.compile(rf"IP ({re.escape(c1.ip)} > {re.escape(c2.ip)}|"
                         rf"{re.escape(c2.ip)} > {re.escape(c1.ip)}): ICMP")
    assert not between.search(seen), f"c3 saw unicast traffic between c1 and c2:\n{seen}"


def test_counters_move(netns, switch):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    before = sw.port_stats()

    replies = ping_received(c1.ping(c2.ip, count=3))

    # c1 -> switch: 3 echo requests (+ ARP), 98 bytes each; switch -> c2: at least those c2
    # answered; c2 -> switch -> c1: the replies. Counters may lag a little: poll.
    want = {("c1", "rx_packets"): 3, ("c1", "rx_bytes"): 3 * 98,
            ("c2", "tx_packets"): replies, ("c2", "rx_packets"): replies,
            ("c1", "tx_packets"): replies, ("c1", "tx_bytes"): replies * 98}
    deltas = {}

    def moved():
        now = sw.port_stats()
        deltas.update({k: now[port][key] - before[port][key] for k in want for port, key in [k]})
        return all(deltas[k] >= n for k, n in want.items())
    try:
        wait_for(moved, 5, what="port counters to count the ping")
    except AssertionError as e:
        raise AssertionError(f"{e}: {replies} replies, want {want}, got {deltas}") from None

    stats = sw.ctl("show", "switch", "stats")
    assert stats["learned"] >= 2, stats
    assert stats["flooded"] >= 1, stats  # c1's first ARP request: c2 was not known yet
    assert isinstance(stats["drops"], dict), stats


def test_static_mac_add_del_and_flush(netns, switch):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)
    learned(sw, c1=c1, c2=c2)
    static_entry = {"mac": STATIC_MAC, "vlan": 0, "port": "c2", "static": True}

    assert_ok(sw.ctl("mac", "add", STATIC_MAC, "c2"))
    assert entries_for(sw.mac_table(), {STATIC_MAC}) == [static_entry]

    assert_ok(sw.ctl("mac", "del", STATIC_MAC))
    assert entries_for(sw.mac_table(), {STATIC_MAC}) == []

    assert_ok(sw.ctl("mac", "add", STATIC_MAC, "c2"))
    assert_ok(sw.ctl("mac", "flush"))
    dynamic = [e for e in sw.mac_table() if not e["static"]]
    assert dynamic == [], dynamic

    c1.ping(c2.ip)  # still switching after a flush: floods, then learns again
    learned(sw, c1=c1, c2=c2)


def test_mac_aging(netns, switch):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2), mac_aging_s=2)
    # Pin each neighbour, so that the kernels send nothing once the ping ends (no ARP probe to
    # confirm a stale entry, which would relearn both MACs a few seconds later).
    c1.exec("ip", "neigh", "replace", c2.ip, "lladdr", c2.mac, "dev", "eth0", "nud", "permanent")
    c2.exec("ip", "neigh", "replace", c1.ip, "lladdr", c1.mac, "dev", "eth0", "nud", "permanent")
    assert_ok(sw.ctl("mac", "add", STATIC_MAC, "c1"))

    c1.ping(c2.ip, count=2)
    learned(sw, c1=c1, c2=c2)
    stopped = time.monotonic()

    macs = {c1.mac, c2.mac}
    wait_for(lambda: not entries_for(sw.mac_table(), macs), 10, interval=0.2,
             what="both learned MACs to age out (mac_aging_s: 2)")
    aged_after = time.monotonic() - stopped
    print(f"learned MACs aged out {aged_after:.1f} s after the traffic stopped")
    assert entries_for(sw.mac_table(), {STATIC_MAC}) == [
        {"mac": STATIC_MAC, "vlan": 0, "port": "c1", "static": True}], \
        f"the static entry went too ({aged_after:.1f} s after the traffic)"


@pytest.mark.parametrize("case", ["unknown_key", "missing_iface"])
def test_bad_config_is_refused(run_switch, case):
    if case == "unknown_key":
        config = switch_config(burts=32)  # a typo of burst
        key_path = r"switch[./]burts"
    else:
        config = switch_config([{"name": "c1", "type": "af_packet", "iface": "dswtnosuchif"}])
        key_path = r"ports(\[0\]\.|\.0\.|/0/)iface"
    proc = run_switch(config)

    assert proc.returncode == 2, f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    # "<file>: <key path>: <reason>"
    assert re.search(rf"{re.escape(str(proc.config_path))}:\s*{key_path}:\s*\S", proc.stderr), \
        proc.stderr
    sock = config["switch"]["ctl_socket"]
    assert not os.path.exists(sock), f"{sock} left behind"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_stops_cleanly(netns, switch, sig):
    sw = switch(af_packet_ports(c1=netns()))
    assert sw.sock.exists()

    t0 = time.monotonic()
    rc = sw.stop(sig)
    took = time.monotonic() - t0

    assert rc == 0, f"exit {rc} after {sig.name}"
    assert not sw.sock.exists(), f"{sw.sock} left behind after {sig.name}"
    print(f"stopped {took:.2f} s after {sig.name}")


def error_answer(proc):
    """The {"error": ".."} object a failed --json command prints (on stdout, or else stderr)."""
    text = proc.stdout.strip() or proc.stderr.strip()
    try:
        answer = jsonlib.loads(text)
    except ValueError:
        raise AssertionError(f"not JSON: stdout {proc.stdout!r} stderr {proc.stderr!r}") from None
    assert isinstance(answer, dict) and set(answer) == {"error"}, answer
    assert isinstance(answer["error"], str) and answer["error"], answer
    return answer


BAD_COMMANDS = [
    ["frobnicate"],
    ["show", "port", "stats", "nosuchport"],
    ["mac", "add", "not-a-mac", "c1"],
    ["mac", "add", STATIC_MAC, "nosuchport"],
]


def test_bad_command_answers_error(netns, switch):
    sw = switch(af_packet_ports(c1=netns()))

    for command in BAD_COMMANDS:
        proc = sw.ctl_raw(*command, json=True)
        assert proc.returncode == 1, proc
        error_answer(proc)

        proc = sw.ctl_raw(*command, json=False)
        assert proc.returncode == 1, proc
        assert (proc.stdout + proc.stderr).strip(), f"{command}: an error without a message"

    # Still answering, and nothing changed.
    assert [p["name"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["c1"]
    assert entries_for(sw.mac_table(), {STATIC_MAC}) == []
    assert sw.proc.poll() is None
