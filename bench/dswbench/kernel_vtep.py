"""Host B of the switch-vxlan path: a namespace with the kernel's vxlan on a Linux bridge, container 2's
host end moved behind that bridge, and a veth underlay to dpdk_switch (host A, the VTEP its `type: veth`
port up0 sits on). Default offloads everywhere, as a kernel host comes. The underlay's MTU is 1550 so
that the containers keep their 1500 (VXLAN adds 50). Restores container 2's host end to the root
namespace on exit. gro: `ethtool -K <B's underlay> gro on` (the switch-vxlan-gro path). vtap: the switch's
underlay is a `vtap` port instead, a tap it makes (UT), which attach_tap() puts in a Linux bridge (UBR) with
UA once the switch runs (the switch-vxlan-vtap path)."""
import subprocess

from .common import log
from .procs import quiet_run

HB = "dswbhb"                    # the namespace
UA, UB = "dswbua", "dswbub"      # the underlay: UA in the root namespace (the switch's port), UB in HB
A_IP, B_IP = "192.168.77.1", "192.168.77.2"
VNI = 1010
UNDERLAY_MTU = 1550
UT, UBR = "dswbut", "dswbubr"    # vtap: the switch's tap, and the bridge that joins it to UA


def _run(cmd, logf):
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    with open(logf, "a") as f:
        f.write("$ %s  -> %d\n%s%s" % (" ".join(map(str, cmd)), r.returncode, r.stdout, r.stderr))
    return r.returncode == 0


class KernelVtepHost:
    def __init__(self, moved_if, logf, gro=False, vtap=False):
        self.moved_if, self.logf, self.ok, self.gro, self.vtap = moved_if, logf, False, gro, vtap

    def config(self, container_if):
        """The switch's config: container 1 in VLAN 10, the underlay, VLAN 10 <-> VNI 1010 to B."""
        up0 = ("{name: up0, type: vtap, iface: %s, mtu: %d}" % (UT, UNDERLAY_MTU) if self.vtap
               else "{name: up0, type: veth, iface: %s}" % UA)
        return ("ports:\n  - {name: c1, type: veth, iface: %s, vlan: 10}\n  - %s\n"
                "vxlan:\n  local_ip: %s\n  underlay: up0\n  vni_map:\n    - {vlan: 10, vni: %d, remotes: [%s]}\n"
                % (container_if, up0, A_IP, VNI, B_IP))

    def attach_tap(self):
        """vtap: the tap the switch made joins UA's bridge (no IPv6 chatter from it into the switch)."""
        return (_run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % UT], self.logf)
                and _run(["ip", "link", "set", UT, "master", UBR], self.logf))

    def __enter__(self):
        h = lambda *a: _run(["ip", "netns", "exec", HB] + list(a), self.logf)
        steps = [
            lambda: _run(["ip", "netns", "add", HB], self.logf),
            lambda: _run(["ip", "link", "add", UA, "mtu", UNDERLAY_MTU, "type", "veth", "peer", "name", UB,
                          "mtu", UNDERLAY_MTU], self.logf),
            lambda: _run(["ip", "link", "set", UB, "netns", HB], self.logf),
            lambda: _run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % UA], self.logf),
            lambda: _run(["ip", "link", "set", UA, "up"], self.logf),
            lambda: (_run(["ip", "link", "add", UBR, "mtu", UNDERLAY_MTU, "type", "bridge"], self.logf)
                     and _run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % UBR], self.logf)
                     and _run(["ip", "link", "set", UA, "master", UBR], self.logf)
                     and _run(["ip", "link", "set", UBR, "up"], self.logf)) if self.vtap else True,
            lambda: h("sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"),
            lambda: h("ip", "link", "set", "lo", "up"),
            lambda: h("ip", "addr", "add", B_IP + "/24", "dev", UB),
            lambda: h("ip", "link", "set", UB, "up"),
            # gro: veth's NAPI path with GRO, which coalesces the VXLAN segments before decapsulation.
            lambda: h("ethtool", "-K", UB, "gro", "on") if self.gro else True,
            lambda: h("ip", "link", "add", "vx0", "type", "vxlan", "id", VNI, "remote", A_IP, "local", B_IP,
                      "dstport", "4789", "dev", UB),
            lambda: h("ip", "link", "add", "br0", "type", "bridge"),
            lambda: h("ip", "link", "set", "vx0", "master", "br0"),
            lambda: _run(["ip", "link", "set", self.moved_if, "netns", HB], self.logf),
            lambda: h("ip", "link", "set", self.moved_if, "master", "br0"),
            lambda: h("ip", "link", "set", "vx0", "up"),
            lambda: h("ip", "link", "set", self.moved_if, "up"),
            lambda: h("ip", "link", "set", "br0", "up"),
        ]
        for s in steps:
            if not s():
                log("  host B (kernel vxlan) setup failed: see its log")
                self.__exit__(None, None, None)
                return self
        self.ok = True
        return self

    def __exit__(self, *exc):
        # Container 2's host end back to the root namespace (it goes with the namespace otherwise: deleted).
        quiet_run(["ip", "-n", HB, "link", "set", self.moved_if, "nomaster"])
        quiet_run(["ip", "-n", HB, "link", "set", self.moved_if, "netns", "1"])
        quiet_run(["ip", "link", "set", self.moved_if, "up"])
        quiet_run(["ip", "netns", "del", HB])
        quiet_run(["ip", "link", "del", UA])
        if self.vtap:
            quiet_run(["ip", "link", "del", UBR])
        return False

    describe = ("host B: netns %s, kernel vxlan vx0 (VNI %d, %s) on bridge br0 with container 2's host end; "
                "underlay veth %s/%s MTU %d; default offloads" % (HB, VNI, B_IP, UA, UB, UNDERLAY_MTU))
