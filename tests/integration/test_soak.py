"""Soak: a bounded run of everything a long-lived switch does at once, then a check for leaks.

  c1 (netns) 10.77.0.2 --veth-- af_packet "c1" -+            ping c1 -> c2 every 20 ms,
                                                |            iperf3 TCP c1 -> c2 at 50 Mbit/s
  c2 (netns) 10.77.0.3 --veth-- af_packet "c2" -+- dpdk_switch (mac_aging_s: 2)
                                                |
  c3 (netns) 10.77.0.4 --veth-- af_packet "c3" -+            c3: frames from random source MACs,
                                                |            300/s (constant learning and aging)
  c4 (netns) 10.77.0.5 --veth-- af_packet "c4" -+            port churn: `port add c4` / c4 pings c1
                                                             / `port del c4`, over and over

DSW_SOAK_SECONDS sets how long the load runs (default 12: the whole test then takes about 22 s,
short enough for every run; set it to hours for a real soak, or to 0 to skip it). Afterwards: the switch's RSS grew
less than RSS_GROWTH_LIMIT_KB, every mbuf is back in the pool, the random MACs aged out, nothing
died, and pings pass.

Every mbuf back means the pool's free count equals its size, exactly: af_packet ports post no
mbufs in advance (net_af_packet allocates one per received frame and frees it once copied
out), and an idle switch holds none (rings drained, TX batches flushed every loop; lcore
caches count as free). The same holds before the load, so a leak in the warm-up cycle shows
too.
"""

import json as jsonlib
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import af_packet_ports, wait_for
from probes import finish_mac_flood, start_mac_flood, vm_rss_kb

SOAK_S = float(os.environ.get("DSW_SOAK_SECONDS") or 12)
LEARN_PPS = 300
# Generous for allocator noise and first-use pages; a leak per port cycle, per learned MAC or per
# frame would pass it within minutes of a long soak, and within the default 12 s for most.
RSS_GROWTH_LIMIT_KB = 8 * 1024


def switch_stats(sw):
    return sw.ctl("show", "switch", "stats")


@pytest.mark.skipif(SOAK_S <= 0, reason="DSW_SOAK_SECONDS=0")
def test_soak_traffic_learning_aging_and_port_churn(netns, switch):
    c1, c2, c3, c4 = netns(), netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2, c3=c3), mac_aging_s=2)
    c1.ping(c2.ip)
    c3.ping(c1.ip)

    # One cycle of everything first, so that first-use allocations count in the baseline.
    def cycle():
        assert sw.ctl("port", "add", "c4", "af_packet", f"iface={c4.hostif}")["ok"] is True
        wait_for(lambda: sw.ctl("show", "port", "info", "c4")["ports"][0]["link_up"], 5,
                 what="port c4 link up")
        c4.ping(c1.ip, count=1, wait_s=2)
        port_id = sw.ctl("show", "port", "info", "c4")["ports"][0]["port_id"]
        assert sw.ctl("port", "del", "c4")["ok"] is True
        return port_id
    cycle()
    finish_mac_flood(start_mac_flood(c3, LEARN_PPS, pps=LEARN_PPS), timeout=30)
    wait_for(lambda: switch_stats(sw)["mac_entries"] <= 3, 10, what="the random MACs to age out")

    free = []

    def pool_full():
        mbufs = switch_stats(sw)["mbufs"]
        free.append(mbufs["free"])
        return mbufs["free"] == mbufs["pool"]

    def wait_pool_full(when):
        # A frame of the namespaces' own chatter (IPv6 ND) may be in flight for a moment.
        try:
            wait_for(pool_full, 5, what=f"the pool full {when}")
        except AssertionError as e:
            raise AssertionError(f"{e}: {free[-1]} of {switch_stats(sw)['mbufs']['pool']} free") from None
    wait_pool_full("before the load")
    start = switch_stats(sw)
    rss_start = vm_rss_kb(sw.proc.pid)
    t0 = time.monotonic()

    server = c2.popen("iperf3", "-s", "-B", c2.ip, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: ":5201" in c2.exec("ss", "-ltn", check=False).stdout, 10,
             what="iperf3 to listen in c2")
    learner = start_mac_flood(c3, int(LEARN_PPS * SOAK_S), pps=LEARN_PPS)
    pinger = c1.popen("ping", "-n", "-q", "-i", "0.02", "-W", "1", c2.ip, stdout=subprocess.PIPE,
                      stderr=subprocess.STDOUT, text=True)
    iperf = c1.popen("iperf3", "-c", c2.ip, "-b", "50M", "-t", int(SOAK_S) + 1, "-J",
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    cycles, port_ids, rss_samples = 0, set(), []
    try:
        while time.monotonic() - t0 < SOAK_S:
            port_ids.add(cycle())
            cycles += 1
            if cycles % 10 == 0:
                rss_samples.append(vm_rss_kb(sw.proc.pid))
            assert sw.proc.poll() is None, f"dpdk_switch died (exit {sw.proc.returncode})"
        during = switch_stats(sw)
        learned, _, _ = finish_mac_flood(learner, timeout=30)
        iperf_out, _ = iperf.communicate(timeout=30)
    finally:
        for p in (learner, iperf):
            if p.poll() is None:
                p.kill()
        pinger.send_signal(signal.SIGINT)
        ping_out, _ = pinger.communicate(timeout=10)
        server.terminate()
    took = time.monotonic() - t0
    assert iperf.returncode == 0, iperf_out
    mbit = jsonlib.loads(iperf_out)["end"]["sum_received"]["bits_per_second"] / 1e6

    # Traffic stopped: the random MACs age out (mac_aging_s: 2, swept once a second), every
    # mbuf comes back, and the memory is where it was.
    wait_for(lambda: switch_stats(sw)["mac_entries"] <= 3, 10, what="the random MACs to age out")
    wait_pool_full("after the load")
    end = switch_stats(sw)
    rss_end = vm_rss_kb(sw.proc.pid)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", ping_out)
    assert m, ping_out
    sent, received = int(m.group(1)), int(m.group(2))
    print(f"soak {took:.0f} s: {cycles} port add/del cycles (ethdev ids used: {sorted(port_ids)}), "
          f"{learned} frames from random MACs ({end['learned'] - start['learned']} learned, table "
          f"held {during['mac_entries']} mid-run), ping c1 -> c2 {received}/{sent}, iperf3 "
          f"{mbit:.0f} Mbit/s; RSS {rss_start} -> "
          f"{rss_end} kB (every 10 cycles: {min(rss_samples, default=rss_start)}.."
          f"{max(rss_samples, default=rss_start)} kB); mbufs {start['mbufs']} -> {end['mbufs']}; "
          f"drops {end['drops']}")

    assert cycles >= 5, cycles
    assert received >= sent * 0.99, ping_out
    assert end["learned"] - start["learned"] > learned * 0.5, (learned, start["learned"], end["learned"])
    assert rss_end - rss_start < RSS_GROWTH_LIMIT_KB, \
        f"RSS grew by {rss_end - rss_start} kB over {took:.0f} s ({cycles} port cycles)"
    assert [p["name"] for p in sw.ctl("show", "port", "info", "all")["ports"]] == ["c1", "c2", "c3"]
    c1.ping(c2.ip)
    c3.ping(c2.ip)
