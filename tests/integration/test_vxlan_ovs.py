"""Three VTEPs in one VNI: dpdk_switch (host A), the kernel's vxlan (host B) and OVS-DPDK's
userspace VXLAN (host C), on one underlay L2 segment (a Linux bridge in a namespace).

   host A: dpdk_switch, VTEP 192.168.<n>.1       underlay: namespace vxov-<pid>ul, bridge br0
     a1, a2 (ns) ─ af_packet, VLAN 10 <-> VNI 1010     ┌─ pa ── af_packet up0 (A, root ns)
                                                       ├─ pb ── ub 192.168.<n>.2 (B)
   host B: namespace, vx0 (kernel vxlan) ─ br0 ─ b1    └─ pc ── uc (C, OVS's up0)
   host C: namespace, ovs-vswitchd (DPDK): br-phy (up0 + LOCAL 192.168.<n>.3), br-int (vx0, vx1, c1)

Each assertion needs OVS and dpdk_switch to understand each other's VXLAN: pings between the
containers of every pair of hosts, a file fetched over TCP between A and C with its sha256, C's
container learned by dpdk_switch behind C's VTEP (and A's by OVS behind its vxlan port to A), and a
broadcast from A's container arriving exactly once in C's and B's.
"""

import hashlib
import os
import subprocess

import pytest

from conftest import free_hugepages, run, wait_for
from ovs_vtep import OVS_HUGEPAGES, OvsDpdkVtep, ovs_dpdk_missing
from vxlan_util import CONTAINER_MTU, PY, count_broadcast, ns_exec, vxlan_container

PID = os.getpid()
P = f"vxov-{PID % 100000}"
VNI = 1010
NET = 100 + PID % 50
A_IP, B_IP, C_IP = (f"192.168.{NET}.{i}" for i in (1, 2, 3))


def _container_ns(name, host_ns, host_if, ip, mac):
    """A container namespace `name` whose eth0 (ip/24, mac, the overlay's MTU, no TX checksum
    offload: the af_packet and vxlan peers take finished frames) pairs with host_if in host_ns."""
    run(["ip", "netns", "add", name])
    run(["ip", "link", "add", host_if, "netns", host_ns, "type", "veth", "peer", "name", "eth0", "netns", name])
    c = lambda *a: ns_exec(name, *a)
    c("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
    c("ip", "link", "set", "lo", "up")
    c("ip", "link", "set", "eth0", "address", mac, "mtu", str(CONTAINER_MTU))
    c("ethtool", "-K", "eth0", "tx", "off")
    c("ip", "addr", "add", f"{ip}/24", "dev", "eth0")
    c("ip", "link", "set", "eth0", "up")
    ns_exec(host_ns, "ip", "link", "set", host_if, "up")


class ThreeHosts:
    """The underlay bridge, host B (kernel vxlan) and host C (OVS-DPDK); host A is the test's
    dpdk_switch on A's underlay veth `ua` (root namespace)."""

    def __init__(self):
        self.ul, self.hb, self.hc = f"{P}ul", f"{P}hb", f"{P}hc"
        self.b1, self.c1 = f"{P}b1", f"{P}c1"
        self.ua = f"{P}ua"
        self.b1_ip, self.b1_mac = "10.77.0.99", "02:42:0a:4d:00:63"
        self.c1_ip, self.c1_mac = "10.77.0.98", "02:42:0a:4d:00:62"
        self.ovs = None

    def up(self):
        for ns in (self.ul, self.hb, self.hc):
            run(["ip", "netns", "add", ns])
            ns_exec(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1")
            ns_exec(ns, "ip", "link", "set", "lo", "up")
        u = lambda *a: ns_exec(self.ul, *a)
        u("ip", "link", "add", "br0", "type", "bridge")
        # The underlay: one veth per host, their far ends on br0.
        run(["ip", "link", "add", self.ua, "type", "veth", "peer", "name", "pa", "netns", self.ul])
        run(["sysctl", "-qw", f"net.ipv6.conf.{self.ua}.disable_ipv6=1"])
        run(["ip", "link", "set", self.ua, "up"])
        for host_ns, host_if, far in ((self.hb, "ub", "pb"), (self.hc, "uc", "pc")):
            run(["ip", "link", "add", host_if, "netns", host_ns, "type", "veth", "peer", "name", far,
                 "netns", self.ul])
            ns_exec(host_ns, "ip", "link", "set", host_if, "up")
        for dev in ("pa", "pb", "pc"):
            u("ip", "link", "set", dev, "master", "br0")
            u("ip", "link", "set", dev, "up")
        u("ip", "link", "set", "br0", "up")
        self._host_b()
        _container_ns(self.c1, self.hc, "ch", self.c1_ip, self.c1_mac)
        # OVS's af_packet port sends what the LOCAL tap's stack (ARP) and the encapsulation
        # hand it as they are; nothing on uc needs an offload turned off. Its dpdk ports keep
        # MTU 1500, so C's container has the same 1450 as the others.
        self.ovs = OvsDpdkVtep(self.hc, f"{P}o", "uc", C_IP, VNI)
        self.ovs.up("ch", [A_IP, B_IP])

    def _host_b(self):
        h = lambda *a: ns_exec(self.hb, *a)
        h("ip", "addr", "add", f"{B_IP}/24", "dev", "ub")
        # The kernel would leave the inner checksum to a NIC that a veth is not: A's af_packet
        # port and C's would get it unfinished.
        h("ethtool", "-K", "ub", "tx", "off")
        # No `remote`: two remotes, each an all-zero FDB entry (the kernel's head-end replication).
        h("ip", "link", "add", "vx0", "type", "vxlan", "id", str(VNI), "local", B_IP, "dstport", "4789",
          "dev", "ub")
        for remote in (A_IP, C_IP):
            h("bridge", "fdb", "append", "00:00:00:00:00:00", "dev", "vx0", "dst", remote)
        h("ip", "link", "add", "br0", "type", "bridge")
        h("ip", "link", "set", "vx0", "master", "br0")
        _container_ns(self.b1, self.hb, "bh", self.b1_ip, self.b1_mac)
        h("ip", "link", "set", "bh", "master", "br0")
        for dev in ("vx0", "br0"):
            h("ip", "link", "set", dev, "up")

    def down(self):
        if self.ovs is not None:
            print(f"--- ovs-vswitchd.log ---\n{self.ovs.log()}")
            self.ovs.down()
        for ns in (self.b1, self.c1, self.hb, self.hc, self.ul):
            for pid in run(["ip", "netns", "pids", ns], check=False).stdout.split():
                run(["kill", "-9", pid], check=False)
            run(["ip", "netns", "del", ns], check=False)
        run(["ip", "link", "del", self.ua], check=False)


@pytest.fixture
def hosts():
    missing = ovs_dpdk_missing()
    if missing:
        pytest.fail(missing)
    if free_hugepages() < OVS_HUGEPAGES:
        pytest.fail(f"OVS-DPDK needs {OVS_HUGEPAGES} free 2 MiB hugepages (dpdk-socket-mem), {free_hugepages()} are")
    h = ThreeHosts()
    try:
        h.up()
        yield h
    finally:
        h.down()


def _switch_a(switch, a1, a2, hosts):
    ports = [{"name": "a1", "type": "af_packet", "iface": a1.hostif, "vlan": 10},
             {"name": "a2", "type": "af_packet", "iface": a2.hostif, "vlan": 10},
             {"name": "up0", "type": "af_packet", "iface": hosts.ua}]
    vxlan = {"local_ip": A_IP, "underlay": "up0", "vni_map": [{"vlan": 10, "vni": VNI, "remotes": [B_IP, C_IP]}]}
    sw = switch(ports, idle_sleep_us=50, config_extra={"vxlan": vxlan})
    wait_for(lambda: all(v["resolved"] for v in sw.ctl("show", "vxlan")["vteps"]), 10,
             what="B's and C's VTEPs resolved by ARP")
    return sw


def _fetch(server_ns, server_ip, client_ns, tmp, name):
    """A 2 MB random file served by python's http.server in server_ns, fetched with curl in
    client_ns: (sha256 sent, sha256 received)."""
    src, dst = tmp / f"{name}-www", tmp / f"{name}-got"
    src.mkdir()
    blob = os.urandom(2_000_000)
    (src / "blob").write_bytes(blob)
    http = subprocess.Popen(["ip", "netns", "exec", server_ns, PY, "-m", "http.server", "8080", "--bind", server_ip,
                             "--directory", str(src)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: ns_exec(client_ns, "curl", "-sf", "--max-time", "20", "-o", str(dst),
                                 f"http://{server_ip}:8080/blob", check=False, timeout=30).returncode == 0,
                 45, interval=0.5, what=f"curl in {client_ns} from {server_ip}")
    finally:
        http.kill()
        http.wait()
    return hashlib.sha256(blob).hexdigest(), hashlib.sha256(dst.read_bytes()).hexdigest()


def test_three_vteps_switch_kernel_and_ovs_dpdk(switch, netns, hosts, tmp_path):
    a1, a2 = vxlan_container(netns()), vxlan_container(netns())
    sw = _switch_a(switch, a1, a2, hosts)
    c_mac = ns_exec(hosts.hc, "cat", "/sys/class/net/br-phy/address").stdout.strip()
    vteps = {v["ip"]: v for v in sw.ctl("show", "vxlan")["vteps"]}
    assert vteps[C_IP]["mac"] == c_mac, "A resolved C's VTEP to a MAC that is not OVS's br-phy"

    # The first frames to a VTEP OVS has not resolved yet are dropped while it ARPs (so may a
    # container's first ARP reply be): first contact is retried, for at most 10 s.
    wait_for(lambda: a1.ping(hosts.c1_ip, check=False).returncode == 0, 10, interval=0, what="a1 -> c1 ping")
    wait_for(lambda: ns_exec(hosts.b1, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", hosts.c1_ip,
                             check=False).returncode == 0, 10, interval=0, what="b1 -> c1 ping")
    # Every pair of hosts: A<->C, B<->C, A<->B.
    a1.ping(hosts.c1_ip)
    ns_exec(hosts.c1, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", a2.ip)
    ns_exec(hosts.b1, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", hosts.c1_ip)
    ns_exec(hosts.c1, "ping", "-n", "-c", "3", "-i", "0.2", "-W", "2", hosts.b1_ip)
    a1.ping(hosts.b1_ip)

    # dpdk_switch learned C's container behind C's VTEP; OVS learned A's behind its port to A.
    entries = {e["mac"]: e for e in sw.mac_table()}
    assert entries[hosts.c1_mac]["port"] == f"vtep:{C_IP}" and entries[hosts.c1_mac]["vlan"] == 10, entries
    assert entries[hosts.b1_mac]["port"] == f"vtep:{B_IP}", entries
    assert hosts.ovs.vxlan_port_of(a1.mac) == "vx0"
    # OVS resolved A's VTEP by ARP to the switch's underlay port (the switch's own ARP answer).
    assert hosts.ovs.neighbours().get(A_IP) == sw.ctl("show", "vxlan")["underlay_mac"], hosts.ovs.neighbours()
    assert hosts.ovs.vxlan_port_of(hosts.b1_mac) == "vx1"

    # TCP both ways between A and C, byte for byte.
    sent, got = _fetch(hosts.c1, hosts.c1_ip, a1.name, tmp_path, "c-to-a")
    assert got == sent, "the file from C's container arrived changed in A's"
    sent, got = _fetch(a2.name, a2.ip, hosts.c1, tmp_path, "a-to-c")
    assert got == sent, "the file from A's container arrived changed in C's"

    # A broadcast from A's container: once in C's, once in B's (OVS's protected vxlan ports do not
    # send it on to B), once in a2.
    counts = count_broadcast(a1.name, [hosts.c1, hosts.b1, a2.name])
    assert counts == [1, 1, 1], f"C's container, B's container, a2: {counts}"
    # And one from C's container reaches every other container once too.
    counts = count_broadcast(hosts.c1, [a1.name, a2.name, hosts.b1])
    assert counts == [1, 1, 1], f"a1, a2, B's container: {counts}"

    v = {t["ip"]: t for t in sw.ctl("show", "vxlan")["vteps"]}
    assert v[C_IP]["rx_packets"] > 1000 and v[C_IP]["tx_packets"] > 1000, v[C_IP]
    # B floods unknown unicast to A and C alike: A's copy for C's container is dropped hairpin
    # (out of one tunnel, never into another); nothing else is dropped.
    assert all(set(v[ip]["drops"]) <= {"hairpin"} for ip in (B_IP, C_IP)), v
    assert not {k: n for k, n in sw.port_stats()["up0"]["drops"].items() if k.startswith("vxlan")}
