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

import pytest

from conftest import HUGEPAGE_DIR, af_packet_ports, free_hugepages


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


def test_sigterm_stops_a_no_huge_switch_within_a_second(netns, switch):
    """The README's promise: SIGINT/SIGTERM stop the switch within one second (it was 2 s under
    --no-huge -m 512, 0.12 s on hugepages)."""
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2))
    c1.ping(c2.ip, count=2)
    t0 = time.monotonic()
    rc = sw.stop(signal.SIGTERM)
    took = time.monotonic() - t0
    print(f"SIGTERM to exit: {took:.3f} s")
    assert rc == 0, sw.log()
    assert took < 1.0, f"SIGTERM to exit took {took:.2f} s\n{sw.log()}"


def promiscuous(hostif):
    """IFF_PROMISC (0x100) in the interface's flags."""
    return int(open(f"/sys/class/net/{hostif}/flags").read(), 16) & 0x100 != 0


def test_hugepage_files_are_gone_after_a_clean_exit(netns, switch):
    """A primary on hugepages (not --in-memory) left all its map files in /dev/hugepages after
    SIGTERM (256 of them, 512 MiB for memory_mb 512), holding the pages until someone deleted them."""
    if free_hugepages() < 256:
        pytest.skip(f"needs 256 free 2 MiB hugepages, {free_hugepages()} free (scripts/hugepages.sh reserves them)")
    c1, c2 = netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2), eal={"no_huge": False})
    c1.ping(c2.ip, count=2)
    assert list(HUGEPAGE_DIR.glob(f"{sw.prefix}map_*")), "a switch on hugepages maps files there"
    assert sw.stop(signal.SIGTERM) == 0, sw.log()
    assert sorted(HUGEPAGE_DIR.glob(f"{sw.prefix}map_*")) == []


def test_af_packet_interfaces_are_not_left_promiscuous(netns, switch):
    """net_af_packet sets IFF_PROMISC on the interface and never clears it: it stayed set after
    `port del` and after exit. An interface that was promiscuous before stays so."""
    c1, c2, c3 = netns(), netns(), netns()
    os.system(f"ip link set {c3.hostif} promisc on")
    sw = switch(af_packet_ports(c1=c1, c2=c2, c3=c3))
    assert all(promiscuous(c.hostif) for c in (c1, c2, c3)), "a switch port listens to every MAC"
    c1.ping(c2.ip, count=2)
    sw.ctl("port", "del", "c1")
    assert not promiscuous(c1.hostif), "after port del"
    sw.ctl("port", "add", "c1", "af_packet", f"iface={c1.hostif}")
    assert promiscuous(c1.hostif)
    assert sw.stop(signal.SIGTERM) == 0, sw.log()
    assert not promiscuous(c1.hostif), "after exit"
    assert not promiscuous(c2.hostif), "after exit"
    assert promiscuous(c3.hostif), "promiscuous before the switch: left so"
