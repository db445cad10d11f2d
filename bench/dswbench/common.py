"""What every part shares: messages (to stderr and the part's log), reading results, printing figures, the
machine's description, packages."""
import contextlib
import datetime
import json
import os
import platform
import re
import subprocess
import sys

_tees = []   # open log files that get a copy of every message (bench.sh's <part>.log)


def log(msg=""):
    print(msg, file=sys.stderr, flush=True)
    for f in _tees:
        f.write(msg + "\n")
        f.flush()


@contextlib.contextmanager
def tee(path):
    """Copies every message to PATH (appended) while the block runs."""
    with open(path, "a") as f:
        _tees.append(f)
        try:
            yield
        finally:
            _tees.remove(f)


class Fatal(Exception):
    """A part cannot go on: its message is printed, it exits 1 (after its cleanup)."""


def load(path):
    """A JSON file, or None if it is missing or broken (a part that did not run)."""
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def fmt(x, spec="%.2f"):
    return "-" if x is None else spec % x


def now_iso():
    return datetime.datetime.now().astimezone().isoformat(timespec="seconds")


def stamp():
    return datetime.datetime.now().strftime("%Y%m%d-%H%M%S")


def pkg_version(pkg):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f", "${Version}", pkg], capture_output=True,
                              text=True).stdout
    except OSError:
        return ""


def have_pkg(pkg):
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", pkg], capture_output=True, text=True).stdout
    except OSError:
        return False
    return "install ok installed" in out


def machine_meta():
    """CPU, kernel, the versions of the systems measured, host (strings, in this order)."""
    info = open("/proc/cpuinfo").read()

    def get(k):
        m = re.search(r"^%s\s*:\s*(.*)$" % k, info, re.M)
        return m[1] if m else ""
    return {"cpu_model": get("model name"), "cpu_mhz": get("cpu MHz"), "ncpu": "%d" % os.cpu_count(),
            "kernel": platform.release(), "dpdk": pkg_version("dpdk"), "ovs": pkg_version("openvswitch-switch-dpdk"),
            "iperf3": pkg_version("iperf3"), "host": platform.node()}


def apt_install(pkgs, logfile):
    """Installs PKGS quietly (waiting for another apt to finish); after an update if the first try fails."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300"]
    install = apt + ["install", "-y", "-qq", "--no-install-recommends"] + list(pkgs)
    with open(logfile, "a") as out:
        if subprocess.run(install, stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0:
            return True
        subprocess.run(apt + ["update", "-qq"], stdout=out, stderr=subprocess.STDOUT, env=env)
        return subprocess.run(install, stdout=out, stderr=subprocess.STDOUT, env=env).returncode == 0


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def write_text(path, text):
    with open(path, "w") as f:
        f.write(text)


def publish_part(results, raw, obj, text):
    """A part's end: its table printed and written (summary.txt) beside its runs (runs.json); the
    raw file its runs were appended to while they ran goes."""
    print()
    print(text, end="", flush=True)
    write_json(results / "runs.json", obj)
    write_text(results / "summary.txt", text)
    raw.unlink()


def median(vals):
    import statistics
    ok = [v for v in vals if v is not None]
    return statistics.median(ok) if ok else None


def ratio(a, b):
    return a / b if a is not None and b else None


def hugepages():
    """scripts/hugepages.sh: "huge" when 2 MiB hugepages could be reserved, else "nohuge"."""
    from . import env
    import subprocess as sp
    out = sp.run(["bash", str(env.SCRIPTS / "hugepages.sh")], capture_output=True, text=True).stdout.strip()
    return out or "nohuge"


def remove_eal_dirs(*prefixes):
    """EAL runtime dirs (empty with --in-memory) and hugepage files of these file prefixes."""
    import glob
    import shutil
    for pre in prefixes:
        shutil.rmtree("/var/run/dpdk/%s" % pre, ignore_errors=True)
        for f in glob.glob("/dev/hugepages/%smap_*" % pre):
            try:
                os.unlink(f)
            except OSError:
                pass
