"""Bar charts of a scripts/bench.sh results folder: one PNG with every part that ran.

usage: scripts/plot_bench.py RESULTS_DIR [-o PNG]      (default RESULTS_DIR/bench.png)
       python3 -m dswbench plot RESULTS_DIR [-o PNG]

Reads RESULTS_DIR/pcap/runs.json (scripts/bench_pcap.sh), RESULTS_DIR/containers/runs.json
(scripts/bench_containers.sh), RESULTS_DIR/vhost/runs.json (scripts/bench_vhost.sh) and
RESULTS_DIR/gbench/gbench.json (Google Benchmark); a part that is missing is left out. Bars are
medians; the thin lines on them span the runs (min to max).
"""
import argparse
import os
import statistics
import sys

import matplotlib

from .common import load

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

SWITCH = "#d62728"
COLORS = {
    "testpmd io": "#9e9e9e", "testpmd mac": "#6baed6", "ovs normal": "#ff9f40", "dpdk_switch": SWITCH,
    "bridge-default": "#1b5e20", "switch-veth": "#b71c1c", "bridge": "#2ca02c", "bridge-steered": "#98df8a", "xdp-redirect": "#1f77b4", "testpmd-afp": "#9e9e9e", "switch-afp": "#f08080",
    "testpmd-xdp": "#5f5f5f",
    "switch-xdp": SWITCH, "ovs-afp": "#ff9f40", "switch-afp-sleep": "#f4b6b6",
    "switch-afp-hold": "#c45c5c",
}
PCAP_LABELS = {"testpmd io": "testpmd io (ceiling)", "testpmd mac": "testpmd mac", "ovs normal": "OVS-DPDK NORMAL",
               "dpdk_switch": "dpdk_switch"}
PATH_LABELS = {"bridge-default": "Linux bridge\ndefault offl.", "switch-veth": "dpdk_switch\nveth, default offl.",
               "bridge": "Linux bridge\ntx off", "bridge-steered": "Linux bridge\nrx steered",
               "xdp-redirect": "kernel XDP\nredirect",
               "testpmd-afp": "testpmd io\naf_packet", "switch-afp": "dpdk_switch\naf_packet",
               "switch-afp-sleep": "dpdk_switch\naf_packet\nidle_sleep",
               "switch-afp-hold": "dpdk_switch\naf_packet\ntx hold",
               "testpmd-xdp": "testpmd io\naf_xdp", "switch-xdp": "dpdk_switch\naf_xdp", "ovs-afp": "OVS-DPDK\naf_packet"}


def spread(vals, med):
    """-> (lower, upper) error-bar lengths from the median to the min and max run"""
    ok = [v for v in vals if v is not None]
    if not ok or med is None:
        return (0, 0)
    return (med - min(ok), max(ok) - med)


def error_bars(runs, meds):
    """-> [lower, upper] error-bar lengths of bars at meds, each spanning its list of runs"""
    pairs = [spread(r, m) for r, m in zip(runs, meds)]
    return [[lo for lo, _ in pairs], [hi for _, hi in pairs]]


def label_bars(ax, bars, values, spec, above=None):
    """value labels on bars, above their error bars (above: the upper error lengths)"""
    above = above or [0] * len(values)
    for b, v, up in zip(bars, values, above):
        if v is not None:
            ax.annotate(spec % v, (b.get_x() + b.get_width() / 2, b.get_height() + up), xytext=(0, 2),
                        textcoords="offset points", ha="center", va="bottom", fontsize=7)


def plot_pcap(ax, p):
    meds = {(m["traffic"], m["system"]): m for m in p["medians"]}
    traffics = list(dict.fromkeys(m["traffic"] for m in p["medians"]))
    systems = [s for s in ("testpmd io", "testpmd mac", "ovs normal", "dpdk_switch")
               if any(s == m["system"] for m in p["medians"])]
    width = 0.8 / max(len(systems), 1)
    top = 1.0
    for i, s in enumerate(systems):
        rows = [meds.get((t, s)) for t in traffics]
        xs = [j + (i - (len(systems) - 1) / 2) * width for j in range(len(traffics))]
        vals = [m["median_mpps"] if m else None for m in rows]
        errs = error_bars([m["runs_mpps"] if m else [] for m in rows], vals)
        bars = ax.bar(xs, [v or 0 for v in vals], width, yerr=errs, color=COLORS[s], label=PCAP_LABELS[s],
                      error_kw=dict(lw=0.8, capsize=2))
        label_bars(ax, bars, vals, "%.1f", errs[1])
        top = max([top] + [(v or 0) + e for v, e in zip(vals, errs[1])])
    names = {"p2": "2 MACs", "p1024": "2048 MACs", "p2uni": "flood\n2 MACs", "p1024uni": "flood\n2048 MACs",
             "p1024vx": "VXLAN\n2048 MACs"}
    ax.set_xticks(range(len(traffics)), [names.get(t, t) for t in traffics])
    ax.set_ylabel("Mpps forwarded (64 B)")
    ax.set_title("Packet rate, one forwarding core (net_pcap x2)")
    ax.set_ylim(0, top * 1.3)
    ax.legend(fontsize=8, loc="upper center", ncol=2)


def plot_pcap_ratios(ax, p):
    meds = {(m["traffic"], m["system"]): m["median_mpps"] for m in p["medians"]}
    traffics = list(dict.fromkeys(m["traffic"] for m in p["medians"]))
    peers = [p for p in ("testpmd mac", "ovs normal") if any(p == s for _, s in meds)]
    width = 0.8 / max(len(peers), 1)
    top = 1.0
    for i, peer in enumerate(peers):
        vals = []
        for t in traffics:
            sw, pv = meds.get((t, "dpdk_switch")), meds.get((t, peer))
            vals.append(sw / pv if sw and pv else None)
        xs = [j + (i - (len(peers) - 1) / 2) * width for j in range(len(traffics))]
        bars = ax.bar(xs, [v or 0 for v in vals], width, color=COLORS[peer], label="dpdk_switch / " + PCAP_LABELS[peer])
        label_bars(ax, bars, vals, "%.2fx")
        top = max([top] + [v for v in vals if v is not None])
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_ylim(0, top * 1.3)
    names = {"p2": "2 MACs", "p1024": "2048 MACs", "p2uni": "flood\n2 MACs", "p1024uni": "flood\n2048 MACs",
             "p1024vx": "VXLAN\n2048 MACs"}
    ax.set_xticks(range(len(traffics)), [names.get(t, t) for t in traffics])
    ax.set_ylabel("ratio (> 1: dpdk_switch faster)")
    ax.set_title("Packet rate: dpdk_switch / peer (line: 1.0)")
    ax.legend(fontsize=8, loc="upper center", ncol=2)


def plot_containers(ax, c, key, scale, ylabel, title, spec):
    m = c["medians"]
    paths = [p for p in m if m[p].get(key) is not None]
    vals = [m[p][key] * scale for p in paths]
    runs_key = {"tcp_gbps": "runs_tcp_gbps", "ping_avg_ms": "runs_ping_avg_ms", "udp_rx_pps": "runs_udp_rx_pps"}[key]
    errs = error_bars([[x * scale for x in m[p].get(runs_key, []) if x is not None] for p in paths], vals)
    bars = ax.bar(range(len(paths)), vals, 0.7, yerr=errs, color=[COLORS.get(p, "#888") for p in paths],
                  error_kw=dict(lw=0.8, capsize=2))
    label_bars(ax, bars, vals, spec, errs[1])
    if len(paths) > 6:   # a full run's ten paths: labels joined onto fewer lines and slanted, or they overlap
        ax.set_xticks(range(len(paths)), [PATH_LABELS.get(p, p).replace("\n", " ", 1) for p in paths], fontsize=7,
                      rotation=30, ha="right", rotation_mode="anchor")
    else:
        ax.set_xticks(range(len(paths)), [PATH_LABELS.get(p, p) for p in paths], fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.set_ylim(0, max([v + e for v, e in zip(vals, errs[1])] or [1]) * 1.15)
    skipped = [p for p in m if m[p].get(key) is None]
    if skipped:
        ax.text(0.99, 0.97, "not run: " + ", ".join(PATH_LABELS.get(p, p).replace("\n", " ") for p in skipped),
                transform=ax.transAxes, ha="right", va="top", fontsize=7)


VHOST_LABELS = {"testpmd-io": "testpmd io", "switch": "dpdk_switch"}


def plot_vhost(ax, v):
    m = v["medians"]
    middles = [k for k in ("testpmd-io", "switch") if m.get(k, {}).get("rx_pps") is not None]
    vals = [m[k]["rx_pps"] / 1e6 for k in middles]
    errs = error_bars([[x / 1e6 for x in m[k].get("runs_rx_pps", []) if x is not None] for k in middles], vals)
    bars = ax.bar(range(len(middles)), vals, 0.6, yerr=errs,
                  color=[COLORS["testpmd io"] if k == "testpmd-io" else SWITCH for k in middles],
                  error_kw=dict(lw=0.8, capsize=2))
    label_bars(ax, bars, vals, "%.2f", errs[1])
    ax.set_xticks(range(len(middles)), [VHOST_LABELS[k] for k in middles])
    ax.set_ylabel("Mpps the virtio-user peer received")
    ratio = v.get("ratio")
    ax.set_title("vhost-user middle, 64 B%s" % ("" if ratio is None else
                                                 " (dpdk_switch / testpmd io: %.3f)" % ratio))
    ax.set_ylim(0, max([val + e for val, e in zip(vals, errs[1])] or [1]) * 1.2)


def gbench_medians(g, key):
    rows = {}
    for b in g.get("benchmarks", []):
        name = b.get("run_name") or b["name"]
        if b.get("run_type", "iteration") == "iteration" and b.get(key) is not None:
            rows.setdefault(name, []).append(b[key])
    return {n: (statistics.median(v), v) for n, v in rows.items()}


def plot_gbench(ax, g):
    # Every benchmark that reports cycles/packet, but learning (its rate is in the axis label).
    meds = {n: v for n, v in gbench_medians(g, "cycles_per_packet").items() if n not in ("BM_LearnNewMacs", "BM_HostMemoryLatency")}
    names = list(meds)
    vals = [meds[n][0] for n in names]
    errs = [[v - min(meds[n][1]) for n, v in zip(names, vals)], [max(meds[n][1]) - v for n, v in zip(names, vals)]]
    ys = range(len(names))
    bars = ax.barh(ys, vals, 0.6, xerr=errs, color=SWITCH, error_kw=dict(lw=0.8, capsize=2))
    for b, v, hi in zip(bars, vals, errs[1]):
        ax.annotate("%.1f" % v, (v + hi, b.get_y() + b.get_height() / 2), xytext=(6, 0),
                    textcoords="offset points", va="center", fontsize=8)
    ax.set_yticks(list(ys), [n.replace("BM_SwitchPath_", "").replace("BM_", "").replace("Macs", " MACs")
                             .replace("_", ", ") for n in names], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("TSC cycles per packet (lower is better)")
    ax.set_title("Switching path (bench/, Google Benchmark)")
    for x, what in ((20, "target at 2048 MACs: 20"), (50, "target at 1M MACs: 50")):
        ax.axvline(x, color="gray", ls="--", lw=0.8)
        ax.text(x, -0.55, what, fontsize=7, color="gray", ha="center", va="bottom")
    ax.set_ylim(len(names) - 0.5, -0.9)
    ax.set_xlim(0, max(vals + [55]) * 1.2)
    learn = gbench_medians(g, "new_macs_per_s").get("BM_LearnNewMacs")
    if learn:
        ax.set_xlabel("TSC cycles per packet (lower is better)\nlearning: %.1f M new MACs/s (target >= 10 M)"
                      % (learn[0] / 1e6))


def run(argv):
    ap = argparse.ArgumentParser(prog="scripts/plot_bench.py", description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("-o", "--out")
    a = ap.parse_args(argv)
    out = a.out or os.path.join(a.results, "bench.png")
    p = load(os.path.join(a.results, "pcap", "runs.json"))
    c = load(os.path.join(a.results, "containers", "runs.json"))
    g = load(os.path.join(a.results, "gbench", "gbench.json"))
    v = load(os.path.join(a.results, "vhost", "runs.json"))
    panels = []
    if p and p.get("medians"):
        panels += [lambda ax: plot_pcap(ax, p), lambda ax: plot_pcap_ratios(ax, p)]
    if g and g.get("benchmarks"):
        panels.append(lambda ax: plot_gbench(ax, g))
    if c and c.get("medians"):
        cm = c.get("meta", {})
        panels += [lambda ax: plot_containers(ax, c, "tcp_gbps", 1, "Gbit/s",
                                              "Containers: TCP (iperf3, %s s)" % cm.get("tcp_s", "?"), "%.2f"),
                   lambda ax: plot_containers(ax, c, "udp_rx_pps", 1e-3, "k packets/s received",
                                              "Containers: UDP 64 B (iperf3 -b 0, %s s)" % cm.get("udp_s", "?"), "%.0f"),
                   lambda ax: plot_containers(ax, c, "ping_avg_ms", 1e3, "microseconds (lower is better)",
                                              "Containers: ping RTT (avg)", "%.0f")]
    if v and v.get("medians"):
        panels.append(lambda ax: plot_vhost(ax, v))
    if not panels:
        sys.exit("plot_bench: nothing to plot in %s" % a.results)
    cols = 3 if len(panels) > 2 else len(panels)
    rows = (len(panels) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.6 * rows), squeeze=False)
    for ax, draw in zip(axes.flat, panels):
        draw(ax)
        ax.grid(axis="y" if ax.get_title() and "Switching" not in ax.get_title() else "x", alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    # The machine, from a part's runs, or from bench.sh's summary when only the gbench part ran.
    meta = (p or c or {}).get("meta") or (load(os.path.join(a.results, "summary.json")) or {}).get("meta", {})
    ctx = (g or {}).get("context", {})
    # One or two panels are too narrow for the title on one line.
    fig.suptitle("dpdk_switch vs. peers: %s, %s vCPUs,%skernel %s, DPDK %s; medians, bars span the runs" % (
        meta.get("cpu_model") or "?", ctx.get("num_cpus") or os.cpu_count(), " " if cols > 2 else "\n",
        meta.get("kernel", "?"), meta.get("dpdk", "?")), fontsize=11 if cols > 2 else 9)
    fig.tight_layout(rect=(0, 0, 1, 0.96 if cols > 2 else 0.92))
    fig.savefig(out, dpi=110)
    print(out)
    return 0
