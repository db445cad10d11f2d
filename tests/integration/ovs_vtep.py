"""OVS-DPDK as a VTEP for the integration tests: a private ovsdb-server + ovs-vswitchd (Debian's
openvswitch-switch-dpdk build) with userspace VXLAN, run inside a network namespace ("host C").

    host C (namespace):  br-phy (netdev) ── up0: dpdk net_af_packet on the underlay veth
                           LOCAL tap br-phy: the VTEP address (the tunnel's route and ARP)
                         br-int (netdev, NORMAL) ── one vxlan port per remote VTEP (key = VNI)
                                                 └─ c1: dpdk net_af_packet on a veth to a container

Inside its own namespace the daemon's kernel routes, its LOCAL taps (br-phy, br-int, ovs-netdev)
and its neighbours are its own: nothing clashes with another OVS on the machine, and the taps go
with the namespace. The instance is private as the bench's (bench/dswbench/forwarders.py): its
database, sockets, pidfiles and log in a temp dir, EAL with --no-pci and its own file prefix.
"""

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from conftest import DPDK_RUNTIME_DIR, HUGEPAGE_DIR, run, wait_for

OVS_DPDK_BIN = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema"
OVS_HUGEPAGES = 256   # 2 MiB pages: dpdk-socket-mem=512


def ovs_dpdk_missing():
    """"" when a DPDK ovs-vswitchd and ovsdb-server are installed, else what is missing."""
    if not os.access(OVS_DPDK_BIN, os.X_OK) or shutil.which("ovsdb-server") is None:
        return "openvswitch-switch-dpdk is not installed (scripts/install_deps.sh)"
    ver = run([OVS_DPDK_BIN, "--version"], check=False).stdout
    return "" if "DPDK" in ver else f"{OVS_DPDK_BIN} has no DPDK: {ver}"


class OvsDpdkVtep:
    """ovs-vswitchd in namespace `ns`. up() builds the bridges; down() removes everything."""

    def __init__(self, ns, file_prefix, underlay_if, vtep_ip, vni):
        self.ns, self.prefix, self.underlay_if = ns, file_prefix, underlay_if
        self.vtep_ip, self.vni = vtep_ip, vni
        self.dir = Path(tempfile.mkdtemp(prefix=f"{file_prefix}-ovs."))
        self.vdevs = 0

    # --- tools against this instance ---
    def _env(self):
        d = str(self.dir)
        return dict(os.environ, OVS_RUNDIR=d, OVS_LOGDIR=d, OVS_DBDIR=d, OVS_SYSCONFDIR=d)

    def tool(self, *args, check=True, timeout=60):
        """ovs-vsctl/ovs-appctl/ovs-ofctl against this instance (its sockets are in self.dir)."""
        return run(args, env=self._env(), check=check, timeout=timeout)

    def vsctl(self, *args, check=True):
        return self.tool("ovs-vsctl", "--timeout=60", *args, check=check)

    def appctl(self, *args, check=True):
        return self.tool("ovs-appctl", "-t", self.dir / "ovs-vswitchd.ctl", *args, check=check)

    def log(self):
        try:
            return (self.dir / "ovs-vswitchd.log").read_text(errors="replace")
        except OSError:
            return ""

    # --- life cycle ---
    def start(self):
        d = self.dir
        self.tool("ovsdb-tool", "create", d / "conf.db", OVS_SCHEMA)
        self.tool("ovsdb-server", d / "conf.db", f"--remote=punix:{d / 'db.sock'}",
                  f"--unixctl={d / 'ovsdb-server.ctl'}", f"--pidfile={d / 'ovsdb-server.pid'}", "--detach",
                  "--no-chdir", f"--log-file={d / 'ovsdb-server.log'}")
        self.vsctl("--no-wait", "init")
        # Hugepages (af_packet PMDs need no more than OVS's mempools: 512 MB is plenty, OVS shrinks
        # its pools to fit); the main thread on CPU 0, one PMD on CPU 1 that sleeps when idle
        # (pmd-maxsleep, µs; OVS 3.1), because two vCPUs are shared with the switch under test.
        self.vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                   "other_config:dpdk-socket-mem=512", "other_config:dpdk-lcore-mask=0x1",
                   "other_config:pmd-cpu-mask=0x2", "other_config:pmd-maxsleep=100",
                   f'other_config:dpdk-extra="--no-pci --file-prefix={self.prefix}"')
        run(["ip", "netns", "exec", self.ns, OVS_DPDK_BIN, f"unix:{d / 'db.sock'}",
             f"--unixctl={d / 'ovs-vswitchd.ctl'}", f"--pidfile={d / 'ovs-vswitchd.pid'}", "--detach",
             "--no-chdir", f"--log-file={d / 'ovs-vswitchd.log'}"], env=self._env(), timeout=120)

    def dpdk_port(self, bridge, name, iface):
        """A type=dpdk port on a net_af_packet vdev bound to `iface` (in the namespace). The
        devargs hold commas: double-quoted inside the argument, or ovs-vsctl splits them."""
        vdev = f"net_af_packet{self.vdevs},iface={iface}"
        self.vdevs += 1
        self.vsctl("add-port", bridge, name, "--", "set", "Interface", name, "type=dpdk",
                   f'options:dpdk-devargs="{vdev}"')
        self.wait_port(name)

    def wait_port(self, name):
        def up():
            ofport = self.vsctl("get", "Interface", name, "ofport").stdout.strip()
            if ofport.lstrip("-").isdigit() and int(ofport) > 0:
                return True
            err = self.vsctl("get", "Interface", name, "error", check=False).stdout.strip()
            assert err in ("", "[]"), f"OVS port {name}: {err}\n{self.log()}"
            return False
        wait_for(up, 30, interval=0.2, what=f"OVS port {name} to get an ofport")

    def up(self, container_if, remotes):
        """br-phy on the underlay with the VTEP address on its LOCAL port; br-int with one vxlan
        port per remote VTEP and a dpdk port on `container_if`."""
        self.start()
        # br-phy's LOCAL tap carries the VTEP address: OVS takes the tunnel's route from the
        # namespace's routing table (192.168.x.0/24 dev br-phy) and resolves the remote VTEPs by
        # ARP through br-phy, snooping the replies into its tunnel neighbour cache.
        self.vsctl("add-br", "br-phy", "--", "set", "bridge", "br-phy", "datapath_type=netdev")
        self.dpdk_port("br-phy", "up0", self.underlay_if)
        h = lambda *a: run(["ip", "netns", "exec", self.ns, *a])
        h("ip", "addr", "add", f"{self.vtep_ip}/24", "dev", "br-phy")
        h("ip", "link", "set", "br-phy", "up")
        self.vsctl("add-br", "br-int", "--", "set", "bridge", "br-int", "datapath_type=netdev")
        # One port per remote, not remote_ip=flow: NORMAL then learns which VTEP a MAC is behind
        # and floods to every remote. Ports marked protected do not forward to each other: the
        # split horizon a full mesh of VTEPs needs, or A's broadcasts would reach B twice (directly
        # and through C).
        for i, ip in enumerate(remotes):
            self.vsctl("add-port", "br-int", f"vx{i}", "--", "set", "Interface", f"vx{i}", "type=vxlan",
                       f"options:remote_ip={ip}", f"options:key={self.vni}", "--", "set", "Port", f"vx{i}",
                       "protected=true")
            self.wait_port(f"vx{i}")
        self.dpdk_port("br-int", "c1", container_if)

    def vxlan_port_of(self, mac):
        """The br-int port NORMAL learned `mac` on (its name), or None (`ovs-appctl fdb/show`)."""
        names = {}
        for line in self.tool("ovs-ofctl", "show", "br-int").stdout.splitlines():
            line = line.strip()
            if "(" in line and "):" in line:
                num, rest = line.split("(", 1)
                names[num.strip()] = rest.split(")", 1)[0]
        for line in self.appctl("fdb/show", "br-int").stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3 and f[2].lower() == mac.lower():
                return names.get(f[0], f[0])
        return None

    def neighbours(self):
        """OVS's tunnel neighbour cache (`ovs-appctl tnl/neigh/show`): {IP: MAC}."""
        found = {}
        for line in self.appctl("tnl/neigh/show").stdout.splitlines():
            f = line.split()
            if len(f) >= 2 and f[0].count(".") == 3 and f[1].count(":") == 5:
                found[f[0]] = f[1].lower()
        return found

    def down(self):
        """Stops the daemons (exit --cleanup removes the datapath's ports), then removes what
        DPDK and OVS can leave: taps in the namespace (pitfall 8 in ANCHORS.md; the namespace's
        deletion takes them anyway), EAL's runtime dir and hugepage files of our prefix."""
        self.appctl("exit", "--cleanup", check=False)
        self.tool("ovs-appctl", "-t", self.dir / "ovsdb-server.ctl", "exit", check=False)
        for name in ("ovs-vswitchd", "ovsdb-server"):
            try:
                pid = int((self.dir / f"{name}.pid").read_text())
            except (OSError, ValueError):
                continue
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            else:
                subprocess.run(["kill", "-9", str(pid)], check=False)
        for dev in ("br-phy", "br-int", "ovs-netdev"):
            run(["ip", "-n", self.ns, "link", "del", dev], check=False)
        shutil.rmtree(DPDK_RUNTIME_DIR / self.prefix, ignore_errors=True)
        for f in HUGEPAGE_DIR.glob(f"{self.prefix}*"):
            f.unlink(missing_ok=True)
        shutil.rmtree(self.dir, ignore_errors=True)
