"""Faults and abuse a long-running switch must survive while it keeps forwarding for everyone else:
a MAC flood, a veth deleted under it, hostile control-socket clients, a tiny mbuf pool.

  c1 (netns) eth0 10.77.0.2 --veth-- af_packet "c1" -+   the misbehaving one: 1,000,000 random
                                                     |   source MACs; iperf3 -u + ping -f at c2
  c2 (netns) eth0 10.77.0.3 --veth-- af_packet "c2" -+
                                                     +-- dpdk_switch (lcore 1)
  c3 (netns) eth0 10.77.0.4 --veth-- af_packet "c3" -+        |
     http.server :8080; its namespace or veth is               +-- /run/dpdk_switch/<tag>.sock
     deleted under the running switch in one test              |     <- dpdk_switch_ctl --json
                                                               |     <- CtlConn: raw lines (garbage,
                                                               |        1 MB, 20 clients, never reads)
                                                               +-- telemetry <- dpdk-telemetry.py

Each test starts its own switch on the containers it needs. What is asserted is what a user of
the other containers and an operator at the CLI notice: pings and HTTP keep working, the switch
answers, the counters say what happened.
"""

import json as jsonlib
import random
import re
import select
import signal
import subprocess
import threading
import time

import pytest

from conftest import af_packet_ports, free_hugepages, run, wait_for
from probes import finish_mac_flood, ping_received, serve_http, start_mac_flood, telemetry, vm_rss_kb

# The issue asks for 1,000,000 random source MACs: the sender does them in 3-5 s here.
FLOOD_FRAMES = 1_000_000


def switch_stats(sw):
    return sw.ctl("show", "switch", "stats")



def curl_ok(container, url, body, timeout=15):
    """Fetches url from container until it returns body (the server may still be starting)."""
    def fetch():
        p = container.exec("curl", "-sS", "--max-time", "3", url, check=False)
        return p.returncode == 0 and p.stdout == body
    wait_for(fetch, timeout, interval=0.3, what=f"{container.name}: curl {url}")


# --- 1. MAC flood -----------------------------------------------------------------------------------

def talk_during(flood, c2, c3, url, body):
    """While the flood runs: c2 pings c3 and fetches c3's page, round after round. Returns
    (rounds, pings sent, replies); at least one round even if the flood ended first."""
    rounds = sent = received = 0
    while rounds == 0 or flood.poll() is None:
        received += ping_received(c2.ping(c3.ip, count=5, interval=0.05, wait_s=1, check=False))
        sent += 5
        curl_ok(c2, url, body, timeout=5)
        rounds += 1
    return rounds, sent, received


@pytest.mark.parametrize("policy", ["mac_limit", "table_full"])
def test_mac_flood_leaves_the_others_talking(netns, switch, tmp_path, policy):
    """
      c1: 1,000,000 frames, each from a new random source MAC, to a MAC nobody has (flooded)
      c2 <-> c3: ping and HTTP during the flood, through entries learned before it

      mac_limit:  c1's port has mac_limit: 100     -> at most 100 MACs behind c1, the rest counted
                                                      in learn_port_limit
      table_full: switch.mac_table_size: 1024 (the -> the table fills up, new MACs are counted in
                  smallest), no per-port limit        learn_table_full, c2/c3 keep their entries
    """
    c1, c2, c3 = netns(), netns(), netns()
    ports = af_packet_ports(c1=c1, c2=c2, c3=c3)
    if policy == "mac_limit":
        ports[0]["mac_limit"] = 100
        sw = switch(ports)
    else:
        sw = switch(ports, mac_table_size=1024)
    body = f"<h1>{c3.name}</h1>\n"
    url = serve_http(c3, tmp_path, body)
    c2.ping(c3.ip)
    curl_ok(c2, url, body)
    before = switch_stats(sw)

    flood = start_mac_flood(c1, FLOOD_FRAMES)
    try:
        rounds, sent, received = talk_during(flood, c2, c3, url, body)
        flood_sent, errors, seconds = finish_mac_flood(flood, timeout=120)
    finally:
        if flood.poll() is None:
            flood.kill()
    after = switch_stats(sw)
    rx_c1 = sw.port_stats()["c1"]["rx_packets"]
    print(f"{policy}: c1 sent {flood_sent} frames ({errors} refused by its kernel) in {seconds} s, "
          f"the switch received {rx_c1}; during it c2 -> c3: {received}/{sent} pings answered, "
          f"{rounds} HTTP fetches; learned {after['learned'] - before['learned']}, "
          f"learn_port_limit {after['learn_port_limit']}, learn_table_full {after['learn_table_full']}, "
          f"MAC table {after['mac_entries']}/{after['mac_capacity']}")
    assert sw.proc.poll() is None, f"dpdk_switch died (exit {sw.proc.returncode})"
    assert flood_sent == FLOOD_FRAMES and rx_c1 > 10_000, (flood_sent, rx_c1)
    # Everyone else kept talking: nearly every echo answered, every HTTP fetch served.
    assert received >= sent * 0.9, f"{received}/{sent} pings answered during the flood"

    table = sw.mac_table()
    behind_c1 = [e for e in table if e["port"] == "c1"]
    where = {e["mac"]: e["port"] for e in table}
    assert where.get(c2.mac) == "c2" and where.get(c3.mac) == "c3", \
        f"c2/c3 lost their entries: {where.get(c2.mac)}, {where.get(c3.mac)}"
    if policy == "mac_limit":
        assert after["learn_port_limit"] > 0, after
        assert len(behind_c1) <= 100, f"{len(behind_c1)} MACs learned behind c1 (mac_limit: 100)"
        assert after["learn_table_full"] == 0, after
        assert "mac_limit reached on port c1 (100/100)" in sw.log(), sw.log()
    else:
        assert after["learn_table_full"] > 0, after
        assert after["mac_entries"] <= 1024 and len(table) <= 1024, (after["mac_entries"], len(table))
        assert "MAC table full (" in sw.log(), sw.log()
        # Established entries keep forwarding as unicast: c2 -> c3 is not flooded to c1.
        tx_c1 = sw.port_stats()["c1"]["tx_packets"]
        assert ping_received(c2.ping(c3.ip, count=10, interval=0.05)) >= 9
        assert sw.port_stats()["c1"]["tx_packets"] - tx_c1 < 5, "c2 -> c3 was flooded to c1"
    # And after it.
    assert ping_received(c3.ping(c2.ip, count=3)) >= 2
    curl_ok(c2, url, body)


# --- 2. a veth deleted under the switch -----------------------------------------------------------

@pytest.mark.parametrize("how", ["netns", "hostif"])
def test_veth_deleted_under_the_switch(netns, switch, how):
    """
      c3 goes while the switch runs, without `port del` first: its namespace is deleted (netns:
      a container that died; its eth0 and so the veth pair go with it) or the host end of its
      veth is (hostif). c1 pings c2 all along. The switch keeps running and answering, c1 <-> c2
      lose no echo, port c3 is still listed (so the operator sees what is left), and `port del c3`
      then works. Its link state and counters are printed, not asserted: net_af_packet reports
      the link it saw at start, and counts frames sent to a vanished interface as sent.
    """
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2, c3=c3))
    c1.ping(c2.ip)
    c1.ping(c3.ip)

    pinger = c1.popen("ping", "-n", "-q", "-i", "0.05", "-W", "1", c2.ip, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    try:
        time.sleep(0.3)   # echoes before the deletion, to compare with those after it
        c3.stop_procs()
        cmd = ["ip", "netns", "del", c3.name] if how == "netns" else ["ip", "link", "del", c3.hostif]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        # A namespace goes asynchronously, and with it its eth0 and so the veth pair.
        wait_for(lambda: subprocess.run(["ip", "link", "show", c3.hostif],
                                        capture_output=True).returncode != 0,
                 10, what=f"{c3.hostif} to disappear")

        assert sw.proc.poll() is None, f"dpdk_switch died (exit {sw.proc.returncode})"
        info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
        assert set(info) == {"c1", "c2", "c3"}, info
        c3_at_death = sw.port_stats()["c3"]
        # Floods (c1's broadcast ARP for an address nobody has) still list the dead port: they
        # must not stall the worker or the others.
        c1.exec("ping", "-n", "-c", "3", "-i", "0.2", "-W", "1", "10.77.0.200", check=False)
        # Frames to c3's MAC (still in the table) go to the dead port.
        c1.ping(c3.ip, count=3, wait_s=1, check=False)
        time.sleep(1)
    finally:
        pinger.send_signal(signal.SIGINT)
        out, _ = pinger.communicate(timeout=10)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    sent, received = int(m.group(1)), int(m.group(2))
    print(f"{how}: c1 -> c2 while c3 went: {received}/{sent} echoes answered")
    assert sent >= 40 and received >= sent - 1, out

    c3_info = sw.ctl("show", "port", "info", "c3")["ports"][0]
    c3_now = sw.port_stats()["c3"]
    print(f"{how}: port c3 after its veth went: link_up={c3_info['link_up']}, "
          f"tx_packets +{c3_now['tx_packets'] - c3_at_death['tx_packets']}, drops {c3_now['drops']}")
    # The switch noticed (within its 1 s housekeeping): the port shows down, and what was sent to
    # c3 since is counted as port_down, not as transmitted; the log says so.
    assert c3_info["link_up"] is False, c3_info
    assert c3_now["drops"].get("port_down", 0) >= 1, c3_now
    assert "is gone" in sw.log(), sw.log()

    assert sw.ctl("port", "del", "c3")["ok"] is True
    assert [p["name"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["c1", "c2"]
    assert not any(e["port"] == "c3" for e in sw.mac_table())
    assert ping_received(c2.ping(c1.ip, count=3)) >= 2
    assert sw.proc.poll() is None, f"dpdk_switch died (exit {sw.proc.returncode})"


# --- 3. control socket abuse ----------------------------------------------------------------------
# The protocol: one command per line; one JSON line back, {"ok": bool, "text": str, "json": {...}}.

def assert_answers(conn):
    """conn (a CtlConn) still gets a real answer."""
    reply = conn.call("show switch stats")
    assert reply["ok"] is True and "learned" in reply["json"], reply


def send_in_background(conn, data):
    """Sends data on a duplicate of conn's socket from a thread (the switch may stop reading and
    close): returns the thread; its .error is the OSError that ended the send, if any."""
    sock = conn.sock.dup()
    sock.settimeout(30)

    def push():
        try:
            sock.sendall(data)
        except OSError as e:
            t.error = e
        finally:
            sock.close()
    t = threading.Thread(target=push, daemon=True)
    t.error = None
    t.start()
    return t


def test_ctl_one_megabyte_line(netns, switch, ctl_conn):
    """A 1 MB line without a newline: that client gets an error and is disconnected; another
    client connected all along keeps its answers."""
    sw = switch(af_packet_ports(c1=netns()))
    bystander = ctl_conn(sw)
    assert_answers(bystander)

    abuser = ctl_conn(sw)
    sender = send_in_background(abuser, b"show port info " + b"x" * (1 << 20))
    reply = abuser.read_line(timeout=10)
    assert reply is not None, "disconnected without an error reply"
    assert reply["ok"] is False and "4096" in reply["json"]["error"], reply
    assert abuser.closed_by_peer(timeout=10), "the client with a 1 MB line is still connected"
    sender.join(timeout=30)
    assert not sender.is_alive()
    print(f"1 MB line: {reply['json']['error']!r}; the sender's send ended with {sender.error!r}")

    assert_answers(bystander)
    assert sw.ctl("show", "port", "info", "all")["ports"][0]["name"] == "c1"
    assert sw.proc.poll() is None


def test_ctl_garbage_lines_each_get_an_error(netns, switch, ctl_conn):
    """200 lines of random bytes (anything but a newline) in one write: 200 error replies, in
    order, and the same connection then answers a real command."""
    sw = switch(af_packet_ports(c1=netns()))
    rnd = random.Random(7)
    alphabet = [b for b in range(256) if b != 0x0A]
    lines = [bytes(rnd.choice(alphabet) for _ in range(rnd.randrange(1, 400))) for _ in range(200)]
    conn = ctl_conn(sw)
    conn.send(b"\n".join(lines) + b"\n")
    replies = [conn.read_line(timeout=10) for _ in range(200)]
    assert all(r is not None for r in replies), f"disconnected after {replies.index(None)} replies"
    bad = [(i, r) for i, r in enumerate(replies)
           if r["ok"] is not False or not r["json"].get("error") or not r["text"]]
    assert not bad, bad[:5]
    assert_answers(conn)
    assert sw.proc.poll() is None


def test_ctl_too_many_clients_are_refused(netns, switch, ctl_conn):
    """20 clients at once, none asking anything yet: each one past the 16th makes room by closing
    the client idle the longest (told why), so the first four go and the last 16 are answered;
    once they leave, new ones are answered too."""
    sw = switch(af_packet_ports(c1=netns()))
    conns = [ctl_conn(sw) for _ in range(20)]
    accepted, refused = [], []
    for c in conns:
        try:
            c.send("show switch stats\n")
        except OSError:
            pass   # refused and closed already: its error reply is waiting all the same
        reply = c.read_line(timeout=5)
        assert reply is not None, "closed without a reply"
        if reply["ok"]:
            accepted.append(c)
        else:
            assert "too many" in reply["json"]["error"], reply
            assert c.closed_by_peer(timeout=5), "a refused client is still connected"
            refused.append(c)
    print(f"20 clients at once: {len(accepted)} accepted, {len(refused)} refused")
    assert refused == conns[:4] and accepted == conns[4:], (len(accepted), len(refused))
    for c in accepted:
        assert_answers(c)
    # While they are all connected, dpdk_switch_ctl may be refused too; once they go, it is not.
    for c in accepted:
        c.close()
    wait_for(lambda: sw.ctl_raw("show", "switch", "stats").returncode == 0, 5,
             what="the switch to answer a new client once the others left")
    assert_answers(ctl_conn(sw))


def hung_up(conn):
    """True once the switch has closed conn, found without reading from it (poll's POLLHUP)."""
    p = select.poll()
    p.register(conn.sock, select.POLLIN)
    return any(ev & select.POLLHUP for _, ev in p.poll(0))


def test_ctl_client_that_never_reads_is_dropped(netns, switch, ctl_conn):
    """A client sends `show mac table` 10,000 times in one write and never reads: the switch
    drops it once 4 MB of answers wait for it (its memory grows by about that much, not by the
    10,000 answers), and answers another client within 1 s all along."""
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    # 32 entries: each answer is a few kB, so that 10,000 of them are far more than 4 MB.
    for i in range(32):
        sw.ctl("mac", "add", f"02:00:00:00:01:{i:02x}", "c1")
    watcher = ctl_conn(sw)
    answer_size = len(jsonlib.dumps(watcher.call("show mac table")))
    peak_before = vm_rss_kb(sw.proc.pid, "VmHWM")

    hog = ctl_conn(sw)
    t0 = time.monotonic()
    sender = send_in_background(hog, b"show mac table\n" * 10_000)
    latencies = []
    while not hung_up(hog):
        assert time.monotonic() - t0 < 60, "the client that never reads is still connected after 60 s"
        t1 = time.monotonic()
        assert_answers(watcher)
        latencies.append(time.monotonic() - t1)
        time.sleep(0.01)
    dropped_after = time.monotonic() - t0
    sender.join(timeout=30)
    assert hog.closed_by_peer(timeout=10)
    got = hog.buf.count(b"\n")
    peak_growth_mb = (vm_rss_kb(sw.proc.pid, "VmHWM") - peak_before) / 1024
    print(f"never-reading client: answers of {answer_size} B; dropped {dropped_after:.2f} s after it "
          f"started, having received {got} of 10,000 (its send ended with {sender.error!r}); the "
          f"other client's {len(latencies)} answers took at most {max(latencies) * 1000:.0f} ms; "
          f"the switch's peak RSS grew by {peak_growth_mb:.1f} MB")
    print("switch log:", [l for l in sw.log().splitlines() if "control client" in l])
    assert got < 10_000
    assert_answers(watcher)
    assert sw.proc.poll() is None
    problems = []
    if max(latencies) >= 1.0:
        problems.append(f"another client waited {max(latencies):.2f} s for an answer")
    # 4 MB of answers may wait for a client; a margin for the allocator, not for 10,000 answers.
    if peak_growth_mb >= 16:
        problems.append(f"the switch's peak RSS grew by {peak_growth_mb:.0f} MB")
    assert not problems, "; ".join(problems) + " for one client that never reads"


# --- 4. a tiny mbuf pool --------------------------------------------------------------------------


def host_rx_packets(container):
    """Frames the kernel received on container's veth host end (what the switch may read)."""
    link = jsonlib.loads(subprocess.run(["ip", "-s", "-j", "link", "show", container.hostif],
                                        capture_output=True, text=True, check=True).stdout)
    return link[0]["stats64"]["rx"]["packets"]


def test_tiny_mbuf_pool_survives_a_flood(netns, switch):
    """
      switch.mbufs: 1024 (the smallest pool) for two containers; c1 floods c2 for 3 s with
      iperf3 -u (no rate limit, 1400-byte datagrams) and ping -f at once. The switch survives, a
      normal ping passes afterwards, the pool is full again once the traffic stops, and the
      frames it could not take are counted (port or switch drops, ethdev rx_nombuf/imissed as
      dpdk-telemetry.py reads them, or the kernel's drops at the full af_packet ring).
    """
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2), mbufs=1024)
    mbufs = switch_stats(sw)["mbufs"]
    assert mbufs["pool"] == 1024, mbufs
    c1.ping(c2.ip)
    host_rx_before = host_rx_packets(c1)
    rx_before = sw.port_stats()["c1"]["rx_packets"]
    ring_full_before = sw.port_stats()["c1"]["kernel"]["rx_ring_full"]

    server = c2.popen("iperf3", "-s", "-1", "-B", c2.ip, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    wait_for(lambda: ":5201" in c2.exec("ss", "-ltn", check=False).stdout, 10,
             what="iperf3 to listen in c2")
    pinger = c1.popen("ping", "-f", "-q", "-w", "3", c2.ip, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    client = c1.popen("iperf3", "-c", c2.ip, "-u", "-b", "0", "-l", "1400", "-t", "3", "-J",
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lowest_free = 1024
    while client.poll() is None:   # how low the pool goes while the flood runs
        lowest_free = min(lowest_free, switch_stats(sw)["mbufs"]["free"])
        time.sleep(0.05)
    client_out, _ = client.communicate(timeout=30)
    ping_out, _ = pinger.communicate(timeout=30)
    server.communicate(timeout=30)
    assert sw.proc.poll() is None, f"dpdk_switch died (exit {sw.proc.returncode})"
    assert client.returncode == 0, client_out
    udp = jsonlib.loads(client_out)["end"]["sum"]

    # Frames c1's host end took from c1 that the switch never read (lost in the PACKET_MMAP
    # ring it reads them from), and what the switch counts as lost.
    host_rx = host_rx_packets(c1) - host_rx_before
    switch_rx = sw.port_stats()["c1"]["rx_packets"] - rx_before
    lost_before_switch = host_rx - switch_rx
    ring_full = sw.port_stats()["c1"]["kernel"]["rx_ring_full"] - ring_full_before
    port_drops = {n: p["drops"] for n, p in sw.port_stats().items() if p["drops"]}
    switch_drops = switch_stats(sw)["drops"]
    ethdev = {p["name"]: telemetry(sw.prefix, f"/ethdev/stats,{p['port_id']}")
              for p in sw.ctl("show", "port", "info", "all")["ports"]}
    ethdev_lost = {n: {k: e.get(k, 0) for k in ("rx_nombuf", "imissed", "ierrors", "oerrors")}
                   for n, e in ethdev.items()}
    print(f"iperf3 -u: {udp['packets']} datagrams sent, {udp['lost_packets']} lost; ping -f: "
          f"{ping_out.strip().splitlines()[-2]}; c1's host end received {host_rx} frames, the switch "
          f"read {switch_rx}: {lost_before_switch} lost before it; counted: ring full {ring_full}, port drops {port_drops}, "
          f"switch drops {switch_drops}, ethdev {ethdev_lost}; the pool's free mbufs went down "
          f"to {lowest_free} of 1024")
    assert switch_rx > 10_000, switch_rx

    # Back to normal: a ping passes, and every mbuf is back in the pool.
    assert ping_received(c1.ping(c2.ip, count=3)) >= 2
    wait_for(lambda: switch_stats(sw)["mbufs"]["free"] == 1024, 5,
             what="the pool to be full again (1024 free)")

    # Whatever the switch could not take is counted where an operator looks: af_packet (22.11)
    # counts nothing for frames its ring had no room for, so `show port stats` adds the kernel's
    # count of them (rx_ring_full) and the interface's own counters beside the switch's.
    counted = (ring_full + sum(sum(d.values()) for d in port_drops.values()) + sum(switch_drops.values())
               + sum(sum(e.values()) for e in ethdev_lost.values()))
    shown = sw.port_stats()["c1"]
    assert "kernel" in shown, shown
    assert shown["kernel"]["rx_packets"] >= host_rx_packets(c1) - 10, (shown, host_rx_packets(c1))
    assert counted >= lost_before_switch - 10, (
        f"{lost_before_switch} of the {host_rx} frames c1 sent were lost before the switch read "
        f"them, and the counters show {counted}: ring full {ring_full}, port drops {port_drops}, "
        f"switch drops {switch_drops}, ethdev {ethdev_lost}, kernel {shown['kernel']}")


# The most frames the switch can read after a stop: af_packet's PACKET_MMAP ring holds 1024;
# af_xdp has 2048 buffers posted (and an RX ring as long).
RING_AT_MOST = {"af_packet": 2048, "af_xdp": 4096}


@pytest.mark.parametrize("port_type", ["af_packet", "af_xdp"])
def test_frames_a_full_rx_ring_dropped_are_counted(netns, switch, port_type):
    """
      c1 sends 3000 frames while the switch is stopped (SIGSTOP), so that no worker reads: what
      c1's RX ring holds is read later, the kernel drops the rest. af_packet: its PACKET_MMAP
      ring (1024 frames) fills, and net_af_packet counts the drops nowhere: `show port stats`
      counts them (kernel.rx_ring_full, and a line of the text view). af_xdp: its 2048 posted
      buffers run out (pmd.imissed; kernel.rx_ring_full would count an overflow of its RX
      ring). Either way what the switch read plus what it counts as dropped is every frame c1
      sent; the log says so within its once-a-second round, and `clear port stats` zeroes
      rx_ring_full.
    """
    c1, c2 = netns(), netns()
    if port_type == "af_packet":
        sw = switch(af_packet_ports(c1=c1, c2=c2))
    else:
        if free_hugepages() < 160:
            pytest.skip("af_xdp needs hugepages: fewer than 160 free 2 MiB pages")
        sw = switch([{"name": n, "type": "af_xdp", "iface": c.hostif} for n, c in (("c1", c1), ("c2", c2))],
                    eal={"no_huge": False, "memory_mb": 256})
    c1.ping(c2.ip)
    sw.ctl("clear", "port", "stats", "all")
    assert sw.port_stats()["c1"]["kernel"]["rx_ring_full"] == 0
    imissed_before = sw.port_stats()["c1"]["pmd"]["imissed"]   # not cleared by clear port stats

    sw.proc.send_signal(signal.SIGSTOP)
    try:
        sent, errors, _ = finish_mac_flood(start_mac_flood(c1, 3000), timeout=60)
    finally:
        sw.proc.send_signal(signal.SIGCONT)
    assert (sent, errors) == (3000, 0)

    def dropped(c):
        return c["kernel"]["rx_ring_full"] + c["pmd"]["imissed"] - imissed_before

    def accounted():
        c = sw.port_stats()["c1"]
        return c["rx_packets"] + dropped(c)
    wait_for(lambda: accounted() >= sent, 10, what="the switch to read what its ring kept")
    c1_stats = sw.port_stats()["c1"]
    lost, read = dropped(c1_stats), c1_stats["rx_packets"]
    print(f"{port_type}: c1 sent {sent} frames to a stopped switch: it read {read}, {lost} were dropped "
          f"(rx_ring_full {c1_stats['kernel']['rx_ring_full']}, imissed {c1_stats['pmd']['imissed']})")
    assert sent - RING_AT_MOST[port_type] <= lost < sent, c1_stats
    assert accounted() <= sent + 20, c1_stats   # c1 sends nothing else (no IPv6, no ARP here)
    if port_type == "af_packet":
        assert c1_stats["kernel"]["rx_ring_full"] == lost, c1_stats
        text = sw.ctl("show", "port", "stats", "c1", json=False)
        assert f"rx_ring_full {lost}" in text, text
    wait_for(lambda: "RX ring full" in sw.log() and f"c1 {lost}" in sw.log(), 5,
             what="the switch to log the ring overrun")
    # The live view shows the loss too (RX-MISSED: imissed + rx_nombuf + rx_ring_full).
    view = run([sw.bin.ctl, "--socket", sw.sock, "monitor", "0.1", "count", "1"]).stdout.splitlines()
    header = next(line.split() for line in view if line.startswith("PORT"))
    row = next(line.split() for line in view if line.startswith("c1 "))
    assert int(row[header.index("RX-MISSED")]) >= lost, view

    sw.ctl("clear", "port", "stats", "c1")
    assert sw.port_stats()["c1"]["kernel"]["rx_ring_full"] == 0
    assert ping_received(c1.ping(c2.ip)) >= 2
