"""Traffic between the containers: ping and iperf3 runs, and the parsing of what they print."""
import re
import subprocess
import time

from .common import load, write_json
from .procs import Proc


def ns_cmd(ns, *cmd):
    return ["ip", "netns", "exec", ns] + [str(c) for c in cmd]


def reachable(ns, ip, tries=30):
    """Up to TRIES pings of 1 s: the first also resolves ARP (and lets a switch learn)."""
    for _ in range(tries):
        if subprocess.run(ns_cmd(ns, "ping", "-c", "1", "-W", "1", "-q", ip), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0:
            return True
    return False


def ping(ns, ip, count, out):
    """ping -c COUNT -i 0.2 -q from NS to IP, its output into the file OUT."""
    with Proc(ns_cmd(ns, "ping", "-c", count, "-i", "0.2", "-q", ip), out=out) as p:
        p.wait(None)


# The sender's counters that tell a retransmit of a lost segment from one of a segment that was only late
# (reordered on the way): the receiver already had that one and says so with a DSACK.
SENDER_COUNTERS = ("TcpRetransSegs", "TcpExtTCPDSACKRecvSegs")


def tcp_counters(ns):
    """NS's SENDER_COUNTERS, absolute (nstat -as: its history file left alone); {} if nstat fails."""
    r = subprocess.run(ns_cmd(ns, "nstat", "-asz", *SENDER_COUNTERS), capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] in SENDER_COUNTERS and f[1].isdigit():
            out[f[0]] = int(f[1])
    return out if r.returncode == 0 else {}


def iperf(kind, ns_srv, ns_cli, ip, port, secs, out, streams=1):
    """One iperf3 test (tcp, or udp -b 0 -l 64; STREAMS parallel streams, -P): server in NS_SRV, client in NS_CLI,
    both on CPU 0. The client's JSON goes to OUT (a .json path), the server's log and the client's stderr beside
    it; for TCP also what SENDER_COUNTERS of NS_CLI counted during the test (.nstat.json)."""
    extra = ["-u", "-b", "0", "-l", "64"] if kind == "udp" else []
    if streams > 1:
        extra += ["-P", streams]
    base = str(out)[:-len(".json")] if str(out).endswith(".json") else str(out)
    with Proc(ns_cmd(ns_srv, "taskset", "-c", "0", "iperf3", "-s", "-1", "-p", port),
              out=base + ".server.log", grace=2) as srv:
        for _ in range(50):
            r = subprocess.run(ns_cmd(ns_srv, "ss", "-Htln", "sport = :%s" % port), capture_output=True, text=True)
            if r.stdout.strip():
                break
            time.sleep(0.1)
        before = tcp_counters(ns_cli) if kind == "tcp" else {}
        with Proc(ns_cmd(ns_cli, "taskset", "-c", "0", "iperf3", "-c", ip, "-p", port, "-t", secs, "-J",
                         "--get-server-output", *extra), out=out, err=base + ".client.err") as cli:
            if cli.wait(secs + 30) is None:
                cli.stop()
        srv.wait(5)
        if before:
            after = tcp_counters(ns_cli)
            write_json(base + ".nstat.json", {k: after[k] - before[k] for k in before if k in after})


def parse_ping(text):
    """ping -q's summary -> ping_min/avg/max_ms, ping_sent, ping_received (what it shows)."""
    res = {}
    m = re.search(r"= ([\d.]+)/([\d.]+)/([\d.]+)/([\d.]+) ms", text)
    if m:
        res.update(ping_min_ms=float(m[1]), ping_avg_ms=float(m[2]), ping_max_ms=float(m[3]))
    m = re.search(r"(\d+) packets transmitted, (\d+) received", text)
    if m:
        res.update(ping_sent=int(m[1]), ping_received=int(m[2]))
    return res


def parse_tcp(j, key="tcp"):
    """iperf3 -J of a TCP test (one stream or the sum of -P's) -> the receiver's Gbit/s, the sender's, retransmits,
    or <key>_error; each named <KEY>_... (tcp_gbps, tcp4_gbps for the 4-stream run)."""
    if not j or "end" not in j or "sum_received" not in j.get("end", {}):
        return {key + "_error": (j or {}).get("error", "no iperf3 result")}
    e = j["end"]
    return {key + "_gbps": e["sum_received"]["bits_per_second"] / 1e9,
            key + "_sender_gbps": e["sum_sent"]["bits_per_second"] / 1e9,
            key + "_retransmits": e["sum_sent"].get("retransmits")}


def parse_udp(j):
    """iperf3 3.12 -J of a UDP test: end.sum_received is the server's view (packets = highest sequence seen,
    lost_packets = gaps), end.sum_sent the client's. Received pps = (packets - lost) / seconds."""
    e = (j or {}).get("end", {})
    recv, sent = e.get("sum_received"), e.get("sum_sent") or e.get("sum")
    if not recv or not sent or not recv.get("seconds"):
        return {"udp_error": (j or {}).get("error", "no iperf3 result")}
    rx = recv["packets"] - recv["lost_packets"]
    return {"udp_rx_pps": rx / recv["seconds"], "udp_rx_packets": rx, "udp_lost": recv["lost_packets"],
            "udp_tx_pps": sent["packets"] / sent["seconds"], "udp_tx_packets": sent["packets"]}


def ping_file(path):
    try:
        return parse_ping(open(path).read())
    except OSError:
        return {}


def tcp_file(path, key="tcp"):
    """The run's figures (parse_tcp) and, when its sender's counters were read, <key>_dsack_segs: how many of
    its retransmitted segments the receiver already had (spurious: reordered, not lost)."""
    res = parse_tcp(load(path), key)
    counters = load(str(path)[:-len(".json")] + ".nstat.json") if str(path).endswith(".json") else None
    if counters and "TcpExtTCPDSACKRecvSegs" in counters:
        res[key + "_dsack_segs"] = counters["TcpExtTCPDSACKRecvSegs"]
    return res


def udp_file(path):
    return parse_udp(load(path))

