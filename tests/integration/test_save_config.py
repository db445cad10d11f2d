"""save config: what is added and changed at run time survives a restart from the saved file.

    c1 (netns) ── veth ── af_packet c1 ─┐   (in the config)
    c2 (netns) ── veth ── af_packet c2 ─┼─ dpdk_switch ── save config -> its --config file
    c3 (netns) ── veth ── af_packet c3 ─┘   (port add at run time: VLAN 10, mac_limit 5)
"""
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
    again = Switch(binaries, sw.config, sw.config_path, tmp_path / "again.log")
    again.start()
    try:
        again.wait_ready()
        after = snapshot(again)
        assert after == before
    finally:
        rc = again.stop(signal.SIGTERM)
        print(f"--- {again.log_path} (exit {rc}) ---\n{again.log()}")
        again.cleanup()
    assert rc == 0


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
