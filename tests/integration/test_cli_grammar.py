"""The CLI grammar: unique prefixes of command words over the socket, Tab completion at both
prompts (`dpdk_switch -i` and dpdk_switch_ctl's), and text that shows what the JSON has.

    dpdk_switch (2 lcores) -+- "alpha": dpdk net_null, no-rx (receives nothing, drops what it sends)
                            +- "beta":  dpdk net_null, no-rx
    prompt: a pty (python's pty module) on dpdk_switch -i, or on dpdk_switch_ctl
"""
import os
import pty
import select
import subprocess
import time

import pytest

from conftest import (CTL_DIR, Switch, START_TIMEOUT_S, switch_config, write_config)

# no-rx: a net_null port otherwise receives frames without end.
PORTS = [{"name": "alpha", "type": "dpdk", "devargs": "net_null_alpha,no-rx=1"},
         {"name": "beta", "type": "dpdk", "devargs": "net_null_beta,no-rx=1"}]


class Pty:
    """A process on a pseudo-terminal: send keys, read what the terminal shows."""

    def __init__(self, args, log=None):
        self.master, slave = pty.openpty()
        env = dict(os.environ, TERM="dumb", INPUTRC="/dev/null")
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=log or slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.seen = b""
        self.pos = 0

    def read_until(self, wanted, timeout=10):
        """Reads until `wanted` (bytes) shows after what earlier calls returned; returns the
        bytes up to and including it."""
        deadline = time.monotonic() + timeout
        while (at := self.seen.find(wanted, self.pos)) < 0:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None and not select.select([self.master], [], [], 0)[0]:
                raise AssertionError(f"never showed {wanted!r}; showed {self.seen[self.pos:]!r}")
            if select.select([self.master], [], [], min(left, 0.2))[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:   # the process closed the terminal
                    pass
        shown, self.pos = self.seen[self.pos:at + len(wanted)], at + len(wanted)
        return shown

    def send(self, keys):
        os.write(self.master, keys.encode())

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.master)


def complete_at(prompt, ports_shown_by):
    """Drives one prompt (a Pty at its first `dpdk_switch> `) through completion and prefixes."""
    # A command word: "sh" completes to "show " (nothing else starts with "sh").
    prompt.send("sh\t")
    prompt.read_until(b"show ")
    # Keywords, then a port name ("alp": no command takes a prefix of a port name; only Tab
    # makes it alpha).
    prompt.send("po\tst\talp\t\n")
    assert b"######## port alpha ########" in prompt.read_until(b"dpdk_switch> ")
    # Two Tabs list the candidates: "all" and every port.
    prompt.send("show port info \t\t")
    listed = prompt.read_until(b"beta")
    assert b"all" in listed and b"alpha" in listed, listed
    prompt.send("\x15")   # Ctrl-U: drop the line
    # The port kinds after `port add <name>`.
    prompt.send("port add gamma \t\t")
    listed = prompt.read_until(b"virtio_user")
    listed += prompt.read_until(b"dpdk_switch> port add gamma ")   # redrawn after the list
    for kind in (b"af_packet", b"af_xdp", b"tap", b"vhost", b"memif", b"dpdk"):
        assert kind in listed, listed
    prompt.send("\x15")
    # The keys of the kind chosen, each with its '=' and no space after it: "so" is socket=, and
    # the value follows at once; a key given is not offered again.
    prompt.send("port add gamma memif so\t/x ro\t")
    prompt.read_until(b"socket=/x role=")
    prompt.send("client \t\t")
    listed = prompt.read_until(b"secret=")
    listed += prompt.read_until(b"dpdk_switch> port add gamma memif socket=/x role=client ")
    words = listed.split()
    for key in (b"id=", b"secret=", b"lcore=", b"vlan="):
        assert key in words, listed
    for key in (b"socket=", b"role=", b"iface=", b"path=", b"name=", b"type=", b"storm="):
        assert key not in words, listed
    prompt.send("\x15")
    prompt.send("port add gamma tap \t\t")
    listed = prompt.read_until(b"iface=")
    listed += prompt.read_until(b"dpdk_switch> port add gamma tap ")   # redrawn after the list
    words = listed.split()
    assert b"iface=" in words and b"mtu=" in words and b"socket=" not in words, listed
    prompt.send("\x15")
    # A unique prefix runs; an ambiguous one is an error naming the candidates.
    prompt.send("s sw st\n")
    assert b"error: ambiguous 's': save, set, show" in prompt.read_until(b"(try 'help')")
    prompt.send("sh sw st\n")
    shown = prompt.read_until(b"drops:")
    assert b"static_conflicts" in shown and b"learn_port_limit" in shown, shown


def test_unique_prefixes_over_the_socket(netns, switch):
    sw = switch(PORTS)
    full = sw.ctl("show", "port", "stats", "all")
    short = sw.ctl("sh", "po", "st", "all")
    assert [p["name"] for p in short["ports"]] == [p["name"] for p in full["ports"]] == ["alpha", "beta"]
    assert set(short["ports"][0]) == set(full["ports"][0])
    assert set(sw.ctl("sh", "sw", "st")) == set(sw.ctl("show", "switch", "stats"))
    assert sw.ctl("m", "a", "02:00:00:00:00:01", "beta")["ok"] is True
    assert any(e["mac"] == "02:00:00:00:00:01" and e["port"] == "beta" for e in sw.ctl("sh", "ma", "t")["entries"])

    for words, candidates in ((["s", "port", "stats", "all"], "save, set, show"),
                              (["c", "port", "stats", "all"], "capture, clear"),
                              (["show", "port", "i"], None)):   # too few words: usage
        proc = sw.ctl_raw(*words)
        assert proc.returncode == 1, proc
        if candidates:
            assert f"ambiguous '{words[0]}': {candidates}" in proc.stdout, proc.stdout
        else:
            assert "usage: show port info all|<port>" in proc.stdout, proc.stdout
    # A prefix is unique among the words that may come there: under `show port`, "s" is stats.
    assert [p["name"] for p in sw.ctl("show", "port", "s", "all")["ports"]] == ["alpha", "beta"]
    # Arguments are never expanded: a port name must be whole.
    assert "no port named 'al'" in sw.ctl_raw("show", "port", "stats", "al").stdout


def test_text_shows_every_switch_counter(netns, switch):
    sw = switch(PORTS)
    counters = sw.ctl("show", "switch", "stats")
    text = sw.ctl("show", "switch", "stats", json=False)
    for name, value in counters.items():
        if isinstance(value, int):
            assert name in text or name in ("mac_entries", "mac_capacity", "mac_aging_s"), (name, text)
    assert "static_conflicts: " in text and "learn_port_limit: " in text, text


def test_tab_completion_at_dpdk_switch_ctl(netns, switch):
    sw = switch(PORTS)
    ctl = Pty([str(sw.bin.ctl), "--socket", str(sw.sock)])
    try:
        ctl.read_until(b"dpdk_switch> ")
        complete_at(ctl, sw)
        ctl.send("q\n")   # a prefix of quit ends dpdk_switch_ctl's prompt too
        ctl.read_until(b"bye")
        assert ctl.proc.wait(timeout=10) == 0
    finally:
        ctl.close()


def test_tab_completion_at_dpdk_switch_i(binaries, netns, tmp_path):
    CTL_DIR.mkdir(parents=True, exist_ok=True)
    config = switch_config(PORTS)
    sw = Switch(binaries, config, write_config(tmp_path, config), tmp_path / "switch.log")
    sw._log = open(sw.log_path, "w")
    prompt = Pty([str(binaries.switch), "--", "--config", str(sw.config_path), "-i"], log=sw._log)
    sw.proc = prompt.proc
    try:
        sw.wait_ready(START_TIMEOUT_S)
        prompt.read_until(b"dpdk_switch> ")
        complete_at(prompt, sw)
        prompt.send("quit\n")
        assert prompt.proc.wait(timeout=10) == 0
    finally:
        prompt.close()
        sw.cleanup()
