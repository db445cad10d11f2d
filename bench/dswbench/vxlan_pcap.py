"""The pcap part's VXLAN traffic, p1024vx (issue 30): port 0 is a VTEP's underlay replaying p1024 pre-encapsulated
from a remote VTEP (scripts/gen_pcap.py), port 1 a plain port replaying the way back, which the system under test
encapsulates toward that VTEP. dpdk_switch's config, OVS-DPDK's userspace VXLAN on the same two ports, and the
checks that both really decapsulated and encapsulated (a figure of frames dropped as undeliverable would say
nothing about VXLAN)."""
import importlib.util
import re
import time

from . import env
from .forwarders import OvsDpdk, ovs_result, parse_dump_ports

TRAFFIC = "p1024vx"


def _gen_pcap():
    """scripts/gen_pcap.py, which writes the pcaps: the addresses come from there, so they cannot disagree."""
    spec = importlib.util.spec_from_file_location("dsw_gen_pcap", env.SCRIPTS / "gen_pcap.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


_g = _gen_pcap()
ip_text = lambda b: ".".join(str(x) for x in b)
mac_text = lambda b: ":".join("%02x" % x for x in b)
LOCAL_IP, REMOTE_IP = ip_text(_g.VX_LOCAL_IP), ip_text(_g.VX_REMOTE_IP)
LOCAL_MAC, REMOTE_MAC = mac_text(_g.VX_LOCAL_MAC), mac_text(_g.VX_REMOTE_MAC)
VNI = _g.VX_VNI
# The share of the frames handled in the window that may end as a drop (any reason, any port or VTEP) before
# the run is called failed: in this closed loop every frame has somewhere to go, so drops mean a broken path.
MAX_DROP_SHARE = 0.01


def switch_config(dev0, dev1):
    """Port 0 the underlay; the untagged default domain (VLAN 0) is the VNI, the remote VTEP listed for it."""
    return ('switch: {mac_table_size: 65536}\nports:\n  - {name: p0, type: dpdk, devargs: "%s"}\n'
            '  - {name: p1, type: dpdk, devargs: "%s"}\n'
            'vxlan:\n  local_ip: %s\n  underlay: p0\n  vni_map:\n    - {vlan: 0, vni: %d, remotes: [%s]}\n'
            % (dev0, dev1, LOCAL_IP, VNI, REMOTE_IP))


def _vtep(show):
    for v in (show or {}).get("vteps", []):
        if v.get("ip") == REMOTE_IP:
            return v
    return None


def check_switch(res, vx0, vx1):
    """RES (switch_result's) gets "vxlan": what the VTEP decapsulated and encapsulated in the window (the remote
    VTEP's rx/tx in `show vxlan`, sampled with the port stats) and every drop; a run that did not decapsulate and
    encapsulate, or dropped more than MAX_DROP_SHARE, or whose underlay MAC is not the pcap's, fails."""
    a, b = _vtep(vx0), _vtep(vx1)
    if res.get("mpps") is None:
        return res
    if a is None or b is None:
        res.update(mpps=None, error="show vxlan has no remote VTEP %s" % REMOTE_IP)
        return res
    drops = {}
    for p in res.get("ports", []):
        for k, v in p.get("drops", {}).items():
            if v:
                drops["%s.%s" % (p["name"], k)] = v
    for k, v in b.get("drops", {}).items():
        d = v - a.get("drops", {}).get(k, 0)
        if d:
            drops["vtep.%s" % k] = d
    decap, encap = b["rx_packets"] - a["rx_packets"], b["tx_packets"] - a["tx_packets"]
    handled = sum(p["rx_packets"] for p in res.get("ports", []))
    res["vxlan"] = dict(decapsulated=decap, encapsulated=encap, drops=drops, vtep_resolved=b.get("resolved"),
                        vtep_mac=b.get("mac"), underlay_mac=(vx1 or {}).get("underlay_mac"))
    why = []
    if (vx1 or {}).get("underlay_mac", "").lower() != LOCAL_MAC:
        why.append("the switch's underlay MAC is %s, the pcap's frames go to %s (scripts/gen_pcap.py VX_LOCAL_MAC)"
                   % ((vx1 or {}).get("underlay_mac"), LOCAL_MAC))
    if decap <= 0 or encap <= 0:
        why.append("the VTEP decapsulated %d and encapsulated %d frames in the window" % (decap, encap))
    if sum(drops.values()) > MAX_DROP_SHARE * max(handled, 1):
        why.append("drops dominate: %s of %d frames received" % (drops, handled))
    if why:
        res.update(mpps=None, error="VXLAN not exercised: " + "; ".join(why))
    return res


class OvsVxlan(OvsDpdk):
    """OVS-DPDK's userspace VXLAN on the same two ports, as its documentation sets it up: a netdev bridge BR_PHY
    holding port 0 whose LOCAL port has the VTEP address (the tap stays down: OVS takes the address from it,
    the kernel routes nothing to it) and the pcap's destination MAC; a static neighbour and route for the remote
    VTEP; a bridge BR_INT with the vxlan port (remote_ip, key) and port 1. Both bridges NORMAL."""

    def __init__(self, tmp, br_phy, br_int):
        super().__init__(tmp, br_int)
        self.br_phy = br_phy

    def taps(self):
        return [self.br_phy] + super().taps()

    def describe(self, dev0, dev1):
        return ("ovs-vswitchd (dpdk-init=true dpdk-socket-mem=1024 dpdk-lcore-mask=0x1 pmd-cpu-mask=0x2 "
                "dpdk-extra=\"--no-pci --file-prefix=%s\"); bridge %s datapath_type=netdev other_config:hwaddr=%s, "
                "p0 dpdk-devargs=\"%s\"; ip addr add %s/24 dev %s (link down); ovs-appctl tnl/neigh/set %s %s %s; "
                "ovs-appctl ovs/route/add %s/32 %s; bridge %s datapath_type=netdev, vx0 type=vxlan "
                "options:remote_ip=%s options:key=%d, p1 dpdk-devargs=\"%s\"; NORMAL on both"
                % (self.PREFIX, self.br_phy, LOCAL_MAC, dev0, LOCAL_IP, self.br_phy, self.br_phy, REMOTE_IP,
                   REMOTE_MAC, REMOTE_IP, self.br_phy, self.bridge, REMOTE_IP, VNI, dev1))

    def bridge_steps(self, dev0, dev1):
        phy, br = self.br_phy, self.bridge

        def route(out):
            """ovs-appctl ovs/route/add (retried until OVS has seen the bridge's address)"""
            for _ in range(50):
                if self.cmd("ovs-appctl", "ovs/route/add", "%s/32" % REMOTE_IP, phy, out=out):
                    return True
                time.sleep(0.1)
            return False
        return [
            ["ovs-vsctl", "--timeout=60", "add-br", phy, "--", "set", "bridge", phy, "datapath_type=netdev",
             "other_config:hwaddr=%s" % LOCAL_MAC],
            ["ovs-vsctl", "--timeout=60", "add-port", phy, "p0", "--", "set", "Interface", "p0", "type=dpdk",
             "options:dpdk-devargs=\"%s\"" % dev0],
            ["ip", "addr", "add", "%s/24" % LOCAL_IP, "dev", phy],
            ["ovs-vsctl", "--timeout=60", "add-br", br, "--", "set", "bridge", br, "datapath_type=netdev"],
            ["ovs-vsctl", "--timeout=60", "add-port", br, "vx0", "--", "set", "Interface", "vx0", "type=vxlan",
             "options:remote_ip=%s" % REMOTE_IP, "options:key=%d" % VNI],
            ["ovs-vsctl", "--timeout=60", "add-port", br, "p1", "--", "set", "Interface", "p1", "type=dpdk",
             "options:dpdk-devargs=\"%s\"" % dev1],
            ["ovs-appctl", "tnl/neigh/set", phy, REMOTE_IP, REMOTE_MAC],
            route,
        ]

    def sample(self):
        """{"t0", "t1", "ports": dump-ports of p0 (BR_PHY) and p1 (BR_INT), "vx0": that of vx0}; None on failure.
        Each port's block is named (`port p0:`), as ovs_result and parse_dump_ports read them."""
        t0 = time.time()
        outs = {}
        for bridge, port in ((self.br_phy, "p0"), (self.bridge, "p1"), (self.bridge, "vx0")):
            out, rc = self.text("ovs-ofctl", "dump-ports", bridge, port)
            if rc != 0:
                return None
            outs[port] = re.sub(r'port\s+"?[^:\s"]+"?:', "port %s:" % port, out, count=1)
        return {"t0": t0, "t1": time.time(), "ports": outs["p0"] + outs["p1"], "vx0": outs["vx0"]}


def ovs_vxlan_result(s0, s1, pmd_text, flows_text, err):
    """The rate of p0 and p1 (ovs_result on the two dpdk ports), and the proof that OVS tunnelled: its datapath
    flows pop and push VXLAN, and vx0 received (decapsulated) and sent (encapsulated) in the window."""
    res = ovs_result(s0, s1, pmd_text, err)
    if res.get("mpps") is None:
        return res
    a, b = parse_dump_ports(s0["vx0"]).get("vx0"), parse_dump_ports(s1["vx0"]).get("vx0")
    pops = len(re.findall(r"actions:[^\n]*tnl_pop\(", flows_text or ""))
    pushes = len(re.findall(r"actions:[^\n]*tnl_push\(", flows_text or ""))
    decap = b[0] - a[0] if a and b else 0
    res["vxlan"] = dict(tnl_pop_flows=pops, tnl_push_flows=pushes, vx0_rx=decap, vx0_tx=b[1] - a[1] if a and b else 0)
    tx = {p["name"]: p["tx_packets"] for p in res["ports"]}
    if not pops or not pushes or decap <= 0 or not tx.get("p0") or not tx.get("p1"):
        res.update(mpps=None, error="OVS did not tunnel: %d tnl_pop and %d tnl_push datapath flows, vx0 received %d, "
                                    "p0 sent %s, p1 sent %s in the window"
                                    % (pops, pushes, decap, tx.get("p0"), tx.get("p1")))
    return res
