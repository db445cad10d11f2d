"""Seeing into a running switch: capture to pcapng, DPDK telemetry, idle back-off, TX hold.

    c1 (netns) ── veth ── af_packet c1 ─┐
                                        ├─ dpdk_switch ── telemetry socket ── dpdk-telemetry.py
    c2 (netns) ── veth ── af_packet c2 ─┘        └── capture c2 -> pcapng (read back by tcpdump)
"""
import json
import os
import re
import subprocess
import time

from conftest import af_packet_ports, wait_for
from probes import telemetry


def test_capture_writes_the_frames_a_port_sends_and_receives(netns, switch, tmp_path):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)                      # learn both first
    pcap = tmp_path / "c2.pcapng"
    sw.ctl("capture", "c2", str(pcap), "count", "6")
    c1.ping(c2.ip, count=3)             # 3 requests out of c2's port, 3 replies into it

    def done():
        return not sw.ctl("show", "capture")["captures"]
    wait_for(done, 10, what="the capture to reach its count")
    out = subprocess.run(["tcpdump", "-r", str(pcap), "-n", "icmp"], capture_output=True, text=True)
    lines = [l for l in out.stdout.splitlines() if "ICMP echo" in l]
    assert len([l for l in lines if f"{c1.ip} > {c2.ip}: ICMP echo request" in l]) == 3, out.stdout
    assert len([l for l in lines if f"{c2.ip} > {c1.ip}: ICMP echo reply" in l]) == 3, out.stdout


def test_capture_errors_answer_cleanly(netns, switch, tmp_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    for args in (["capture", "nosuch", str(tmp_path / "x.pcapng")],
                 ["capture", "c1", "/nonexistent/dir/x.pcapng"],
                 ["capture", "c1", str(tmp_path / "y.pcapng"), "count", "zero"],
                 ["capture", "stop", "c1"]):
        r = sw.ctl_raw(*args)
        assert r.returncode == 1 and "error" in json.loads(r.stdout), (args, r.stdout)
    sw.ctl("capture", "c1", str(tmp_path / "z.pcapng"))
    assert sw.ctl_raw("capture", "c1", str(tmp_path / "z2.pcapng")).returncode == 1   # one per port
    sw.ctl("capture", "stop", "c1")



def test_telemetry_reads_switch_counters(netns, switch):
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip, count=3)
    ports = telemetry(sw.prefix, "/dpdk_switch/ports")
    assert ports == ["c1", "c2"]
    stats = telemetry(sw.prefix, "/dpdk_switch/port_stats,c1")
    assert stats["name"] == "c1" and stats["rx_packets"] >= 3
    sw_stats = telemetry(sw.prefix, "/dpdk_switch/switch_stats")
    assert sw_stats["learned"] >= 2
    table = telemetry(sw.prefix, "/dpdk_switch/mac_table")
    assert table["entries"] >= 2 and table["capacity"] == 65536
    # The standard commands keep working beside ours.
    assert "ipackets" in telemetry(sw.prefix, "/ethdev/stats,0")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_idle_sleep_lets_an_idle_switch_rest(netns, switch):
    c1, c2 = netns(), netns()
    busy = switch(af_packet_ports(c1=c1, c2=c2))
    t0, cpu0 = time.monotonic(), cpu_seconds(busy.proc.pid)
    time.sleep(2)
    busy_share = (cpu_seconds(busy.proc.pid) - cpu0) / (time.monotonic() - t0)
    busy.stop()
    resting = switch(af_packet_ports(c1=c1, c2=c2), idle_sleep_us=1000)
    t0, cpu0 = time.monotonic(), cpu_seconds(resting.proc.pid)
    time.sleep(2)
    rest_share = (cpu_seconds(resting.proc.pid) - cpu0) / (time.monotonic() - t0)
    print(f"idle switch CPU: busy-polling {busy_share:.2f} cores, idle_sleep_us=1000 {rest_share:.2f} cores")
    assert busy_share > 0.5            # a core, less what others on this 2-core machine take
    assert rest_share < 0.3
    c1.ping(c2.ip, count=3)             # and it still forwards


def ping_avg_ms(proc):
    m = re.search(r"= [\d.]+/([\d.]+)/", proc.stdout)
    assert m, proc.stdout
    return float(m.group(1))


def test_tx_hold_set_at_run_time_batches_and_delays(netns, switch):
    """`set tx flush N` (switch.tx_flush_us) on a running switch: each frame waits up to N us
    at the switch, so a ping's round trip, two crossings, grows by about 2 N; back to 0, it
    does not. `show lcores` says the setting and the frames per send."""
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip)                                   # learn both ends
    plain = ping_avg_ms(c1.ping(c2.ip, count=10, interval=0.05))
    assert sw.ctl("set", "tx", "flush", "2000")["tx_flush_us"] == 2000
    held = ping_avg_ms(c1.ping(c2.ip, count=10, interval=0.05))
    lcores = sw.ctl("show", "lcores")
    sw.ctl("set", "tx", "flush", "0")
    again = ping_avg_ms(c1.ping(c2.ip, count=10, interval=0.05))
    print(f"ping avg: {plain:.3f} ms, held 2 ms: {held:.3f} ms, hold off again: {again:.3f} ms")
    assert held > plain + 3.0, "two crossings held 2 ms each"
    assert again < held - 3.0
    assert lcores["tx_flush_us"] == 2000
    assert lcores["lcores"][0]["tx_bursts"] > 0 and lcores["lcores"][0]["frames_per_tx_burst"] >= 1.0
    r = sw.ctl_raw("set", "tx", "flush", "20000")   # past 10 ms: refused, the setting stays
    assert r.returncode == 1 and "error" in json.loads(r.stdout), r.stdout
    assert sw.ctl("show", "lcores")["tx_flush_us"] == 0


def hugepages_free():
    try:
        with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
            return int(f.read())
    except OSError:
        return 0


def test_dpdk_dumpcap_captures_a_live_port(netns, switch, tmp_path):
    """dpdk-dumpcap as a secondary process: needs the switch on hugepages with a runtime dir."""
    import pytest
    if hugepages_free() < 300:
        pytest.skip("no free 2 MiB hugepages (scripts/hugepages.sh reserves them)")
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2), eal={"no_huge": False})
    c1.ping(c2.ip)
    out = tmp_path / "dump.pcapng"
    dump = subprocess.Popen(["dpdk-dumpcap", f"--file-prefix={sw.prefix}", "-i", "net_af_packet_c2", "-c", "4",
                             "-w", str(out), "-q"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def dumping():   # its first frames may be lost while it attaches: keep pinging until done
            c1.ping(c2.ip, count=1, check=False)
            return dump.poll() is not None
        wait_for(dumping, 30, interval=0.2, what="dpdk-dumpcap to capture 4 frames")
    finally:
        if dump.poll() is None:
            dump.kill()
        log = dump.communicate()[0]
    read = subprocess.run(["tcpdump", "-r", str(out), "-n"], capture_output=True, text=True)
    icmp = [l for l in read.stdout.splitlines() if "ICMP echo" in l]
    assert len(icmp) >= 2, f"{read.stdout}\n{log}"
