"""dpdk_switch as a VTEP on a `vtap` underlay whose tap takes no UDP-tunnel GSO, as on Linux before
6.17: the switch must then complete the tunnel offloads itself, in software.

      host A: dpdk_switch (VTEP 192.168.<n>.1)                          host B: namespace mfuz<pid>hb
   a1 (ns, default offloads) ─ veth a1 ┐ VLAN 10 <-> VNI 1010       ┌ vx0 (kernel vxlan) ─ br0 ─ veth ─ b1 (ns)
                                        └ vtap up0 = tap mfuz<pid>t ─ bridge mfuz<pid>br ─ veth ══ ub

This kernel is newer, so the older tap is made honestly: the switch runs with old_tun_offload.c
preloaded, which answers EINVAL to TUNSETOFFLOAD with the tunnel bits, as an older kernel's tun
does, and passes every other call through. The switch falls back to the plain offloads
(vtap.cc's set_offloads), and B's vxlan skbs are segmented by the kernel before the tap, as an
older tap gets them. (This kernel's tap still parses a tunnel header written to it: that the switch
writes none is checked by the size of up0's frames.)

A→B: a1's 64 KB TSO segments must leave up0 encapsulated and cut to the underlay's MTU by the
switch; B→A: B's already segmented VXLAN frames decapsulated as usual. Checked by an HTTP download
each way (sha256), up0's frames all within the MTU, no TCP or UDP checksum error in b1, host B or
a1, and no offload or VXLAN drop. Checked failing locally by letting the port claim udp_tunnel_tso
whatever the kernel answered: the test stops at `show port info` listing udp_tunnel_tso; with that
check left out, at up0's frames (288 frames for 16 MB: handed whole to the tap, which this 6.18
kernel still took).
"""

import hashlib
import os
import subprocess
from pathlib import Path

import pytest

from conftest import run
from test_vxlan_vtap import VtapHostB, _a1_through_the_tap, _fetch
from vxlan_util import PY, ns_exec

PID = os.getpid() % 100000
BLOB = 16 << 20
SHIM = Path(__file__).resolve().parent / "old_tun_offload.c"


@pytest.fixture
def old_host_b():
    hb = VtapHostB(net=100 + PID % 50)
    p = f"mfuz{PID}"   # this test's names, not test_vxlan_vtap's
    hb.ns, hb.b1 = f"{p}hb", f"{p}b1"
    hb.tap, hb.br, hb.ua, hb.ub, hb.b1h = f"{p}t", f"{p}br", f"{p}ua", f"{p}ub", f"{p}bh"
    try:
        hb.up()
        yield hb
    finally:
        hb.down()


def _csum_errors(ns):
    """TCP and UDP segments `ns`'s kernel refused for a bad checksum."""
    out = ns_exec(ns, "cat", "/proc/net/snmp").stdout.splitlines()
    errors = 0
    for proto in ("Tcp:", "Udp:"):
        names, values = [l.split() for l in out if l.startswith(proto)]
        errors += int(values[names.index("InCsumErrors")])
    return errors


def test_vxlan_tcp_through_a_vtap_that_takes_no_tunnel_gso(switch, netns, old_host_b, tmp_path, monkeypatch):
    hb = old_host_b
    shim = tmp_path / "old_tun_offload.so"
    run(["cc", "-shared", "-fPIC", "-O1", "-o", str(shim), str(SHIM), "-ldl"])
    monkeypatch.setenv("LD_PRELOAD", str(shim))   # the switch, and what the test runs meanwhile
    sw, a1 = _a1_through_the_tap(switch, netns, hb)
    monkeypatch.delenv("LD_PRELOAD")
    info = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
    assert "udp_tunnel_tso" not in info["up0"].get("tx_offloads", []), info["up0"]
    assert "tso" in info["up0"].get("tx_offloads", []), info["up0"]
    assert "no UDP-tunnel GSO" in sw.log(), sw.log()

    d = tmp_path / "www"
    d.mkdir()
    blob = os.urandom(BLOB)
    (d / "blob").write_bytes(blob)
    want = hashlib.sha256(blob).hexdigest()
    del blob
    errors0 = {ns: _csum_errors(ns) for ns in (hb.b1, hb.ns, a1.name)}
    servers = []
    try:
        # A -> B: a1's TSO segments, encapsulated and cut by the switch.
        servers.append(a1.popen(PY, "-m", "http.server", "8080", "--bind", a1.ip, "--directory", str(d),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(hb.b1, f"http://{a1.ip}:8080/blob", str(tmp_path / "got-b1"), sw) == want
        after = sw.port_stats()
        a1_rx = after["a1"]["rx_bytes"] - before["a1"]["rx_bytes"]
        a1_frames = after["a1"]["rx_packets"] - before["a1"]["rx_packets"]
        assert a1_rx / a1_frames > 8000, ("a1 sent no TSO segments: nothing for the switch to cut", a1_frames, a1_rx)
        sent = after["up0"]["tx_packets"] - before["up0"]["tx_packets"]
        sent_bytes = after["up0"]["tx_bytes"] - before["up0"]["tx_bytes"]
        assert sent_bytes > BLOB and sent_bytes / sent < 1600, ("up0 sent frames past the MTU", sent, sent_bytes)

        # B -> A: B's frames come through the tap already segmented, as an older tap gets them.
        servers.append(subprocess.Popen(["ip", "netns", "exec", hb.b1, PY, "-m", "http.server", "8080", "--bind",
                                         hb.b1_ip, "--directory", str(d)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL))
        before = sw.port_stats()
        assert _fetch(a1.name, f"http://{hb.b1_ip}:8080/blob", str(tmp_path / "got-a1"), sw) == want
        after = sw.port_stats()
        got = after["up0"]["rx_packets"] - before["up0"]["rx_packets"]
        got_bytes = after["up0"]["rx_bytes"] - before["up0"]["rx_bytes"]
        assert got_bytes > BLOB and got_bytes / got < 1600, ("the tap handed over frames past the MTU", got, got_bytes)
    finally:
        for s in servers:
            s.kill()
            s.wait()
    assert {ns: _csum_errors(ns) for ns in errors0} == errors0
    stats = sw.port_stats()
    vtep = sw.ctl("show", "vxlan")["vteps"][0]
    offload_drops = {k: v for p in ("up0", "a1") for k, v in stats[p]["drops"].items() if k.startswith("offload")}
    assert vtep["drops"] == {} and offload_drops == {}, (vtep, offload_drops)
