"""save config: what is added and changed at run time survives a restart from the saved file.

    c1 (netns) ── veth ── af_packet c1 ─┐   (in the config)
    c2 (netns) ── veth ── af_packet c2 ─┼─ dpdk_switch ── save config -> its --config file
    c3 (netns) ── veth ── af_packet c3 ─┘   (port add at run time: VLAN 10, mac_limit 5)

and a VTEP whose underlay is c1's veth (nobody answers its ARP: the remotes stay unresolved).
"""
import contextlib
import json
import os
import signal
import stat

import yaml

from conftest import Switch, af_packet_ports, mask

# Fields of `show port info` that say how the port is now, not what it is.
LIVE_PORT_FIELDS = ("link_up", "link_speed_mbps", "peer")


def snapshot(sw):
    """What save config must carry over, as the switch shows it (--json)."""
    stats = sw.ctl("show", "switch", "stats")
    return {
        "ports": mask(sw.ctl("show", "port", "info", "all")["ports"], LIVE_PORT_FIELDS),
        "static_macs": sorted((e for e in sw.mac_table() if e["static"]), key=lambda e: (e["mac"], e["vlan"])),
        "arp": sorted((e for e in sw.ctl("show", "arp", "table")["entries"] if e["static"]),
                      key=lambda e: (e["ip"], e["vlan"])),
        "mac_aging_s": stats["mac_aging_s"],
        "mac_capacity": stats["mac_capacity"],
        "tx_flush_us": sw.ctl("show", "lcores")["tx_flush_us"],
    }


@contextlib.contextmanager
def restarted(binaries, sw, tmp_path):
    """The saved and stopped switch `sw` started again from its file, with the same socket and
    file prefix; at the end it is stopped (it must exit 0) and its log printed."""
    again = Switch(binaries, sw.config, sw.config_path, tmp_path / "again.log")
    again.start()
    try:
        again.wait_ready()
        yield again
    finally:
        rc = again.stop(signal.SIGTERM)
        print(f"--- {again.log_path} (exit {rc}) ---\n{again.log()}")
        again.cleanup()
    assert rc == 0


def test_a_saved_running_config_restarts_the_same_switch(netns, switch, binaries, tmp_path):
    c1, c2, c3 = netns(), netns(), netns()
    sw = switch(af_packet_ports(c1=c1, c2=c2), mac_aging_s=300)
    os.chmod(sw.config_path, 0o640)
    sw.ctl("port", "add", "c3", "af_packet", f"iface={c3.hostif}", "vlan=10", "mac_limit=5")
    sw.ctl("mac", "add", "02:00:00:00:00:0a", "c1")
    sw.ctl("mac", "add", "02:00:00:00:00:0b", "c3")
    sw.ctl("arp", "add", "10.77.9.1", "02:00:00:00:00:0a")
    sw.ctl("arp", "add", "10.77.9.2", "02:00:00:00:00:0b", "vlan", "10")
    sw.ctl("set", "mac", "aging", "77")
    sw.ctl("set", "tx", "flush", "5")
    c1.ping(c2.ip)   # learned entries: not part of the saved config
    before = snapshot(sw)
    assert [p["name"] for p in before["ports"]] == ["c1", "c2", "c3"]
    assert len(before["static_macs"]) == 2 and len(before["arp"]) == 2

    saved = sw.ctl("save", "config")
    assert saved == {"ok": True, "file": str(sw.config_path), "ports": 3, "static_macs": 2, "arp": 2}
    text = sw.ctl("save", "config", json=False)
    assert text.strip() == f"running config saved to {sw.config_path} (3 ports, 2 static MACs, 2 static ARP bindings)"
    assert stat.S_IMODE(os.stat(sw.config_path).st_mode) == 0o640, "the file keeps its mode"
    doc = yaml.safe_load(sw.config_path.read_text())
    assert doc["ports"][2] == {"name": "c3", "type": "af_packet", "iface": c3.hostif, "vlan": 10, "mac_limit": 5}
    assert doc["switch"]["mac_aging_s"] == 77 and doc["switch"]["tx_flush_us"] == 5
    assert sorted(os.listdir(tmp_path)) == sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")), \
        "no temporary file left beside it"
    assert sw.stop() == 0

    # The same file, the same socket and file prefix: the switch comes back as it was saved.
    with restarted(binaries, sw, tmp_path) as again:
        assert snapshot(again) == before


# Fields of `show vxlan` that say what went through, not what is configured.
LIVE_VTEP_FIELDS = ("rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "drops", "macs", "resolved", "mac")


def test_a_saved_vtep_restarts_with_its_run_time_remotes(netns, switch, binaries, tmp_path):
    c1, c2 = netns(), netns()
    vxlan = {"local_ip": "192.168.77.1/24", "gateway": "192.168.77.254", "underlay": "up0", "udp_port": 4790,
             "learn_vteps": False,
             "vni_map": [{"vlan": 10, "vni": 1010, "remotes": ["192.168.77.2", "192.168.77.4"]},
                         {"vlan": 20, "vni": 1020}]}
    ports = [{"name": "up0", "type": "af_packet", "iface": c1.hostif},
             {"name": "c2", "type": "af_packet", "iface": c2.hostif, "vlan": 10}]
    sw = switch(ports, config_extra={"vxlan": vxlan})
    sw.ctl("vxlan", "vtep", "add", "10.30.0.5", "vni", "1020")   # behind the gateway
    sw.ctl("vxlan", "vtep", "add", "192.168.77.3")               # every mapped VNI
    sw.ctl("vxlan", "vtep", "add", "192.168.77.2", "vni", "1020")
    sw.ctl("vxlan", "vtep", "del", "192.168.77.4")
    before = sw.ctl("show", "vxlan")
    before["vteps"] = mask(before["vteps"], LIVE_VTEP_FIELDS)
    before["gateway"].pop("mac"), before["gateway"].pop("resolved")
    assert [(v["ip"], v["vnis"], v["via_gateway"]) for v in before["vteps"]] == [
        ("10.30.0.5", [1020], True), ("192.168.77.2", [1010, 1020], False), ("192.168.77.3", [1010, 1020], False)]

    sw.ctl("save", "config")
    doc = yaml.safe_load(sw.config_path.read_text())
    assert doc["vxlan"] == {"local_ip": "192.168.77.1/24", "gateway": "192.168.77.254", "underlay": "up0",
                            "udp_port": 4790, "learn_vteps": False,
                            "vni_map": [{"vlan": 10, "vni": 1010, "remotes": ["192.168.77.2", "192.168.77.3"]},
                                        {"vlan": 20, "vni": 1020,
                                         "remotes": ["10.30.0.5", "192.168.77.2", "192.168.77.3"]}]}
    assert sw.stop() == 0

    with restarted(binaries, sw, tmp_path) as again:
        after = again.ctl("show", "vxlan")
        after["vteps"] = mask(after["vteps"], LIVE_VTEP_FIELDS)
        after["gateway"].pop("mac"), after["gateway"].pop("resolved")
        assert after == before


def test_static_macs_behind_vteps_come_back_behind_them(netns, switch, binaries, tmp_path):
    """`mac add <MAC> vtep <IP>`: saved as `vtep:` entries, and after a restart `show mac table`
    has each MAC behind its VTEP again, the VTEPs (one named only by its MAC) as they were."""
    c1, c2 = netns(), netns()
    vxlan = {"local_ip": "192.168.77.1/24", "gateway": "192.168.77.254", "underlay": "up0", "learn_vteps": False,
             "vni_map": [{"vlan": 10, "vni": 1010, "remotes": ["192.168.77.2"]}, {"vlan": 20, "vni": 1020}]}
    ports = [{"name": "up0", "type": "af_packet", "iface": c1.hostif},
             {"name": "c2", "type": "af_packet", "iface": c2.hostif, "vlan": 10}]
    # 192.168.77.5 is no VNI's remote: its MAC alone brings it (for VNI 1020, as if learned there).
    sw = switch(ports, config_extra={"vxlan": vxlan, "static_macs": [
        {"mac": "02:00:00:00:00:c5", "vtep": "192.168.77.5", "vlan": 20}]})
    sw.ctl("vxlan", "vtep", "add", "10.30.0.5", "vni", "1020")   # behind the gateway
    sw.ctl("mac", "add", "02:00:00:00:00:c2", "vtep", "192.168.77.2", "vlan", "10")
    sw.ctl("mac", "add", "02:00:00:00:00:c3", "vtep", "10.30.0.5", "vlan", "20")
    sw.ctl("mac", "add", "02:00:00:00:00:0a", "c2")
    before = snapshot(sw)
    assert [(e["mac"], e["port"], e["vlan"]) for e in before["static_macs"]] == [
        ("02:00:00:00:00:0a", "c2", 10), ("02:00:00:00:00:c2", "vtep:192.168.77.2", 10),
        ("02:00:00:00:00:c3", "vtep:10.30.0.5", 20), ("02:00:00:00:00:c5", "vtep:192.168.77.5", 20)]
    vteps = mask(sw.ctl("show", "vxlan")["vteps"], LIVE_VTEP_FIELDS)

    assert sw.ctl("save", "config")["static_macs"] == 4
    doc = yaml.safe_load(sw.config_path.read_text())
    assert doc["static_macs"] == [{"mac": "02:00:00:00:00:0a", "port": "c2", "vlan": 10},
                                  {"mac": "02:00:00:00:00:c3", "vtep": "10.30.0.5", "vlan": 20},
                                  {"mac": "02:00:00:00:00:c2", "vtep": "192.168.77.2", "vlan": 10},
                                  {"mac": "02:00:00:00:00:c5", "vtep": "192.168.77.5", "vlan": 20}]
    assert sw.stop() == 0

    with restarted(binaries, sw, tmp_path) as again:
        assert snapshot(again) == before
        assert mask(again.ctl("show", "vxlan")["vteps"], LIVE_VTEP_FIELDS) == vteps


def test_save_config_refuses_a_symlink_and_a_relative_path(netns, switch, tmp_path):
    c1 = netns()
    sw = switch(af_packet_ports(c1=c1))
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(precious)
    for path, says in ((link, f"{link}: is a symbolic link, not a regular file: refusing to replace it"),
                       (tmp_path, f"{tmp_path}: is a directory, not a regular file: refusing to replace it"),
                       ("rel.yaml", "'rel.yaml' is a relative path: give an absolute one")):
        r = sw.ctl_raw("save", "config", str(path))
        assert r.returncode == 1, r.stdout
        assert json.loads(r.stdout)["error"] == f"save config: {says}"
    assert precious.read_text() == "keep me\n"
    assert link.is_symlink()
