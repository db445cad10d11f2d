"""The pcap bench's VXLAN traffic (issue 30), run for real but short: dpdk_switch as the VTEP on a pcap underlay and
OVS-DPDK's userspace VXLAN on the same ports. Each must show a rate and, in its own counters, the tunnel's work
(the switch's VTEP decapsulated and encapsulated, nothing dropped; OVS's datapath popped and pushed VXLAN), and
the run must leave nothing behind. --force: no waiting for a quiet machine, the figures are not the point."""
import glob
import json
import os
import subprocess

import pytest

from conftest import REPO, run

OVS_DPDK = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"
OVS_LINKS = ("dswbphy0", "dswbint0", "ovs-netdev")


@pytest.fixture(scope="module")
def bench(binaries, tmp_path_factory):
    out = tmp_path_factory.mktemp("pcapvx")
    env = dict(os.environ, DSW_BUILD_DIR=str(binaries.switch.parents[1]))
    r = subprocess.run(["bash", str(REPO / "scripts" / "bench_pcap.sh"), "--traffic", "p1024vx", "--no-uni", "-n", "1",
                        "-w", "1", "-W", "1", "--only", "switch,ovs", "--no-install", "--force", "-o", str(out / "res")],
                       capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stdout + r.stderr
    runs = json.loads((out / "res" / "runs.json").read_text())
    return runs, (out / "res" / "summary.txt").read_text(), r.stderr


def cell(runs, system):
    return next(r for r in runs["runs"] if r["system"] == system)


def test_the_switch_is_measured_as_a_vtep_that_decapsulates_and_encapsulates(bench):
    runs, _, log = bench
    r = cell(runs, "dpdk_switch")
    assert r["mpps"] and r["mpps"] > 0.5, (r, log)
    vx = r["vxlan"]
    assert vx["decapsulated"] > 0 and vx["encapsulated"] > 0 and vx["drops"] == {}, vx
    assert vx["vtep_resolved"] and vx["vtep_mac"] == "02:00:c6:12:00:02"   # from the ARP reply in the pcap
    tx = {p["name"]: p["tx_packets"] for p in r["ports"]}
    assert tx["p0"] > 0 and tx["p1"] > 0   # encapsulated out of the underlay, decapsulated out of p1


def test_ovs_dpdk_is_measured_popping_and_pushing_vxlan(bench):
    runs, text, log = bench
    if runs["meta"].get("ovs_note"):
        if not os.access(OVS_DPDK, os.X_OK):
            pytest.skip("openvswitch-switch-dpdk is not installed (the bench's own note: %s)" % runs["meta"]["ovs_note"])
        pytest.fail("OVS-DPDK is installed but the bench did not run it: %s" % runs["meta"]["ovs_note"])
    r = cell(runs, "ovs normal")
    assert r["mpps"] and r["mpps"] > 0.1, (r, log)
    assert r["vxlan"]["tnl_pop_flows"] >= 1 and r["vxlan"]["tnl_push_flows"] >= 1 and r["vxlan"]["vx0_rx"] > 0, r
    assert "VXLAN: dpdk_switch / OVS-DPDK userspace VXLAN, p1024vx = " in text
    left = [link for link in OVS_LINKS if run(["ip", "link", "show", link], check=False).returncode == 0]
    left += glob.glob("/var/run/dpdk/dswbovs*") + glob.glob("/var/run/dpdk/dswbench*")
    assert not left, "the bench left %s behind" % left
