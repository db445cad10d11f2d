"""The control socket against a careless or hostile user: what sits at its path is never
replaced unless it is a stale socket, idle clients cannot lock the others out, and a refused
client is told why.

    dpdk_switch (no ports) ── control socket ──┬── raw clients (CtlConn)
                                               └── dpdk_switch_ctl (as root, or as nobody)
"""

import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import DPDK_RUNTIME_DIR, NAME_PREFIX, PID, run_to_exit, switch_config, write_config

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@pytest.fixture
def short_dir():
    """A directory with a short path (a unix socket path has at most 107 bytes; tmp_path's are
    long), world-traversable for the test run as nobody; removed at teardown."""
    d = Path(tempfile.mkdtemp(prefix=f"{NAME_PREFIX}{PID}"))
    d.chmod(0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def refused(binaries, tmp_path):
    """refused(config, *options) -> CompletedProcess of a switch expected to exit by itself
    (before EAL: the test fails if it is still running after START_TIMEOUT_S)."""
    prefixes = []

    def start(config, *options):
        prefixes.append(config["eal"]["file_prefix"])
        path = write_config(tmp_path, config, f"bad{len(prefixes)}.yaml")
        args = [binaries.switch, "--", "--config", path, *options]
        result = run_to_exit(args, f"({' '.join(map(str, args))})")
        result.config_path = path
        return result

    yield start
    for prefix in prefixes:
        shutil.rmtree(DPDK_RUNTIME_DIR / prefix, ignore_errors=True)


# --- 1. what sits at the socket's path --------------------------------------------------------------

PRECIOUS = "precious data, not a socket\n"


def make_regular_file(d):
    p = d / "precious.txt"
    p.write_text(PRECIOUS)
    return p


def make_directory(d):
    p = d / "adir"
    p.mkdir()
    (p / "inside.txt").write_text(PRECIOUS)
    return p


def make_symlink(d):
    target = make_regular_file(d)
    p = d / "link.sock"
    p.symlink_to(target)
    return p


def make_fifo(d):
    p = d / "fifo.sock"
    os.mkfifo(p)
    return p


def describe(p):
    """What is at p, as a test compares before and after: kind, and content where it has one."""
    st = p.lstat()
    if stat.S_ISLNK(st.st_mode):
        return ("symlink", os.readlink(p), p.resolve().read_text())
    if stat.S_ISDIR(st.st_mode):
        return ("dir", sorted((c.name, c.read_text()) for c in p.iterdir()))
    if stat.S_ISFIFO(st.st_mode):
        return ("fifo", st.st_ino)
    return ("file", st.st_ino, p.read_text())


@pytest.mark.parametrize("origin", ["config", "option"])
@pytest.mark.parametrize("make,reason", [
    (make_regular_file, "is a regular file, not a socket"),
    (make_directory, "is a directory"),
    (make_symlink, "is a symbolic link, not a socket"),
    (make_fifo, "is a FIFO, not a socket"),
], ids=["file", "directory", "symlink", "fifo"])
def test_what_is_at_the_socket_path_is_never_replaced(refused, short_dir, origin, make, reason):
    """switch.ctl_socket or --ctl-socket naming a user's file, a directory, a symlink or a fifo:
    exit 2 before EAL with the key (or option) and what is there; the thing is untouched."""
    path = make(short_dir)
    before = describe(path)
    config = switch_config()
    if origin == "config":
        config["switch"]["ctl_socket"] = str(path)
        proc = refused(config)
        where = f"{proc.config_path}: switch.ctl_socket: {path} "
    else:
        proc = refused(config, "--ctl-socket", path)
        where = f"--ctl-socket: {path} "
    print(f"{origin}, {before[0]}: exit {proc.returncode}: {proc.stderr.strip()}")
    assert describe(path) == before, f"{path} was changed: {before} -> {describe(path)}"
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert f"dpdk_switch: {where}{reason}" in proc.stderr, proc.stderr
    assert "EAL:" not in proc.stdout + proc.stderr, "refused only after EAL started"


def test_a_stale_socket_is_replaced_and_removed_at_exit(switch, short_dir):
    """A socket file nobody listens on (left by a killed switch) is taken over; at exit the
    switch removes it."""
    path = short_dir / "stale.sock"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    assert path.is_socket()
    sw = switch(ctl_socket=str(path))
    assert sw.ctl("show", "switch", "stats")["mac_entries"] == 0
    assert sw.stop() == 0
    assert not path.exists(), "the switch left its socket behind"


def test_a_running_switch_socket_is_refused(switch, refused):
    """A second switch on the first one's socket exits 2 before EAL; the first keeps answering."""
    first = switch()
    config = switch_config()
    config["switch"]["ctl_socket"] = str(first.sock)
    proc = refused(config)
    print(f"exit {proc.returncode}: {proc.stderr.strip()}")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert (f"{proc.config_path}: switch.ctl_socket: control socket {first.sock} is in use by "
            f"another switch") in proc.stderr, proc.stderr
    assert "EAL:" not in proc.stdout + proc.stderr
    assert first.ctl("show", "switch", "stats")["mac_entries"] == 0


def test_a_file_put_in_place_of_the_socket_survives_the_exit(switch):
    """Someone removes the running switch's socket and puts a file there: the switch, when it
    stops, removes only the socket it bound, not the file."""
    sw = switch()
    sw.sock.unlink()
    sw.sock.write_text(PRECIOUS)
    try:
        assert sw.stop() == 0
        assert sw.sock.read_text() == PRECIOUS, "the switch removed a file that is not its socket"
    finally:
        sw.sock.unlink(missing_ok=True)


# --- 2. idle clients --------------------------------------------------------------------------------

def test_idle_clients_do_not_lock_out_a_new_one(switch, ctl_conn):
    """16 clients (the limit) that each asked once and stay idle: dpdk_switch_ctl still gets
    its answer; the client idle the longest makes room and is told why, the others stay."""
    sw = switch()
    idle = [ctl_conn(sw) for _ in range(16)]
    for c in idle:   # each answered: accepted and in the table, idle in this order
        assert c.call("show switch stats")["ok"] is True
    for n in range(3):
        proc = sw.ctl_raw("show", "switch", "stats")
        print(f"new client {n + 1} with 16 idle ones: exit {proc.returncode} {proc.stderr.strip()}")
        assert proc.returncode == 0, proc.stderr
    assert idle[0].closed_by_peer(timeout=5), "the client idle the longest is still connected"
    notice = idle[0].read_line()
    print(f"the client idle the longest was told: {notice}")
    assert notice["ok"] is False and "idle the longest" in notice["json"]["error"], notice
    assert idle[-1].call("show switch stats")["ok"] is True


def test_an_idle_client_is_closed_after_the_timeout(switch, ctl_conn, monkeypatch):
    """With the idle timeout at 1 s: a client that stops asking is closed and told why; one that
    keeps asking (every 0.2 s for 3 s) stays; dpdk_switch_ctl's monitor, which sleeps longer
    than that between its commands, reconnects by itself."""
    monkeypatch.setenv("DSW_CTL_IDLE_TIMEOUT_S", "1")
    sw = switch()
    quiet, busy = ctl_conn(sw), ctl_conn(sw)
    assert quiet.call("show switch stats")["ok"] is True
    t0 = time.monotonic()
    while time.monotonic() - t0 < 3:
        assert busy.call("show switch stats")["ok"] is True
        time.sleep(0.2)
    assert quiet.closed_by_peer(timeout=10), "an idle client is still connected"
    notice = quiet.read_line()
    print(f"the idle client was told: {notice}")
    assert notice["ok"] is False and "without a command" in notice["json"]["error"], notice
    proc = sw.ctl_raw("monitor", "2", "count", "2", json=False, timeout=30)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("RX-pps") == 2, proc.stdout


# --- 3. a client that is not root ---------------------------------------------------------------------

@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_non_root_client_is_told_why(binaries, switch, short_dir, as_json):
    """dpdk_switch_ctl run as nobody, past the file mode (the socket made 0666): exit 1 with the
    switch's reason, not "send: Broken pipe"."""
    sw = switch(ctl_socket=str(short_dir / "ctl.sock"))
    sw.sock.chmod(0o666)
    args = [*NOBODY, binaries.ctl, "--socket", sw.sock] + (["--json"] if as_json else [])
    proc = subprocess.run([str(a) for a in args + ["show", "switch", "stats"]],
                          capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
    print(f"as nobody: exit {proc.returncode} stdout {proc.stdout.strip()!r} stderr {proc.stderr.strip()!r}")
    assert proc.returncode == 1
    reason = "permission denied: only root (uid 0) may drive the switch"
    if as_json:
        assert f'{{"error":"{reason}"}}' in proc.stdout, proc.stdout
    else:
        assert f"error: {reason}" in proc.stderr, proc.stderr
    assert "Broken pipe" not in proc.stderr
    assert sw.ctl("show", "switch", "stats")["mac_entries"] == 0
