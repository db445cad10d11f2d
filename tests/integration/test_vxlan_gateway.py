"""A remote VTEP off the underlay's link, reached through a router: the switch ARPs for its
gateway, sends the tunnel to the gateway's MAC, and follows the gateway when it moves.

      host A: dpdk_switch (VTEP 192.168.<n>.1/24,                router: namespace dswx-<pid>rt,
              gateway 192.168.<n>.254)                           ip_forward on
   a1 (ns) ─ veth ─ af_packet a1 ┐
   a2 (ns) ─ veth ─ af_packet a2 ┼ VLAN 10 <-> VNI 1010
                                 └ af_packet up0 ── veth ── ra 192.168.<n>.254/24
                                                            rb 192.168.<m>.254/24 ── veth ── ub 192.168.<m>.2/24
                                                                                            host B: dswx-<pid>hb
   vx0 (kernel vxlan, VNI 1010, local 192.168.<m>.2, remote 192.168.<n>.1) ─ br0 ─ veth ─ b1 (ns) 10.77.0.99

A second remote, 192.168.<n>.3, is on A's link and answers nobody: it is ARPed for itself (never
given the gateway's MAC). Also the config's gateway refusals, each naming its key.
"""

import os

from conftest import run, switch_config, wait_for
from vxlan_util import B1_IP, B1_MAC, del_namespaces, kernel_vtep
from vxlan_util import ns_exec as _ns, vxlan_container as _container

PID = os.getpid()
VNI = 1010


class RoutedHostB:
    """A router namespace between A's underlay and host B's subnet; host B with a kernel vxlan on
    a Linux bridge and a container b1 behind it."""

    def __init__(self):
        p = f"dswx-{PID % 100000}"
        self.rt, self.hb, self.b1 = f"{p}rt", f"{p}hb", f"{p}b1"
        self.ua, self.ra, self.rb, self.ub, self.b1h = f"{p}ua", f"{p}ra", f"{p}rb", f"{p}ub", f"{p}bh"
        n, m = 100 + PID % 50, 50 + PID % 50
        self.a_ip, self.gw_a, self.on_link = f"192.168.{n}.1", f"192.168.{n}.254", f"192.168.{n}.3"
        self.b_ip, self.gw_b = f"192.168.{m}.2", f"192.168.{m}.254"
        self.b1_ip, self.b1_mac = B1_IP, B1_MAC

    def up(self):
        for ns in (self.rt, self.hb, self.b1):
            run(["ip", "netns", "add", ns])
            _ns(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            _ns(ns, "ip", "link", "set", "lo", "up")
        run(["ip", "link", "add", self.ua, "type", "veth", "peer", "name", self.ra, "netns", self.rt])
        run(["sysctl", "-qw", f"net.ipv6.conf.{self.ua}.disable_ipv6=1"])
        run(["ip", "link", "set", self.ua, "up"])
        r = lambda *a: _ns(self.rt, *a)
        r("ip", "link", "add", self.rb, "type", "veth", "peer", "name", self.ub, "netns", self.hb)
        r("sysctl", "-qw", "net.ipv4.ip_forward=1")
        # A gateway that changes its MAC says so (gratuitous ARP), as a VRRP router taking over.
        r("sysctl", "-qw", f"net.ipv4.conf.{self.ra}.arp_notify=1")
        r("ip", "addr", "add", f"{self.gw_a}/24", "dev", self.ra)
        r("ip", "addr", "add", f"{self.gw_b}/24", "dev", self.rb)
        for dev in (self.ra, self.rb):
            r("ip", "link", "set", dev, "up")
        h = lambda *a: _ns(self.hb, *a)
        h("ip", "addr", "add", f"{self.b_ip}/24", "dev", self.ub)
        h("ip", "link", "set", self.ub, "up")
        h("ip", "route", "add", "default", "via", self.gw_b)
        h("ethtool", "-K", self.ub, "tx", "off")   # else the inner checksums arrive unfinished
        kernel_vtep(self.hb, self.b1, self.b1h, self.ub, VNI, self.b_ip, self.a_ip)

    def gateway_mac(self):
        return _ns(self.rt, "cat", f"/sys/class/net/{self.ra}/address").stdout.strip()

    def down(self):
        del_namespaces(self.b1, self.hb, self.rt)
        run(["ip", "link", "del", self.ua], check=False)


def test_vtep_behind_a_router(switch, netns):
    hb = RoutedHostB()
    try:
        hb.up()
        a1, a2 = _container(netns()), _container(netns())
        ports = [{"name": "a1", "type": "af_packet", "iface": a1.hostif, "vlan": 10},
                 {"name": "a2", "type": "af_packet", "iface": a2.hostif, "vlan": 10},
                 {"name": "up0", "type": "af_packet", "iface": hb.ua}]
        vxlan = {"local_ip": f"{hb.a_ip}/24", "gateway": hb.gw_a, "underlay": "up0",
                 "vni_map": [{"vlan": 10, "vni": VNI, "remotes": [hb.b_ip, hb.on_link]}]}
        sw = switch(ports, idle_sleep_us=50, config_extra={"vxlan": vxlan})
        gw_mac = hb.gateway_mac()
        v = wait_for(lambda: (lambda v: v["gateway"]["resolved"] and v)(sw.ctl("show", "vxlan")), 10,
                     what="the gateway resolved by ARP")
        assert v["link"] == f"{hb.a_ip.rsplit('.', 1)[0]}.0/24"
        assert v["gateway"] == {"ip": hb.gw_a, "resolved": True, "mac": gw_mac, "vteps": 1}
        vteps = {t["ip"]: t for t in v["vteps"]}
        assert (vteps[hb.b_ip]["via_gateway"], vteps[hb.b_ip]["mac"]) == (True, gw_mac)
        assert (vteps[hb.on_link]["via_gateway"], vteps[hb.on_link]["resolved"]) == (False, False)
        text = sw.ctl("show", "vxlan", json=False)
        assert f"gateway {hb.gw_a} ({gw_mac}) for 1 remote VTEP(s)" in text, text
        assert f"remote {hb.b_ip} ({gw_mac}) via the gateway" in text, text

        a1.ping(hb.b1_ip)
        _ns(hb.b1, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", a2.ip, timeout=30)
        entries = {e["mac"]: e for e in sw.mac_table()}
        assert entries[hb.b1_mac]["port"] == f"vtep:{hb.b_ip}"

        # A VTEP added at run time behind the gateway has the gateway's binding at once.
        sw.ctl("vxlan", "vtep", "add", "172.20.0.9")
        added = {t["ip"]: t for t in sw.ctl("show", "vxlan")["vteps"]}["172.20.0.9"]
        assert (added["via_gateway"], added["resolved"], added["mac"]) == (True, True, gw_mac)

        # The gateway moves: its gratuitous ARP moves B's entry with it, long before the 30 s
        # refresh would, and the tunnel goes on.
        moved = "02:5e:00:00:00:fe"
        _ns(hb.rt, "ip", "link", "set", hb.ra, "address", moved)
        wait_for(lambda: {t["ip"]: t["mac"] for t in sw.ctl("show", "vxlan")["vteps"]}
                 == {hb.b_ip: moved, "172.20.0.9": moved, hb.on_link: None}, 5, what="the gateway's new MAC")
        a1.ping(hb.b1_ip)
        assert {t["ip"]: t for t in sw.ctl("show", "vxlan")["vteps"]}[hb.b_ip]["drops"] == {}
    finally:
        hb.down()


def _refusal(run_switch, vxlan):
    config = switch_config([{"name": "up0", "type": "dpdk", "devargs": f"net_null{PID % 1000}"}])
    config["vxlan"] = {"underlay": "up0", **vxlan}
    r = run_switch(config, name="bad_vxlan.yaml")
    assert r.returncode == 2, r.stderr
    lines = [l for l in r.stderr.splitlines() if l.startswith("dpdk_switch: ")]
    assert lines, r.stderr
    return lines[-1].removeprefix(f"dpdk_switch: {r.config_path}: ")


def test_gateway_refusals_name_their_key(run_switch):
    assert _refusal(run_switch, {"local_ip": "192.168.7.1/24", "gateway": "192.168.8.1"}) == (
        "vxlan.gateway: 192.168.8.1 is outside the underlay's link 192.168.7.0/24 (vxlan.local_ip): "
        "a gateway must be on it")
    assert _refusal(run_switch, {"local_ip": "192.168.7.1/24", "gateway": "192.168.7.300"}).startswith(
        "vxlan.gateway: ")
    assert _refusal(run_switch, {"local_ip": "192.168.7.1/40", "gateway": "192.168.7.254"}) == (
        "vxlan.local_ip: '192.168.7.1/40': the prefix length after '/' must be 0-32")
    assert _refusal(run_switch, {"local_ip": "192.168.7.1", "gateway": "192.168.7.254"}).startswith(
        "vxlan.gateway: vxlan.local_ip has no prefix")
    assert _refusal(run_switch, {"local_ip": "192.168.7.1/24",
                                 "vni_map": [{"vlan": 10, "vni": 1, "remotes": ["10.1.1.1"]}]}) == (
        "vxlan.vni_map[0].remotes[0]: 10.1.1.1 is outside the underlay's link 192.168.7.0/24 (vxlan.local_ip) "
        "and there is no vxlan.gateway to reach it by")
