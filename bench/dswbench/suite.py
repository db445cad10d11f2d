"""bench: the benchmark suite of issue 6 in one command (scripts/bench.sh). dpdk_switch against the systems
people would use instead, on the same ports and traffic, in one run (see BENCHMARKS.md, bench/README.md):

  1. switching cost   build/bench/dsw_bench_switch_path (Google Benchmark): cycles/packet of the
                      switching path at 2, 2048 and 1M MACs, learning rate; 3 repetitions, medians
  2. packet rate      the pcap part (scripts/bench_pcap.sh): two net_pcap ports, 64 B frames, p2 / p1024 /
                      unknown unicast / VLANs / VXLAN; dpdk_switch vs testpmd io, testpmd mac, OVS-DPDK NORMAL
                      (and OVS-DPDK's userspace VXLAN)
  3. containers       the containers part (scripts/bench_containers.sh): two netns on veth; ping, iperf3 TCP,
                      UDP 64 B; dpdk_switch (af_packet, af_xdp) vs testpmd io (same PMDs), OVS-DPDK, Linux
                      bridge, and the kernel's XDP redirect (no lookup) as the reference for af_xdp
  4. vhost            the vhost part (scripts/bench_vhost.sh): a testpmd io peer with two virtio-user ports
                      circulating 64 B frames through the middle on vhost-user; dpdk_switch vs testpmd io

It installs what it needs (apt: dpdk, openvswitch-switch-dpdk, iperf3, python3-matplotlib, clang and the
build dependencies of scripts/install_deps.sh), builds when the binaries are missing or older than the
sources (scripts/build.sh), reserves hugepages (scripts/hugepages.sh), runs the parts with main lcore 0 and
one forwarding lcore 1, and prints one table of medians with the ratio to each peer and the targets of
issue 6. Everything lands in RESULTS (default bench/results/<timestamp>/): summary.txt, summary.json,
bench.png, gbench/, pcap/, containers/, vhost/ (each with every raw run as JSON, and logs). Ctrl-C stops
and cleans up whatever is running.

env: DSW_BUILD_DIR (default ./build; when set, the bench never builds), PYTHON (default /usr/bin/python3)
"""
import argparse
import hashlib
import os
import subprocess
import sys
import traceback
from pathlib import Path

from . import containers, env, gbench, pcap_rate, vhost
from .common import Fatal, have_pkg, hugepages, log, machine_meta, now_iso, stamp, tee, write_json, write_text
from .procs import Interrupted
from .summary import summarize

PARTS = ("gbench", "pcap", "containers", "vhost")
WANT_PKGS = ("dpdk", "iperf3", "python3-matplotlib", "openvswitch-switch-dpdk", "clang")


def parse_args(argv):
    ap = argparse.ArgumentParser(prog="scripts/bench.sh", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--runs", type=pcap_rate.positive, default=3, help="runs (repetitions) of every cell (3)")
    ap.add_argument("--quick", action="store_true", help="a smoke run: 1 run, short windows (about 5 min)")
    ap.add_argument("--only", default=",".join(PARTS), help="run only these parts: gbench,pcap,containers,vhost")
    ap.add_argument("-o", "--results")
    ap.add_argument("--no-install", action="store_true")
    ap.add_argument("--no-build", action="store_true", help="never build, use the binaries as they are")
    ap.add_argument("--force", action="store_true",
                    help="do not wait for other DPDK processes to exit (figures will suffer)")
    a = ap.parse_args(argv)
    if a.quick:
        a.runs = 1
    a.parts = [w for w in a.only.replace(",", " ").split()]
    for w in a.parts:
        if w not in PARTS:
            raise Fatal("--only wants gbench, pcap, containers, vhost")
    if os.environ.get("DSW_BUILD_DIR"):
        a.no_build = True
    return a


def install_deps(a):
    if a.no_install:
        return
    if subprocess.run(["bash", str(env.SCRIPTS / "install_deps.sh")]).returncode != 0:
        raise Fatal("scripts/install_deps.sh failed")
    missing = [p for p in WANT_PKGS if not have_pkg(p)]
    if not missing:
        return
    log("bench: installing %s (apt) ..." % " ".join(missing))
    envv = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
    subprocess.run(apt + ["update", "-qq"], env=envv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for p in missing:   # one by one: OVS failing to install must not stop the others
        if subprocess.run(apt + ["install", "-y", "-qq", "--no-install-recommends", p], env=envv,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode != 0:
            log("bench: apt-get install %s failed (its rows will be skipped)" % p)


def needs_build():
    """Binaries missing, or a source newer than the switch binary."""
    for f in (env.SWITCH_BIN, env.CTL_BIN, env.GBENCH_BIN):
        if not os.access(f, os.X_OK):
            return True
    t = env.SWITCH_BIN.stat().st_mtime
    for top in (env.ROOT / "dpdk_switch", env.ROOT / "include", env.ROOT / "bench"):
        for dirpath, _, files in os.walk(top):
            for f in files:
                if (f.endswith((".cc", ".h")) or f == "meson.build") and os.stat(os.path.join(dirpath, f)).st_mtime > t:
                    return True
    return (env.ROOT / "meson.build").stat().st_mtime > t


def build(a):
    if not a.no_build and needs_build():
        log("bench: building (scripts/build.sh) ...")
        if subprocess.run(["bash", str(env.SCRIPTS / "build.sh")]).returncode != 0:
            raise Fatal("build failed")
    if not os.access(env.SWITCH_BIN, os.X_OK):
        raise Fatal("%s is not built (scripts/build.sh)" % env.SWITCH_BIN)


def bin_id():
    """What exactly was measured: the binaries' sha256 and mtime."""
    import datetime
    out = []
    for f in (env.SWITCH_BIN, env.GBENCH_BIN):
        if f.exists():
            h = hashlib.sha256(f.read_bytes()).hexdigest()[:16]
            mt = datetime.datetime.fromtimestamp(f.stat().st_mtime).astimezone().isoformat(timespec="seconds")
            out.append("%s %s %s;" % (h, mt, f))
    return "".join(out)


def run_part(name, results, fn, *args):
    """One part, its messages also in RESULTS/<name>.log; its status (a failure does not stop the suite,
    Ctrl-C does)."""
    logf = results / ("%s.log" % name)
    with tee(logf):
        try:
            rc = fn(*args)
        except Fatal as e:
            log("bench_%s: %s" % (name, e))
            rc = 1
        except Interrupted:
            log("bench: stopped %s (it cleaned up)" % name)
            raise
        except Exception:
            log(traceback.format_exc().rstrip())
            rc = 1
    if rc:
        log("bench: %s exited with status %s (see %s)" % (name, rc, logf))
    return rc


def run(argv):
    a = parse_args(argv)
    if os.geteuid() != 0:
        raise Fatal("needs root (namespaces, hugepages, apt)")
    results = Path(a.results or env.RESULTS_BASE / stamp())
    try:
        results.mkdir(parents=True, exist_ok=True)
    except OSError:
        raise Fatal("cannot create %s" % results)
    install_deps(a)
    if subprocess.run([sys.executable, "-c", "import matplotlib"], stderr=subprocess.DEVNULL).returncode != 0:
        log("bench: %s has no matplotlib: no chart (apt install python3-matplotlib)" % sys.executable)
    build(a)
    if hugepages() != "huge":
        log("bench: no hugepages: af_xdp and OVS-DPDK rows will be skipped")
    bin_start = bin_id()
    log("bench: results in %s" % results)
    common = ["-n", str(a.runs)] + (["--no-install"] if a.no_install else []) + (["--force"] if a.force else [])
    status = {}
    if "gbench" in a.parts:
        status["gbench"] = run_part("gbench", results, gbench.run, results, a.runs, a.quick, a.force)
    for name, title, module, quick in (("pcap", "packet rate", pcap_rate, ["-w", "3", "-W", "2"]),
                                       ("containers", "containers", containers, ["-t", "2", "-u", "2", "-c", "5"]),
                                       ("vhost", "vhost", vhost, ["-w", "3", "-W", "4"])):
        if name not in a.parts:
            continue
        args = ["-o", str(results / name)] + common + (quick if a.quick else [])
        log("")
        log("== %s: scripts/bench_%s.sh %s ==" % (title, name, " ".join(args)))
        status[name] = run_part(name, results, module.run, args)

    meta = machine_meta()
    bin_end = bin_id()
    git = subprocess.run(["git", "-C", str(env.ROOT), "describe", "--always", "--dirty"], capture_output=True,
                         text=True).stdout.strip()
    meta.update(date=now_iso(), runs=str(a.runs), quick="1" if a.quick else "0", only=a.only,
                build_dir=str(env.BUILD_DIR), git=git, binaries_at_start=bin_start, binaries_at_end=bin_end)
    if bin_start != bin_end:
        log("bench: WARNING: a binary changed while the bench ran (someone rebuilt it): runs may mix two builds")
    obj, text = summarize(str(results), meta)
    write_json(results / "summary.json", obj)
    write_text(results / "summary.txt", text)
    print()
    print(text, end="", flush=True)
    with open(results / "plot.log", "w") as plog:
        ok = subprocess.run([sys.executable, "-m", "dswbench", "plot", str(results), "-o", str(results / "bench.png")],
                            stdout=plog, stderr=subprocess.STDOUT, env=dict(os.environ, PYTHONPATH=str(env.ROOT / "bench"))
                            ).returncode == 0
    log("chart: %s" % (results / "bench.png") if ok else "bench: plot_bench.py failed (see %s)" % (results / "plot.log"))
    log("table: %s   all results: %s/" % (results / "summary.txt", results))
    bad = [n for n, rc in status.items() if rc]
    if bad:
        log("bench: failed parts: %s" % " ".join(bad))
        return 1
    return 0
