"""Configs a careless or hostile user gives the switch (issue 26, items 4-7 and 13b): each is
refused at start with exit code 2, `dpdk_switch: <file>: <key path>: <reason>`, and quickly;
the CLI refuses what the config refuses, in the same words.

    dpdk_switch --config X          no ports, no containers: the refusal is the whole test
    dpdk_switch --config ok.yaml    one net_null port c1 (untagged), for the CLI and the
                                    file prefix cases; a second dpdk_switch started on its prefix
"""

import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from conftest import CTL_DIR, DPDK_RUNTIME_DIR, NAME_PREFIX, PID, START_TIMEOUT_S, switch_config, wait_for

# A refusal comes before EAL starts (or just after): far sooner than this. Before the fix
# /dev/zero and a FIFO never returned.
REFUSAL_TIMEOUT_S = 15


def refuse(binaries, config_path, *eal_args):
    """Runs the switch on config_path; returns (exit code, stderr). A hang fails the test."""
    args = [str(binaries.switch), *eal_args, "--", "--config", str(config_path)]
    try:
        p = subprocess.run(args, capture_output=True, text=True, timeout=REFUSAL_TIMEOUT_S,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"dpdk_switch --config {config_path} still ran after "
                             f"{REFUSAL_TIMEOUT_S} s") from None
    return p.returncode, p.stderr


def error_line(stderr):
    """The switch's own error line (EAL's log lines may come before it)."""
    lines = [l for l in stderr.splitlines() if l.startswith("dpdk_switch: ")]
    assert lines, f"no 'dpdk_switch: ' error line in:\n{stderr}"
    return lines[-1]


# --- item 4: not a regular file, too large, more entries than the tables hold ---------------------

@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "directory"])
def test_config_that_is_not_a_regular_file_is_refused(binaries, tmp_path, kind):
    path = {"/dev/zero": Path("/dev/zero"), "fifo": tmp_path / "fifo", "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(path)
    what = {"/dev/zero": "a character device", "fifo": "a FIFO", "directory": "a directory"}[kind]
    rc, err = refuse(binaries, path)
    assert rc == 2, err
    assert error_line(err) == f"dpdk_switch: {path}: is {what}, not a regular file"


def test_config_over_one_mib_is_refused(binaries, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# padding\n" * 200_000)   # 2 MB of comment
    rc, err = refuse(binaries, path)
    assert rc == 2, err
    assert error_line(err) == (f"dpdk_switch: {path}: 2000000 bytes: larger than 1048576 bytes "
                               "(1 MiB), the most a config may hold")


def test_more_arp_entries_than_the_table_holds(binaries, run_switch):
    arp = [{"ip": f"10.9.{i >> 8}.{(i & 0xff) + 1}", "mac": f"02:00:00:00:{i >> 8:02x}:{i & 0xff:02x}"}
           for i in range(1025)]
    config = switch_config(mac_table_size=1024)
    config["arp"] = arp
    r = run_switch(config)
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr) == (f"dpdk_switch: {r.config_path}: arp: 1025 entries, the ARP/ND "
                                    "table holds 1024 (switch.mac_table_size)")


# --- item 5: the CLI refuses what the config refuses, in the same words ---------------------------

BAD_STATIC_MACS = [
    ("mac add 00:00:00:00:00:00 c1", {"mac": "00:00:00:00:00:00", "port": "c1"}, "mac"),
    ("mac add 02:00:00:00:00:07 c1 vlan 10", {"mac": "02:00:00:00:00:07", "port": "c1", "vlan": 10}, "vlan"),
]
BAD_ARP = [(f"arp add {ip} 02:00:00:00:00:07", {"ip": ip, "mac": "02:00:00:00:00:07"}, "ip")
           for ip in ("0.0.0.0", "255.255.255.255", "224.0.0.1")]


def null_port(tag):
    return {"name": "c1", "type": "dpdk", "devargs": f"net_null_{tag}"}


def config_reason(run_switch, section, entry, key):
    """The reason the config gives for `entry` in `section` (its text after the key path)."""
    config = switch_config([null_port("x")])
    config[section] = [entry]
    r = run_switch(config, name=f"bad_{section}.yaml")
    assert r.returncode == 2, r.stderr
    prefix = f"dpdk_switch: {r.config_path}: {section}[0].{key}: "
    line = error_line(r.stderr)
    assert line.startswith(prefix), line
    return line[len(prefix):]


def test_cli_refuses_what_the_config_refuses(switch, run_switch, ctl_conn):
    sw = switch([null_port(f"{NAME_PREFIX}{PID}")])
    conn = ctl_conn(sw)
    for command, entry, key in BAD_STATIC_MACS:
        reply = conn.call(command)
        assert not reply["ok"], f"{command}: {reply}"
        assert reply["json"]["error"] == config_reason(run_switch, "static_macs", entry, key), command
    for command, entry, key in BAD_ARP:
        reply = conn.call(command)
        assert not reply["ok"], f"{command}: {reply}"
        assert reply["json"]["error"] == config_reason(run_switch, "arp", entry, key), command
    assert sw.ctl("show", "mac", "table")["entries"] == []
    assert sw.ctl("show", "arp", "table")["entries"] == []
    # What is valid still goes in: the port's own (untagged) VLAN, a host's address.
    assert conn.call("mac add 02:00:00:00:00:07 c1")["ok"]
    assert conn.call("arp add 10.0.0.7 02:00:00:00:00:07")["ok"]


# --- item 7: a NUL inside a string ---------------------------------------------------------------

def test_nul_in_a_config_string_is_refused(binaries, tmp_path):
    tag = f"{NAME_PREFIX}{PID}n"
    path = tmp_path / "nul.yaml"
    # YAML's "\0" escape: before, the switch started on "lo".
    path.write_text(f"eal: {{ file_prefix: {tag} }}\n"
                    f"switch: {{ ctl_socket: {CTL_DIR}/{tag}.sock }}\n"
                    'ports: [ { name: c1, type: af_packet, iface: "lo\\0zz" } ]\n')
    try:
        rc, err = refuse(binaries, path)
    finally:   # a switch that started anyway was killed: what it leaves
        (CTL_DIR / f"{tag}.sock").unlink(missing_ok=True)
        shutil.rmtree(DPDK_RUNTIME_DIR / tag, ignore_errors=True)
    assert rc == 2, err
    assert error_line(err) == f"dpdk_switch: {path}: ports[0].iface: holds a NUL byte (at offset 2): 'lo\\0zz'"


def test_nul_in_a_command_is_refused(switch, ctl_conn):
    sw = switch([null_port(f"{NAME_PREFIX}{PID}z")])
    conn = ctl_conn(sw)
    # inet_pton would read "10.0.0.8" and bind it.
    reply = conn.call("arp add 10.0.0.8\0junk 02:00:00:00:00:08")
    assert not reply["ok"], reply
    assert "NUL" in reply["json"]["error"], reply
    assert sw.ctl("show", "arp", "table")["entries"] == []


# --- item 6: what used to fail after EAL started, with exit code 1 and no key path ----------------

def test_two_ports_on_one_interface(run_switch):
    r = run_switch(switch_config([{"name": "c1", "type": "af_packet", "iface": "lo"},
                                  {"name": "c2", "type": "af_packet", "iface": "lo"}]))
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr) == (f"dpdk_switch: {r.config_path}: ports[1].iface: interface lo is "
                                    "port c1 (ports[0]) already")


def test_af_xdp_without_hugepages(binaries, run_switch, tmp_path):
    config = switch_config([{"name": "x1", "type": "af_xdp", "iface": "lo"}])
    r = run_switch(config)
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr) == (f"dpdk_switch: {r.config_path}: ports[0].type: af_xdp needs "
                                    "hugepages, and eal.no_huge is true")
    # EAL options on the command line: their --no-huge is the reason.
    rc, err = refuse(binaries, r.config_path, "-l", "0-1", "--no-huge", "-m", "512", "--no-pci",
                     "--file-prefix", config["eal"]["file_prefix"])
    assert rc == 2, err
    assert error_line(err) == (f"dpdk_switch: {r.config_path}: ports[0].type: af_xdp needs hugepages, "
                               "and EAL runs with --no-huge (command line)")


def test_devargs_driver_that_does_not_exist(run_switch):
    r = run_switch(switch_config([{"name": "g", "type": "dpdk", "devargs": "net_nope0,x=1"}]))
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr) == (f"dpdk_switch: {r.config_path}: ports[0].devargs: no DPDK driver "
                                    "for device 'net_nope0'")


def test_mbufs_past_the_limit(run_switch):
    r = run_switch(switch_config(mbufs=4000000000))
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr).startswith(f"dpdk_switch: {r.config_path}: switch.mbufs: must be at "
                                           "most 16777216")


def test_mbuf_pool_larger_than_eal_memory(run_switch):
    config = switch_config(mbufs=100000)
    config["eal"]["memory_mb"] = 256
    r = run_switch(config)
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr).startswith(f"dpdk_switch: {r.config_path}: switch.mbufs: "), r.stderr


def test_file_prefix_of_a_running_switch(switch, run_switch):
    sw = switch()
    config = switch_config(tag=f"{NAME_PREFIX}{PID}fp")
    config["eal"]["file_prefix"] = sw.prefix
    r = run_switch(config)
    assert r.returncode == 2, r.stderr
    assert error_line(r.stderr) == (f"dpdk_switch: {r.config_path}: eal.file_prefix: '{sw.prefix}' is "
                                    f"in use by a running DPDK process (pid {sw.proc.pid})")
    assert sw.proc.poll() is None, "the running switch must not be disturbed"
    # run_switch's teardown removes its configs' runtime dirs: not the running switch's.
    config["eal"]["file_prefix"] = f"{NAME_PREFIX}{PID}fp"


# --- item 13b: a config with no ports says so ----------------------------------------------------

def test_comment_only_config_says_it_has_no_ports(binaries, tmp_path):
    tag = f"{NAME_PREFIX}{PID}e"
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing here yet\n")
    sock = CTL_DIR / f"{tag}.sock"
    CTL_DIR.mkdir(parents=True, exist_ok=True)
    log = tmp_path / "empty.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(binaries.switch), "-l", "0-1", "--no-huge", "-m", "512", "--no-pci",
                                 "--file-prefix", tag, "--", "--config", str(path), "--ctl-socket", str(sock)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(lambda: sock.exists() or proc.poll() is not None, START_TIMEOUT_S, what=str(sock))
            assert proc.poll() is None, log.read_text()
            assert f"{path}: no ports configured; add them with `port add`" in log.read_text()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            sock.unlink(missing_ok=True)
            shutil.rmtree(DPDK_RUNTIME_DIR / tag, ignore_errors=True)
    assert proc.returncode == 0, log.read_text()
