"""Small helpers shared by the bench scripts' Python (bench.sh, bench_pcap.sh, bench_containers.sh,
plot_bench.py): reading a result file, printing a figure, describing the machine."""
import json
import os
import platform
import re
import subprocess


def load(path):
    """A JSON file, or None if it is missing or broken (a part that did not run)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def machine_meta():
    """key=value lines: CPU, kernel, the versions of the systems measured, host."""
    info = open("/proc/cpuinfo").read()
    get = lambda k: (re.search(r"^%s\s*:\s*(.*)$" % k, info, re.M) or [None, ""])[1]

    def ver(pkg):
        try:
            return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True,
                                  text=True).stdout
        except OSError:
            return ""
    return "\n".join(["cpu_model=" + get("model name"), "cpu_mhz=" + get("cpu MHz"), "ncpu=%d" % os.cpu_count(),
                      "kernel=" + platform.release(), "dpdk=" + ver("dpdk"), "ovs=" + ver("openvswitch-switch-dpdk"),
                      "iperf3=" + ver("iperf3"), "host=" + platform.node()])
