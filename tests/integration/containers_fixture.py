"""Containers as docker, podman or Kubernetes make them, for the offload tests (issue 28): a network
namespace whose eth0 is a veth with its **default offloads** (TX checksum offload, TSO, GSO, USO: nobody
runs ethtool in it), the veth's host end a port of the switch.

  container dswk-<pid>c<n> (netns)                           dpdk_switch
  eth0 10.77.0.N [fd00:77::N] --veth-- dswk-<pid>h<n> --- port of PORT_TYPE (veth) "<name>"

scripts/container.sh makes them; whatever offloads it leaves, `offload_netns` turns TX checksumming back
on (`ethtool -K eth0 tx on` gives back the TSO/GSO/USO that tx off took) and checks each feature. The
switch's port type is `veth` (the virtio-net header port); DSW_CONTAINER_PORT_TYPE=af_packet runs the same
tests on af_packet ports, where they must fail (what the offload port is for).

Import the fixtures into a test module: `from containers_fixture import offload_netns, offload_switch`.
"""

import itertools
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import CONTAINER_SH, Container, run

PORT_TYPE = os.environ.get("DSW_CONTAINER_PORT_TYPE", "veth")
PREFIX = "dswk-"
SUBNET6 = "fd00:77::"
# The features the kernel uses to hand a veth partial checksums and 64 KB segments. Read one by one:
# ethtool 6.1's summary line "tcp-segmentation-offload" reads "on" after tx off on kernel 6.18 (it counts
# tx-tcp-accecn-segmentation, which it does not know and which stays on).
OFFLOADS = ("tx-checksum-ip-generic", "tx-tcp-segmentation", "tx-tcp6-segmentation", "tx-udp-segmentation",
            "tx-scatter-gather", "generic-segmentation-offload")

_seq = itertools.count(1)


@dataclass
class OffloadContainer(Container):
    ip6: str = ""


def offload_features(container):
    """{feature: "on"/"off"} of OFFLOADS on the container's eth0."""
    out = container.exec("ethtool", "-k", "eth0").stdout
    got = {}
    for line in out.splitlines():
        name, _, val = line.strip().partition(": ")
        if name in OFFLOADS:
            got[name] = val.split()[0] if val else ""
    return got


def container_ports(**named):
    """container_ports(c1=c, c2=(c, 10), t=(c, [10, 20])) -> the config's ports: PORT_TYPE on each host end;
    a VLAN makes it an access port, a list a trunk."""
    ports = []
    for name, spec in named.items():
        c, vlan = spec if isinstance(spec, tuple) else (spec, None)
        p = {"name": name, "type": PORT_TYPE, "iface": c.hostif}
        if vlan is not None:
            p["trunk" if isinstance(vlan, list) else "vlan"] = vlan
        ports.append(p)
    return ports


def _sweep_stale():
    """Namespaces left by a killed run of these tests (its pid is gone)."""
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        m = re.match(rf"^({PREFIX}(\d+)c(\d+))\b", line)
        if m and not Path(f"/proc/{m.group(2)}").exists():
            run([CONTAINER_SH, "del", m.group(1), f"{PREFIX}{m.group(2)}h{m.group(3)}"], check=False)


@pytest.fixture
def offload_netns(_swept):
    """Factory: offload_netns(ipv6=False) -> OffloadContainer with default offloads, checked. With ipv6 the
    container also has fd00:77::N/64 (no DAD wait). Deleted at teardown, after its processes."""
    _sweep_stale()
    made = []

    def make(ipv6=False):
        n = next(_seq)
        name, hostif = f"{PREFIX}{os.getpid()}c{n}", f"{PREFIX}{os.getpid()}h{n}"
        assert len(hostif) <= 15, hostif
        idx = len(made) + 2
        c = OffloadContainer(name=name, hostif=hostif, ip=f"10.77.0.{idx}", mac="", ip6=f"{SUBNET6}{idx}")
        made.append(c)   # before it exists: a half-made container is deleted too
        run([CONTAINER_SH, "add", name, hostif, f"{c.ip}/24"] + ([] if ipv6 else ["--no-ipv6"]))
        c.exec("ethtool", "-K", "eth0", "tx", "on")
        got = offload_features(c)
        assert got == {k: "on" for k in OFFLOADS}, f"{name}: eth0 lacks its default offloads: {got}"
        if ipv6:
            c.exec("ip", "-6", "addr", "add", f"{c.ip6}/64", "dev", "eth0", "nodad")
        c.mac = run(["ip", "-n", name, "-br", "link", "show", "eth0"]).stdout.split()[2].lower()
        return c

    yield make
    for c in reversed(made):
        c.stop_procs()
        run([CONTAINER_SH, "del", c.name, c.hostif], check=False)


@pytest.fixture
def offload_switch(offload_netns, switch):
    """conftest's switch factory, set up after offload_netns so that the switch stops before the containers'
    interfaces go."""
    return switch
