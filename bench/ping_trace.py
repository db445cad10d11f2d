#!/usr/bin/python3
"""Where a ping's round trip goes, from an ftrace log of bench/ping_probe.sh's *-trace variants.

Events (trace_clock mono, one instance): net:net_dev_xmit, net:netif_rx, net:netif_receive_skb and
net:napi_gro_receive_entry of packets under 200 bytes, the switch worker's recvmmsg returning frames
and its sendmmsg calls, ping's wakeups. A cycle starts after 2 ms without an event (pings are sent
10 ms apart); the cycles whose event sequence is the most common one are kept, and each step's
median time from the previous event is printed, with the task that ran it and its CPU.

    ping_trace.py TRACE_FILE
"""
import collections
import re
import statistics
import sys

LINE = re.compile(r"^\s*(?P<task>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\].*?\s(?P<ts>\d+\.\d+): (?P<ev>\w+): (?P<rest>.*)$")


def events(path):
    for line in open(path):
        m = LINE.match(line)
        if not m:
            continue
        ev, rest = m["ev"], m["rest"]
        dev = re.search(r"dev=(\S+)", rest)
        if ev.startswith("sys_exit_recvmmsg"):
            name = "recvmmsg ret"
        elif ev.startswith("sys_enter_sendmmsg"):
            name = "sendmmsg enter"
        elif ev.startswith("sys_exit_sendmmsg"):
            name = "sendmmsg exit"
        else:
            name = "%s %s" % (ev, dev[1] if dev else "?")
        yield float(m["ts"]) * 1e6, name, m["task"].strip(), int(m["cpu"])


def main():
    cycles, cur, last = [], None, None
    for ts, name, task, cpu in events(sys.argv[1]):
        if last is None or ts - last > 2000:
            if cur:
                cycles.append(cur)
            cur = []
        last = ts
        cur.append((ts, name, task, cpu))
    if cur:
        cycles.append(cur)
    if not cycles:
        print("ping_trace: no cycle found")
        return 1
    sigs = collections.Counter(tuple(e[1] for e in c) for c in cycles)
    sig, n = sigs.most_common(1)[0]
    kept = [c for c in cycles if tuple(e[1] for e in c) == sig]
    print("%d cycles, %d of the most common sequence (%d events)" % (len(cycles), n, len(sig)))
    total = 0.0
    for i, name in enumerate(sig):
        if i == 0:
            print("  %-40s %8s  %s" % (name, "start", "%s/cpu%d" % (kept[0][0][2], kept[0][0][3])))
            continue
        d = statistics.median(c[i][0] - c[i - 1][0] for c in kept)
        total += d
        tasks = collections.Counter("%s/cpu%d" % (c[i][2], c[i][3]) for c in kept).most_common(1)[0][0]
        print("  %-40s %+8.1f us  (%s)" % (name, d, tasks))
    span = statistics.median(c[-1][0] - c[0][0] for c in kept)
    print("  median first to last event: %.1f us" % span)
    return 0


if __name__ == "__main__":
    sys.exit(main())
