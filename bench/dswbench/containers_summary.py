"""The containers part's records and table (bench_containers): one run's record from the files it left,
the medians of each path, and the ratios the issue's targets judge."""
from pathlib import Path

from .common import fmt, load, log, median, ratio
from .quiet import contended, host_contended_lines
from .traffic import ping_file, tcp_file, udp_file

MAX_RETRIES = 2         # a run that other people's work overlapped is repeated up to this often
CONTENDED_SHARE = 0.05  # ... other work using more than this share of the CPUs' time

LABELS = {
    "bridge-default": "Linux bridge (default offloads)",
    "switch-veth": "dpdk_switch, veth",
    "switch-vxlan": "dpdk_switch VTEP <-> kernel vxlan host",
    "switch-vxlan-gro": "... B's underlay with GRO on",
    "switch-vxlan-vtap": "... A's underlay a vtap (tunnel GSO)",
    "bridge": "Linux bridge (tx off)",
    "bridge-steered": "Linux bridge, rx steered",
    "xdp-redirect": "kernel XDP redirect (no lookup)",
    "testpmd-afp": "testpmd io, af_packet",
    "switch-afp": "dpdk_switch, af_packet",
    "switch-afp-sleep": "dpdk_switch, af_packet, idle_sleep",
    "switch-afp-hold": "dpdk_switch, af_packet, tx hold 50 us",
    "testpmd-xdp": "testpmd io, af_xdp",
    "switch-xdp": "dpdk_switch, af_xdp",
    "ovs-afp": "OVS-DPDK NORMAL, af_packet",
}
REFERENCE = "bridge-default"   # the table's x-bridge columns: docker0 as it comes (issue 28)
# (numerator, denominator, target for TCP or None): the ratios the table prints
RATIOS = [
    ("switch-veth", "bridge-default", 1.0),
    ("switch-vxlan", "switch-veth", 0.8),
    ("switch-vxlan-gro", "switch-veth", None),
    ("switch-vxlan-vtap", "switch-veth", 0.8),
    ("switch-veth", "switch-afp", None),
    ("switch-afp", "testpmd-afp", 0.95),
    ("switch-xdp", "bridge", 1.0),
    ("switch-xdp", "bridge-steered", None),
    ("switch-xdp", "switch-afp", None),
    ("switch-afp", "ovs-afp", None),
    ("switch-xdp", "testpmd-xdp", None),
    ("switch-xdp", "xdp-redirect", None),
    ("xdp-redirect", "bridge", None),
    ("switch-afp-sleep", "switch-afp", None),
    ("switch-afp-hold", "switch-afp", None),
]


def make_record(path, run, name, cmd, rc, err, watch, repeats, logdir):
    """One run's record from the files it left in LOGDIR, and its line on stderr."""
    logdir = Path(logdir)
    rec = dict(path=path, label=LABELS.get(path, path), run=int(run), cmd=cmd.strip(), exit_status=int(rc),
               logs="logs/%s.*" % name, repeats=int(repeats), cpu_watch=watch)
    why = contended(watch, CONTENDED_SHARE)
    if why:
        rec["contended"] = why
    if err:
        rec["error"] = err
    else:
        rec.update(ping_file(logdir / (name + ".ping.txt")))
        rec.update(tcp_file(logdir / (name + ".tcp.json")))
        if (logdir / (name + ".tcp4.json")).exists():    # the 4-stream run, on the paths that have it
            rec.update(tcp_file(logdir / (name + ".tcp4.json"), "tcp4"))
        if (logdir / (name + ".tcpr.json")).exists():    # the other direction, on the paths that have it
            rec.update(tcp_file(logdir / (name + ".tcpr.json"), "tcpr"))
        rec.update(udp_file(logdir / (name + ".udp.json")))
        try:
            rec["idle_cpu_cores"] = float((logdir / (name + ".idlecpu")).read_text())
        except (OSError, ValueError):
            pass
        stats = load(logdir / (name + ".stats.json"))
        if stats:
            rec["switch_port_stats"] = stats.get("ports")
        lcores = load(logdir / (name + ".lcores.json"))
        if lcores and lcores.get("lcores"):   # the whole run's sends, mostly UDP's
            rec["frames_per_tx_burst"] = lcores["lcores"][0].get("frames_per_tx_burst")
        tcp_stats = load(logdir / (name + ".tcp.stats.json"))
        if tcp_stats:   # after ping and TCP: frames dropped at full RX rings, all ports
            rec["tcp_ring_drops"] = sum((p.get("kernel") or {}).get("rx_ring_full", 0)
                                        + (p.get("pmd") or {}).get("imissed", 0) for p in tcp_stats.get("ports", []))
    for k in ("ping_avg_ms", "tcp_gbps", "udp_rx_pps"):
        rec.setdefault(k, None)
    f = lambda v, s: "-" if v is None else s % v
    if err:
        line = err
    else:
        retr = str(rec.get("tcp_retransmits", "-")) + dsacked(rec, "tcp")
        if path.startswith("switch-"):
            retr += ", ring drops %s" % rec.get("tcp_ring_drops", "-")
            if rec.get("frames_per_tx_burst") is not None:
                retr += ", %.1f frames a send" % rec["frames_per_tx_burst"]
        line = "ping %s ms  TCP %s Gbit/s (retr %s)" % (f(rec["ping_avg_ms"], "%.3f"), f(rec["tcp_gbps"], "%.2f"), retr)
        if "tcp4_gbps" in rec:
            line += "  TCPx4 %s Gbit/s (retr %s%s)" % (f(rec["tcp4_gbps"], "%.2f"), rec.get("tcp4_retransmits", "-"),
                                                       dsacked(rec, "tcp4"))
        if "tcpr_gbps" in rec:
            line += "  TCP rev %s Gbit/s (retr %s%s)" % (f(rec["tcpr_gbps"], "%.2f"), rec.get("tcpr_retransmits", "-"),
                                                         dsacked(rec, "tcpr"))
        line += "  UDP64 rx %s pps [sent %s]" % (f(rec["udp_rx_pps"], "%.0f"), f(rec.get("udp_tx_pps"), "%.0f"))
        for k in ("tcp_error", "tcp4_error", "udp_error"):
            if rec.get(k):
                line += "  (%s: %s)" % (k, rec[k])
        if rc != 0:
            line += "  (forwarder exit status %s)" % rc
        if why:
            line += "  (CONTENDED: %s)" % why
    log("  run %-2s %-12s %s" % (run, path, line))
    return rec


def dsacked(rec, key):
    """" (N DSACKed)" for a run line: how many of its retransmits the receiver already had (late,
    not lost); "" when not read."""
    n = rec.get(key + "_dsack_segs")
    return "" if n is None else " (%d DSACKed)" % n


def thousands(x):
    return "-" if x is None else "{:,.0f}".format(x)


def steering_line(meta):
    """The table's line on receive steering (meta "steer": afp, all, none; "1"/"0" in older runs)."""
    mode = {"1": "all", "0": "none"}.get(meta.get("steer"), meta.get("steer"))
    if mode == "afp":
        return ("containers' receive processing (rps_cpus) on CPU mask %s for the af_packet paths and "
                "bridge-steered; af_xdp paths, switch-veth and the plain bridges unsteered (--steer afp)" % meta.get("rx_cpus"))
    if mode == "all":
        return ("containers' receive processing (rps_cpus) on CPU mask %s for every path but the plain bridge "
                "(--steer all)" % meta.get("rx_cpus"))
    return "no receive steering (--steer none)"


def issue28_targets(runs, medians):
    """Issue 28's targets: dpdk_switch on the veth port (default offloads) against the Linux bridge with default
    offloads, and its UDP rate against today's af_packet port. -> [{target, value, op, limit, state, text}]"""
    sw, br, afp = medians.get("switch-veth"), medians.get(REFERENCE), medians.get("switch-afp")

    def g(m, k):
        return (m or {}).get(k)
    # "never below 0.8": the worst run, each against the bridge's run of the same round (runs are interleaved)
    by_run = {r["run"]: r.get("tcp_gbps") for r in runs if r["path"] == REFERENCE}
    paired = [ratio(r.get("tcp_gbps"), by_run.get(r["run"])) for r in runs if r["path"] == "switch-veth"]
    paired = [x for x in paired if x is not None]
    rows = [("TCP: dpdk_switch veth / Linux bridge, default offloads (median)", ratio(g(sw, "tcp_gbps"),
                                                                                     g(br, "tcp_gbps")), ">=", 1.0),
            ("TCP worst run: dpdk_switch veth / the bridge's run of that round", min(paired) if paired else None,
             ">=", 0.8),
            ("TCP 4 streams: dpdk_switch veth / Linux bridge", ratio(g(sw, "tcp4_gbps"), g(br, "tcp4_gbps")),
             ">=", 1.0),
            ("ping RTT: dpdk_switch veth / Linux bridge (lower is better)",
             ratio(g(sw, "ping_avg_ms"), g(br, "ping_avg_ms")), "<=", 1.5),
            ("UDP 64 B rx pps: dpdk_switch veth / dpdk_switch af_packet (tx off)",
             ratio(g(sw, "udp_rx_pps"), g(afp, "udp_rx_pps")), ">=", 1.0)]
    out = []
    for name, v, op, limit in rows:
        if v is None:
            state = "not measured"
        else:
            state = "met" if (v >= limit if op == ">=" else v <= limit) else "MISSED"
        out.append(dict(target=name, value=v, op=op, limit=limit, state=state,
                        text="%-68s %7s  (%s %.2f: %s)" % (name, fmt(v, "%.3f"), op, limit, state)))
    return out


def summarize(runs, meta):
    """-> (runs.json's object, summary.txt's text)"""
    paths = list(dict.fromkeys(r["path"] for r in runs))
    medians = {}
    for p in paths:
        rs = [r for r in runs if r["path"] == p]
        m = {k: median([r.get(k) for r in rs]) for k in
             ("ping_avg_ms", "tcp_gbps", "tcp_retransmits", "tcp4_gbps", "tcp4_retransmits", "tcpr_gbps",
              "tcpr_retransmits", "udp_rx_pps", "udp_tx_pps", "idle_cpu_cores", "tcp_dsack_segs",
              "tcp4_dsack_segs")}
        m["runs_tcpr_gbps"] = [r.get("tcpr_gbps") for r in rs]
        m.update(label=LABELS.get(p, p), offloads=next((r["offloads"] for r in rs if r.get("offloads")), None),
                 runs_tcp_gbps=[r.get("tcp_gbps") for r in rs], runs_tcp4_gbps=[r.get("tcp4_gbps") for r in rs],
                 runs_ping_avg_ms=[r.get("ping_avg_ms") for r in rs],
                 runs_udp_rx_pps=[r.get("udp_rx_pps") for r in rs],
                 errors=sorted({r["error"] for r in rs if r.get("error")}))
        medians[p] = m
    ref = medians.get(REFERENCE, {})
    for m in medians.values():
        m["over_bridge_default"] = {k: ratio(m[k], ref.get(k)) for k in ("tcp_gbps", "tcp4_gbps", "ping_avg_ms",
                                                                         "udp_rx_pps")}
    lines = ["Container to container (netns dswb1 -> dswb2 over veth; offl: the containers' offloads, default or "
             "tx off), median of %s run(s)" % meta.get("runs"),
             "ping -c %s -i 0.2 avg RTT; iperf3 TCP %s s receiver Gbit/s (retr: retransmits), x4: iperf3 -P 4 on "
             "the default-offload paths; iperf3 UDP -l 64 -b 0 %s s received pps"
             % (meta.get("pings"), meta.get("tcp_s"), meta.get("udp_s")),
             "iperf3 client and server on CPU 0 (taskset); DPDK forwarders busy-poll lcore 1",
             steering_line(meta),
             "xbr: the ratio to the Linux bridge with default offloads (ping: lower is better)", "",
             "%-36s %-7s %8s %5s %9s %6s %5s %9s %6s %5s %12s %12s %9s   %s" % (
                 "path", "offl", "ping ms", "xbr", "TCP Gb/s", "retr", "xbr", "x4 Gb/s", "retr", "xbr",
                 "UDP64 rx pps", "[sent pps]", "idle CPU", "TCP runs")]
    for p in paths:
        m = medians[p]
        if m["errors"] and m["tcp_gbps"] is None and m["ping_avg_ms"] is None:
            lines.append("%-36s %-7s %s" % (m["label"], m["offloads"] or "-", "; ".join(m["errors"])))
            continue
        x = m["over_bridge_default"]
        lines.append("%-36s %-7s %8s %5s %9s %6s %5s %9s %6s %5s %12s %12s %9s   %s" % (
            m["label"], m["offloads"] or "-", fmt(m["ping_avg_ms"], "%.3f"), fmt(x["ping_avg_ms"]),
            fmt(m["tcp_gbps"]), fmt(m["tcp_retransmits"], "%.0f"), fmt(x["tcp_gbps"]),
            fmt(m["tcp4_gbps"]), fmt(m["tcp4_retransmits"], "%.0f"), fmt(x["tcp4_gbps"]),
            thousands(m["udp_rx_pps"]), "-" if m["udp_tx_pps"] is None else "[%s]" % thousands(m["udp_tx_pps"]),
            fmt(m["idle_cpu_cores"], "%.2f"), " ".join(fmt(v) for v in m["runs_tcp_gbps"])))
    for p in paths:
        m = medians[p]
        if m["tcpr_gbps"] is not None:   # the two-host paths: the other direction (container 2 sends)
            lines.append("%-36s TCP rev (container 2 -> 1) %s Gbit/s, retr %s; runs %s; / switch-veth TCP %s" % (
                m["label"], fmt(m["tcpr_gbps"]), fmt(m["tcpr_retransmits"], "%.0f"),
                " ".join(fmt(v) for v in m["runs_tcpr_gbps"]),
                fmt(ratio(m["tcpr_gbps"], medians.get("switch-veth", {}).get("tcp_gbps")), "%.3f")))
    # A retransmit the receiver answers with a DSACK was of a segment it already had: reordered on the way
    # (veth's per-CPU backlogs before the switch's socket, BENCHMARKS.md), not lost.
    spurious = [p for p in paths if medians[p]["tcp_dsack_segs"] is not None and medians[p]["tcp_retransmits"]]
    if spurious:
        lines.append("retr DSACKed by the receiver (it had them: reordered, not lost), medians:")
    for p in spurious:
        m = medians[p]
        lines.append("  %-34s TCP %s of %s; x4 %s of %s" % (
            m["label"], fmt(m["tcp_dsack_segs"], "%.0f"), fmt(m["tcp_retransmits"], "%.0f"),
            fmt(m["tcp4_dsack_segs"], "%.0f"), fmt(m["tcp4_retransmits"], "%.0f")))
    ratios = []
    lines += ["", "%-60s %8s %8s %8s   %s" % ("ratio", "TCP", "UDP rx", "ping*", "target")]
    for a, b, target in RATIOS:
        if a not in medians or b not in medians:
            continue
        ma, mb = medians[a], medians[b]
        r = {k: ratio(ma[k], mb[k]) for k in ("tcp_gbps", "udp_rx_pps", "ping_avg_ms")}
        tgt = ""
        if target is not None:
            if r["tcp_gbps"] is None:
                tgt = "TCP >= %.2f: -" % target
            else:
                tgt = "TCP >= %.2f: %s" % (target, "met" if r["tcp_gbps"] >= target else "MISSED")
        if (a, b) == ("switch-xdp", "bridge") and r["ping_avg_ms"] is not None:   # the ping target
            tgt += "; ping <= bridge: %s" % ("met" if r["ping_avg_ms"] <= 1.0 else "MISSED")
        ratios.append(dict(numerator=a, denominator=b, tcp=r["tcp_gbps"], udp_rx=r["udp_rx_pps"],
                           ping=r["ping_avg_ms"], tcp_target=target, note=tgt))
        lines.append("%-60s %8s %8s %8s   %s" % ("%s / %s" % (LABELS[a], LABELS[b]), fmt(r["tcp_gbps"], "%.3f"),
                                                fmt(r["udp_rx_pps"], "%.3f"), fmt(r["ping_avg_ms"], "%.3f"), tgt))
    lines += ["* ping: ratio of avg RTTs, lower is better. idle CPU: cores the forwarder used in 2 s before any traffic.",
              "UDP64 with iperf3 pinned to one CPU is iperf3-bound: it hardly separates the paths."]
    targets = []
    if "switch-veth" in medians or REFERENCE in medians:
        targets = issue28_targets(runs, medians)
        lines += ["", "Issue 28 targets (containers with default offloads)"] + ["  " + t["text"] for t in targets]
    failed = [r for r in runs if r.get("error") or r.get("tcp_error") or r.get("tcp4_error") or r.get("udp_error")]
    if failed:
        lines += ["", "failed or skipped runs:"] + ["  %s run %s: %s" % (
            r["path"], r["run"], r.get("error") or "; ".join(
                str(r[k]) for k in ("tcp_error", "tcp4_error", "udp_error") if r.get(k))) for r in failed]
    busy = [r for r in runs if r.get("contended")]
    if busy:
        lines += ["", "contended runs (other work ran on the CPUs during them, even after %s repeats; rerun):"
                  % MAX_RETRIES] + ["  %s run %s: %s" % (r["path"], r["run"], r["contended"]) for r in busy]
    lines += host_contended_lines(runs, lambda r: "%s run %s" % (r["path"], r["run"]))
    return dict(meta=meta, medians=medians, ratios=ratios, targets=targets, runs=runs), "\n".join(lines) + "\n"
