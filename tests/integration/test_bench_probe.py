"""The benchmarks' host probe (bench/host_probe.cc, bench/dswbench/quiet.py): it must see a CPU's
time go elsewhere, since that is how a benchmark run knows its window was not its own.

Another tenant on the host cannot be made here; another process on the same CPU takes the CPU
from the probe the same way (the probe does not know who runs instead of it), so the test uses one.
"""
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PROBE = Path(os.environ.get("DSW_BUILD_DIR", REPO / "build")) / "bench" / "dsw_host_probe"
CPU = os.cpu_count() - 1   # the forwarding lcore's CPU on this 2-vCPU machine


@pytest.fixture(scope="module")
def probe():
    if not os.access(PROBE, os.X_OK):
        pytest.fail(f"{PROBE} is missing: run scripts/build.sh (or set DSW_BUILD_DIR)")
    return PROBE


def read(probe, *args):
    out = subprocess.run([str(probe), *args], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(out.stdout)


def host_contended(reading, where):
    """The bench harness's verdict on a reading (bench/dswbench/quiet.py; where: idle, or busy in a
    window): "host contended: " and why, or ""."""
    code = ("import json, sys; from dswbench.quiet import probe_contended; "
            "why = probe_contended(json.loads(sys.argv[1]), sys.argv[2] == 'idle'); "
            "print('host contended: ' + why if why else '')")
    env = dict(os.environ, PYTHONPATH=str(REPO / "bench"))
    return subprocess.run(["/usr/bin/python3", "-c", code, json.dumps(reading), where], capture_output=True, text=True,
                          timeout=30, env=env, check=True).stdout.strip()


def test_probe_reports_the_cpu_and_the_time_it_had(probe):
    one = read(probe, "--cpu", str(CPU), "--ms", "200")
    assert one["cpu"] == CPU and one["ms"] == 200 and one["spins"] == 1
    assert one["tsc_mhz"] > 100 and one["work_per_us"] > 0
    assert 0 <= one["gap_pct"] < 100 and one["gaps"] >= 0 and one["gaps_per_ms"] >= 0
    # The sample the bench takes in a window: 1-ms spins, one every 100 ms, for 1 s.
    sample = read(probe, "--cpu", str(CPU), "--ms", "1", "--every-ms", "100", "--for-s", "1")
    assert sample["cpu"] == CPU and 8 <= sample["spins"] <= 10, sample


def test_a_sample_stops_when_told_and_reports_what_it_saw(probe):
    p = subprocess.Popen([str(probe), "--cpu", str(CPU), "--every-ms", "100", "--for-s", "600"],
                         stdout=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGTERM)   # what sample_stop does at the end of a window
    out, _ = p.communicate(timeout=10)
    r = json.loads(out)
    assert p.returncode == 0 and 3 <= r["spins"] <= 10, r


def test_probe_sees_a_cpu_taken_by_another_process(probe):
    hog = subprocess.Popen(["taskset", "-c", str(CPU), "sh", "-c", "while :; do :; done"])
    try:
        shared = read(probe, "--cpu", str(CPU), "--ms", "500")
    finally:
        hog.kill()
        hog.wait()
    # The scheduler shares the CPU between the two: the probe lost a large part of its time,
    # a time slice at a time, and the bench scripts call that reading contended.
    assert shared["gap_pct"] > 30, shared
    assert shared["max_gap_us"] > 500, shared
    assert host_contended(shared, "idle").startswith(f"host contended: CPU {CPU} taken"), shared


def test_the_verdict_on_readings_of_this_host():
    # Readings as the probe printed them around and in testpmd windows of BENCHMARKS.md (2026-12-03).
    reading = lambda rate, lost: {"cpu": 1, "ms": 1, "spins": 50, "gaps_per_ms": rate, "gap_pct": lost}
    assert host_contended(reading(0.70, 2.1), "busy") == ""        # in a window at the usual rate
    assert "taken 0.78 times a ms" in host_contended(reading(0.78, 2.3), "busy")   # in a slow one
    assert host_contended(reading(0.46, 6.5), "busy") == ""        # one long gap is not a tenant
    assert host_contended(reading(0.90, 2.5), "idle") == ""        # before a window at the usual rate
    assert "taken 1.00 times a ms" in host_contended(reading(1.00, 3.0), "idle")   # before a slow one


def test_probe_refuses_bad_arguments(probe):
    for args in (["--ms", "abc"], ["--cpu"], ["--cpu", "-3"], ["--frequency", "1"], ["--every-ms", "100"], ["--for-s", "5"],
                 ["--every-ms", "10", "--ms", "10", "--for-s", "1"]):
        p = subprocess.run([str(probe), *args], capture_output=True, text=True, timeout=10)
        assert p.returncode == 2 and "usage: dsw_host_probe" in p.stderr, (args, p.stderr)
    p = subprocess.run([str(probe), "--cpu", "4095"], capture_output=True, text=True, timeout=10)
    assert p.returncode == 1 and "cannot run on CPU 4095" in p.stderr, p.stderr
