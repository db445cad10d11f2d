"""A vtap (or tap) port whose interface was moved into a container's namespace and renamed eth0
there (what a container runtime does with the interface it is given) keeps its link state: the
switch asks the tap's fd where it is and what it is called now, not by the name it was made with
in its own namespace.

    namespace A (dswt<pid>m<n>)                                         container c (netns fixture)
    eth0 (was dswt<pid>t<n>) ══ vtap/tap port a ── dpdk_switch ── veth port b ── eth0
    SUBNET.9/24                                                                  SUBNET.2/24

Before, a moved tap read as down for good (SIOCGIFFLAGS by its old name in the switch's
namespace found nothing): `show port` said down and the log "port a: link down", while frames
flowed. And an interface that took its old name there (a veth here) lent it its state and its
kernel counters (`show port stats`). And `show port info` named it by its old name, in the
switch's namespace; it says its name now, and that it is in another namespace.
"""
import itertools
import os

import pytest

from conftest import NAME_PREFIX, PID, SUBNET, run, wait_for

_seq = itertools.count(1)


def link_up(sw, port):
    return sw.ctl("show", "port", "info", port)["ports"][0]["link_up"]


def info_of(sw, port):
    return sw.ctl("show", "port", "info", port)["ports"][0]


@pytest.mark.parametrize("kind", ["vtap", "tap"])
def test_tap_moved_into_a_namespace_and_renamed_reports_its_own_link_state(netns, switch, kind):
    c = netns()
    n = next(_seq)
    tap, ns = f"{NAME_PREFIX}{PID}t{n}", f"{NAME_PREFIX}{PID}m{n}"
    assert len(tap) <= 15
    ip = f"{SUBNET}.9"
    run(["ip", "netns", "add", ns])
    try:
        sw = switch([{"name": "a", "type": kind, "iface": tap}, {"name": "b", "type": "veth", "iface": c.hostif}])
        assert link_up(sw, "a")
        info = info_of(sw, "a")
        assert info["iface"] == tap and "iface_in_other_netns" not in info, info

        # The runtime's steps: into the namespace, renamed, addressed, up.
        run(["ip", "link", "set", tap, "netns", ns])
        run(["ip", "-n", ns, "link", "set", tap, "name", "eth0"])
        run(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
        run(["ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0"])
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        # Another interface takes the tap's old name in the switch's namespace, down.
        run(["ip", "link", "add", tap, "type", "veth", "peer", "name", f"{tap}p"])
        wait_for(lambda: link_up(sw, "a"), 5, what="port a up with its tap in the namespace")
        info = sw.ctl("show", "port", "info", "a")["ports"][0]
        assert info["link_up"] is True and info["type"] == kind, info
        assert "link: up" in sw.ctl("show", "port", "info", "a", json=False)
        # Named as it is called now, where it is now: not by the name it was made with (which
        # another interface has here by now).
        assert info["iface"] == "eth0" and info["iface_in_other_netns"] is True, info
        assert "iface: eth0 (in another netns)" in sw.ctl("show", "port", "info", "a", json=False)
        # Frames flow both ways through it.
        run(["ip", "netns", "exec", ns, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", c.ip], timeout=20)
        c.ping(ip)
        # Its kernel counters are not that other interface's (read by its old name, they were).
        assert "kernel" not in sw.port_stats()["a"], sw.port_stats()["a"]

        # Set down in its namespace: down on the switch, and up again.
        run(["ip", "-n", ns, "link", "set", "eth0", "down"])
        wait_for(lambda: not link_up(sw, "a"), 5, what="port a down")
        assert "link: down" in sw.ctl("show", "port", "info", "a", json=False)
        run(["ip", "-n", ns, "link", "set", "eth0", "up"])
        wait_for(lambda: link_up(sw, "a"), 5, what="port a up again")
        # The control thread saw it all: its last word on port a is "up".
        def last_link_line():
            lines = [l for l in sw.log().splitlines() if "port a: link" in l]
            return lines and "port a: link up" in lines[-1]
        wait_for(last_link_line, 5, what="the log's last link line on port a to say up")

        # Back in the switch's namespace under yet another name: that name, here.
        back = f"{tap}r"
        run(["ip", "-n", ns, "link", "set", "eth0", "down"])
        run(["ip", "-n", ns, "link", "set", "eth0", "name", back])
        run(["ip", "-n", ns, "link", "set", back, "netns", str(os.getpid())])
        info = info_of(sw, "a")
        assert info["iface"] == back and "iface_in_other_netns" not in info, info
        assert f"iface: {back}   " in sw.ctl("show", "port", "info", "a", json=False)
    finally:
        run(["ip", "link", "del", tap], check=False)
        run(["ip", "link", "del", f"{tap}r"], check=False)
        run(["ip", "netns", "del", ns], check=False)
