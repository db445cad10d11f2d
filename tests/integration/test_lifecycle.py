"""What the switch leaves and touches around its life: capture files it may not destroy, how fast
it stops, what it leaves behind after a clean exit.

    c1 (netns) ── veth ── af_packet c1 ─┐
                                        ├─ dpdk_switch ── capture c1 -> a file (or a refusal)
    c2 (netns) ── veth ── af_packet c2 ─┘
"""
import json
import os
import signal
import time

from conftest import af_packet_ports


def capture_error(sw, *args):
    """Runs a capture command that must be refused; returns its error message."""
    r = sw.ctl_raw("capture", *args)
    answer = json.loads(r.stdout)
    assert r.returncode == 1 and "error" in answer, (args, r.stdout)
    assert not sw.ctl("show", "capture")["captures"], "a refused capture must not run"
    return answer["error"]


def test_capture_refuses_an_existing_file_unless_told_to_overwrite(netns, switch, tmp_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    err = capture_error(sw, "c1", str(precious))
    assert err == f"{precious} exists (add `overwrite` to replace it)"
    assert precious.read_text() == "keep me\n"

    sw.ctl("capture", "c1", str(precious), "overwrite")
    sw.ctl("capture", "stop", "c1")
    assert precious.read_bytes()[:4] == b"\x0a\x0d\x0d\x0a", "a pcapng section header block"

    # A file the capture creates is the user's from then on: a second capture does not replace it.
    fresh = tmp_path / "fresh.pcapng"
    sw.ctl("capture", "c1", str(fresh))
    sw.ctl("capture", "stop", "c1")
    assert capture_error(sw, "c1", str(fresh)).endswith("exists (add `overwrite` to replace it)")


def test_capture_never_follows_a_symlink(netns, switch, tmp_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    target = tmp_path / "target.txt"
    target.write_text("keep me\n")
    link = tmp_path / "link.pcapng"
    link.symlink_to(target)
    dangling = tmp_path / "dangling.pcapng"
    dangling.symlink_to(tmp_path / "nowhere")
    for path, extra in ((link, []), (link, ["overwrite"]), (dangling, []), (dangling, ["overwrite"])):
        err = capture_error(sw, "c1", str(path), *extra)
        assert err == f"{path} is a symbolic link (not followed: name the file itself)", (path, extra)
    assert target.read_text() == "keep me\n"
    assert not (tmp_path / "nowhere").exists()


def test_capture_refuses_what_is_not_a_regular_file_and_says_why(netns, switch, tmp_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    # /proc/version used to answer "No such file or directory" (a stale rte_errno).
    assert capture_error(sw, "c1", "/proc/version") == "/proc/version exists (add `overwrite` to replace it)"
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in ("/dev/null", str(fifo)):
        assert capture_error(sw, "c1", path, "overwrite") == f"{path} is not a regular file", path
    # procfs calls its files regular; what it refuses is the write, and the answer says so.
    err = capture_error(sw, "c1", "/proc/version", "overwrite")
    assert err.startswith("cannot ") and "/proc/version" in err and "No such file" not in err, err
    # A missing directory is still named for what it is.
    missing = tmp_path / "no" / "x.pcapng"
    assert capture_error(sw, "c1", str(missing)) == f"cannot create {missing}: No such file or directory"
