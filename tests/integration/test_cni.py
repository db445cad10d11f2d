"""The dpdk-switch CNI plugin run exactly as a runtime runs it (CNI_COMMAND, CNI_CONTAINERID,
CNI_NETNS, CNI_IFNAME, CNI_PATH in the environment, the network configuration on stdin), against
a real switch, with Debian's host-local as IPAM.

    netns dswc-<pid>-a                 dpdk_switch                 netns dswc-<pid>-b
    eth0 (10.78.0.x) ── veth ── dswXXXXXXXXXXXX ── veth ─┤├─ veth ── dswYYYY ── veth ── eth0

ADD, CHECK and DEL twice each, with the switch up and down, and bad configurations: each failure
is the spec's error JSON, and leaves no veth, no port and no address lease behind."""

import json
import os
import signal
import subprocess
import time

import pytest

from cni_plugin import CONTAINER_KIND, PREFIX, Plugin, attachment_name, leases, link_exists, netns_path, plugin_path
from conftest import CTL_DIR, run, wait_for

PID = os.getpid()
SUBNET = "10.78.0.0/24"


@pytest.fixture
def plugin(binaries):
    p = plugin_path(binaries)
    if not os.access(p, os.X_OK):
        pytest.fail(f"{p} is missing: run scripts/build.sh")
    if not os.access("/usr/lib/cni/host-local", os.X_OK):
        pytest.fail("/usr/lib/cni/host-local is missing: run scripts/install_deps.sh (containernetworking-plugins)")
    return Plugin(p)


@pytest.fixture
def namespaces():
    """Factory: namespaces(tag) -> (netns name, container id), both dswc-<pid>-<tag>; deleted at teardown."""
    made = []

    def make(tag):
        name = f"{PREFIX}{PID}-{tag}"
        run(["ip", "netns", "add", name])
        made.append(name)
        return name, name

    yield make
    for name in made:
        run(["ip", "netns", "del", name], check=False)


@pytest.fixture
def attachments(plugin):
    """Everything ADDed is DELeted at teardown (also when the test failed half-way); returns a
    list to which tests append (conf, container id, netns, ifname)."""
    done = []
    yield done
    for conf, cid, ns, ifname in done:
        plugin.call("DEL", conf, cid, netns_path(ns), ifname)


def net_conf(sock, data_dir, **extra):
    conf = {
        "cniVersion": "1.0.0",
        "name": f"{PREFIX}{PID}-net",
        "type": "dpdk-switch",
        "socket": str(sock),
        "ipam": {"type": "host-local", "subnet": SUBNET, "dataDir": str(data_dir),
                 "routes": [{"dst": "0.0.0.0/0"}]},
    }
    conf.update(extra)
    return conf


def add(plugin, attachments, conf, ns, ifname="eth0"):
    rc, out, err = plugin.call("ADD", conf, ns, netns_path(ns), ifname)
    assert rc == 0, f"ADD failed: {out} {err}"
    attachments.append((conf, ns, ns, ifname))
    return out


def ip_of(result):
    return result["ips"][0]["address"].split("/")[0]


def switch_ports(sw):
    return {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}


def assert_nothing_left(sw, conf, cid, ns, ifname="eth0", leases_too=True):
    name = attachment_name(cid, ifname)
    assert not link_exists(name), f"host end {name} left behind"
    assert not link_exists(ifname, ns), f"{ifname} left in {ns}"
    if sw is not None:
        assert name not in switch_ports(sw), f"port {name} left on the switch"
    if leases_too:
        assert leases(conf["ipam"]["dataDir"], conf["name"]) == [], "an address lease left behind"


def test_add_check_del_twice_each(plugin, switch, namespaces, attachments, tmp_path):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam", mtu=1400, runtimeConfig={"mac": "02:dc:00:00:00:0a"})
    a, _ = namespaces("a")
    b, _ = namespaces("b")
    ra = add(plugin, attachments, conf, a)
    rb = add(plugin, attachments, dict(conf, runtimeConfig={}), b)

    # The result: the host end, the container's eth0 in its namespace, the address on it.
    host_a = attachment_name(a, "eth0")
    assert ra["cniVersion"] == "1.0.0"
    assert [i["name"] for i in ra["interfaces"]] == [host_a, "eth0"]
    assert ra["interfaces"][1] == {"name": "eth0", "mac": "02:dc:00:00:00:0a", "sandbox": netns_path(a)}
    assert ra["ips"][0]["interface"] == 1 and ra["ips"][0]["gateway"] == "10.78.0.1"
    assert ra["ips"][0]["address"].endswith("/24")
    link = json.loads(run(["ip", "-n", a, "-j", "addr", "show", "eth0"]).stdout)[0]
    assert link["address"] == "02:dc:00:00:00:0a" and link["mtu"] == 1400
    assert {"local": ip_of(ra), "prefixlen": 24} in [{k: x[k] for k in ("local", "prefixlen")} for x in link["addr_info"]]
    routes = json.loads(run(["ip", "-n", a, "-j", "route", "show", "default"]).stdout)
    assert routes and routes[0]["gateway"] == "10.78.0.1" and routes[0]["dev"] == "eth0"

    # The switch has the two ports, of the container kind, on the host ends.
    ports = switch_ports(sw)
    assert ports[host_a]["type"] == CONTAINER_KIND
    assert attachment_name(b, "eth0") in ports

    # Traffic, and each MAC learned behind its container's port.
    run(["ip", "netns", "exec", a, "ping", "-c", "3", "-i", "0.2", "-W", "2", ip_of(rb)])
    macs = {(e["mac"], e["port"]) for e in sw.mac_table()}
    assert ("02:dc:00:00:00:0a", host_a) in macs
    assert (rb["interfaces"][1]["mac"], attachment_name(b, "eth0")) in macs

    # CHECK twice: as ADD left it.
    check_conf = dict(conf, prevResult=ra)
    for _ in range(2):
        rc, out, err = plugin.call("CHECK", check_conf, a, netns_path(a))
        assert rc == 0, f"CHECK: {out} {err}"

    # A second ADD of the same attachment is an error and changes nothing.
    rc, out, _ = plugin.call("ADD", conf, a, netns_path(a))
    assert rc != 0 and out["code"] == 4 and "CNI_IFNAME" in out["msg"]
    assert host_a in switch_ports(sw) and link_exists("eth0", a)

    # DEL twice: both succeed, and nothing of a is left; b still works.
    for _ in range(2):
        rc, out, err = plugin.call("DEL", conf, a, netns_path(a))
        assert rc == 0 and out is None, f"DEL: {out} {err}"
    assert not link_exists(host_a) and not link_exists("eth0", a)
    assert host_a not in switch_ports(sw)
    assert leases(conf["ipam"]["dataDir"], conf["name"]) == [ip_of(rb)]

    # CHECK after DEL finds it gone (code 102), naming what.
    rc, out, _ = plugin.call("CHECK", check_conf, a, netns_path(a))
    assert rc != 0 and out["code"] == 102 and "eth0 is missing" in out["msg"]


def test_check_finds_what_changed(plugin, switch, namespaces, attachments, tmp_path):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam", vlan=10, mac_limit=4)
    a, _ = namespaces("a")
    ra = add(plugin, attachments, conf, a)
    name = attachment_name(a, "eth0")
    port = switch_ports(sw)[name]
    assert port["vlan"] == 10
    check_conf = dict(conf, prevResult=ra)
    assert plugin.call("CHECK", check_conf, a, netns_path(a))[0] == 0

    # A CHECK with another VLAN than the port's says so.
    rc, out, _ = plugin.call("CHECK", dict(check_conf, vlan=20), a, netns_path(a))
    assert rc != 0 and out["code"] == 102 and "VLAN 10, not 20" in out["msg"]
    # The port gone from the switch.
    sw.ctl("port", "del", name)
    rc, out, _ = plugin.call("CHECK", check_conf, a, netns_path(a))
    assert rc != 0 and out["code"] == 102 and f"the switch has no port {name}" in out["msg"]
    # The switch down: CHECK cannot vouch for the port (try again later).
    assert sw.stop() == 0
    rc, out, _ = plugin.call("CHECK", check_conf, a, netns_path(a))
    assert rc != 0 and out["code"] == 11
    # The address gone from eth0.
    run(["ip", "-n", a, "addr", "flush", "dev", "eth0"])
    rc, out, _ = plugin.call("CHECK", check_conf, a, netns_path(a))
    assert rc != 0 and out["code"] == 102 and "lacks its address" in out["msg"]


def test_del_with_switch_down_and_netns_gone(plugin, switch, namespaces, attachments, tmp_path):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam")
    a, _ = namespaces("a")
    b, _ = namespaces("b")
    add(plugin, attachments, conf, a)
    add(plugin, attachments, conf, b)
    assert len(leases(conf["ipam"]["dataDir"], conf["name"])) == 2

    assert sw.stop() == 0
    # a: switch down, namespace still there. b: switch down and namespace gone as well.
    run(["ip", "netns", "del", b])
    for ns in (a, b):
        for _ in range(2):
            rc, out, err = plugin.call("DEL", conf, ns, netns_path(ns))
            assert rc == 0, f"DEL {ns}: {out} {err}"
        assert "not removed" in err   # it says what it could not do
        assert_nothing_left(None, conf, ns, ns, leases_too=False)
    assert leases(conf["ipam"]["dataDir"], conf["name"]) == []
    # DEL without CNI_NETNS at all (allowed by the spec) succeeds as well.
    rc, out, err = plugin.call("DEL", conf, a, None)
    assert rc == 0, f"{out} {err}"


def test_add_with_switch_down_is_try_again_later(plugin, switch, namespaces, tmp_path):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam")
    assert sw.stop() == 0
    a, _ = namespaces("a")
    for _ in range(2):
        rc, out, _ = plugin.call("ADD", conf, a, netns_path(a))
        assert rc == 1 and out["code"] == 11 and "does not exist" in out["msg"], out
        assert out["cniVersion"] == "1.0.0"
        assert_nothing_left(None, conf, a, a)
    # A socket nobody listens on (a switch killed): also 11, also nothing made.
    import socket as socketlib
    dead = CTL_DIR / f"{PREFIX}{PID}-dead.sock"
    s = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
    s.bind(str(dead))
    s.close()
    try:
        rc, out, _ = plugin.call("ADD", dict(conf, socket=str(dead)), a, netns_path(a))
        assert rc == 1 and out["code"] == 11, out
        assert_nothing_left(None, conf, a, a)
    finally:
        dead.unlink()


def test_add_refused_by_the_switch_leaves_nothing(plugin, switch, namespaces, tmp_path):
    # A pool of 1024 mbufs cannot take a veth port: the switch refuses `port add` after
    # the plugin made the veth and took an address; both are undone.
    sw = switch(mbufs=1024)
    conf = net_conf(sw.sock, tmp_path / "ipam")
    a, _ = namespaces("a")
    rc, out, err = plugin.call("ADD", conf, a, netns_path(a))
    assert rc == 1 and out["code"] == 101 and "not enough mbufs" in out["msg"], (out, err)
    assert_nothing_left(sw, conf, a, a)


BAD_CONFIGS = [
    # (what, change to the good config, expected code, words in msg)
    ("unknown key", {"vlna": 10}, 2, "unsupported field vlna=10"),
    ("VLAN 0", {"vlan": 0}, 7, "vlan: must be an integer from 1 to 4094"),
    ("VLAN 4095", {"vlan": 4095}, 7, "vlan"),
    ("VLAN as a string", {"vlan": "10"}, 7, "vlan"),
    ("mac_limit negative", {"mac_limit": -1}, 7, "mac_limit"),
    ("MTU too small", {"mtu": 40}, 7, "mtu"),
    ("unknown port mode", {"port": "tap"}, 7, "port: 'tap'"),
    ("relative socket", {"socket": "sw0.sock"}, 7, "not an absolute path"),
    ("socket not a socket", {"socket": "/etc/hostname"}, 7, "is not a unix socket"),
    ("missing socket", {"socket": "/run/dpdk_switch/dswc-nowhere.sock"}, 11, "does not exist"),
    ("old cniVersion", {"cniVersion": "0.3.1"}, 1, "cniVersion 0.3.1"),
    ("no name", {"name": None}, 7, "name: missing"),
    ("group MAC", {"runtimeConfig": {"mac": "01:00:5e:00:00:01"}}, 7, "group address"),
    ("IPAM plugin not in CNI_PATH", {"ipam": {"type": "dswc-no-such-ipam"}}, 7, "not found in CNI_PATH"),
    ("IPAM subnet invalid", {"ipam": {"type": "host-local", "subnet": "10.78.0.0/33"}}, None, ""),
]


@pytest.mark.parametrize("what,change,code,words", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_bad_config_is_a_cni_error_and_nothing_is_made(plugin, switch, namespaces, tmp_path, what, change, code, words):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam")
    for k, v in change.items():
        if v is None:
            conf.pop(k)
        elif k == "ipam":
            conf[k] = dict(v, dataDir=str(tmp_path / "ipam"))
        else:
            conf[k] = v
    a, _ = namespaces("a")
    for _ in range(2):
        rc, out, err = plugin.call("ADD", conf, a, netns_path(a))
        assert rc == 1, f"{what}: ADD succeeded: {out}"
        assert set(out) >= {"cniVersion", "code", "msg"}, out
        if code is not None:
            assert out["code"] == code, out
        assert words in out["msg"], out
        conf_for_check = dict(conf)
        conf_for_check["ipam"] = conf.get("ipam", {"dataDir": str(tmp_path / "ipam")})
        assert_nothing_left(sw, dict(conf_for_check, name=conf.get("name", "x")), a, a)


def test_bad_stdin_and_environment(plugin, switch, namespaces, tmp_path):
    sw = switch()
    conf = net_conf(sw.sock, tmp_path / "ipam")
    a, _ = namespaces("a")
    ns = netns_path(a)
    cases = [
        (dict(raw="{not json"), 6, "not JSON"),
        (dict(raw="[1, 2]"), 6, "not a JSON object"),
        (dict(env_extra={"CNI_COMMAND": "ATTACH"}), 4, "CNI_COMMAND"),
        (dict(env_drop=("CNI_CONTAINERID",)), 4, "CNI_CONTAINERID"),
        (dict(env_extra={"CNI_CONTAINERID": "-bad id"}), 4, "CNI_CONTAINERID"),
        (dict(env_drop=("CNI_NETNS",)), 4, "CNI_NETNS"),
        (dict(env_extra={"CNI_IFNAME": "a/b"}), 4, "CNI_IFNAME"),
        (dict(env_extra={"CNI_NETNS": "/run/netns/dswc-no-such-ns"}), 3, "CNI_NETNS"),
        (dict(env_extra={"CNI_NETNS": "/etc/hostname"}), 4, "CNI_NETNS"),
        (dict(env_drop=("CNI_PATH",)), 4, "CNI_PATH"),
        (dict(env_extra={"CNI_ARGS": "IgnoreUnknown=1;MAC=zz:00:00:00:00:00"}), 4, "CNI_ARGS MAC"),
    ]
    for kw, code, words in cases:
        rc, out, err = plugin.call("ADD", conf, a, ns, **kw)
        assert rc == 1 and out["code"] == code and words in out["msg"], (kw, out, err)
        assert_nothing_left(sw, conf, a, a)


def test_version(plugin):
    for stdin in ('{"cniVersion": "1.0.0"}', ""):
        rc, out, _ = plugin.call("VERSION", None, raw=stdin, ifname=None, cni_path=None)
        assert rc == 0 and out == {"cniVersion": "1.0.0", "supportedVersions": ["1.0.0"]}


def test_mac_from_cni_args_and_vlan_isolation(plugin, switch, namespaces, attachments, tmp_path):
    """Two containers in VLAN 10 reach each other; one in the default domain reaches neither."""
    sw = switch()
    base = net_conf(sw.sock, tmp_path / "ipam")
    a, _ = namespaces("a")
    b, _ = namespaces("b")
    c, _ = namespaces("c")
    rc, ra, err = plugin.call("ADD", dict(base, vlan=10), a, netns_path(a),
                              env_extra={"CNI_ARGS": "IgnoreUnknown=1;MAC=02:DC:00:00:01:0A"})
    assert rc == 0, err
    attachments.append((dict(base, vlan=10), a, a, "eth0"))
    assert ra["interfaces"][1]["mac"] == "02:dc:00:00:01:0a"
    rb = add(plugin, attachments, dict(base, vlan=10), b)
    rc_ = add(plugin, attachments, base, c)
    run(["ip", "netns", "exec", a, "ping", "-c", "2", "-i", "0.2", "-W", "2", ip_of(rb)])
    r = run(["ip", "netns", "exec", c, "ping", "-c", "2", "-i", "0.2", "-W", "1", ip_of(ra)], check=False)
    assert r.returncode != 0, "VLAN 10 is reachable from the default domain"
    assert ip_of(rc_) not in (ip_of(ra), ip_of(rb))


# --- "port": "vhost" / "memif": a socket for a DPDK app in the container -----------------------
#
#    netns dswc-<pid>-a                  dpdk_switch               (the container's DPDK app)
#    eth0 ── veth ── dswXXXX ── veth port ─┤├─ vhost|memif port ══ <socket_dir>/<id>/eth0.sock ══ testpmd icmpecho

from test_ports import testpmd  # noqa: E402,F401  (the fixture: dpdk-testpmd peers, stopped at teardown)


@pytest.mark.parametrize("mode", ["vhost", "memif"])
def test_socket_port_for_a_dpdk_app(plugin, switch, namespaces, attachments, testpmd, tmp_path, mode):
    import shutil
    import tempfile
    from pathlib import Path

    sw = switch()
    # Short: a unix socket path has at most 107 characters.
    sock_dir = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{PID}-", dir="/tmp"))
    try:
        a, _ = namespaces("a")
        b, _ = namespaces("b")
        add(plugin, attachments, net_conf(sw.sock, tmp_path / "ipam"), a)
        conf = net_conf(sw.sock, tmp_path / "ipam", port=mode, socket_dir=str(sock_dir))
        rb = add(plugin, attachments, conf, b)
        sock = sock_dir / b / "eth0.sock"
        assert rb["interfaces"] == [{"name": "eth0", "socketPath": str(sock), "sandbox": netns_path(b)}]
        assert rb["ips"][0]["interface"] == 0 and ip_of(rb).startswith("10.78.0.")
        assert sock.is_socket()
        name = attachment_name(b, "eth0")
        port = switch_ports(sw)[name]
        assert port["type"] == mode and port["peer"] == "disconnected"
        check = dict(conf, prevResult=rb)
        assert plugin.call("CHECK", check, b, netns_path(b))[0] == 0

        # The container's app connects (here testpmd, answering ping for any address).
        vdev = (f"net_virtio_user0,path={sock},queues=1" if mode == "vhost"
                else f"net_memif0,role=client,id=0,socket={sock},socket-abstract=no")
        testpmd(vdev)
        wait_for(lambda: switch_ports(sw)[name]["peer"] == "connected", 20, what=f"the {mode} peer")
        wait_for(lambda: run(["ip", "netns", "exec", a, "ping", "-c", "1", "-W", "1", "10.78.0.99"],
                             check=False).returncode == 0, 15, interval=0.2, what="a reply from the DPDK app")

        for _ in range(2):
            rc, out, err = plugin.call("DEL", conf, b, netns_path(b))
            assert rc == 0, (out, err)
        assert name not in switch_ports(sw)
        assert not sock.exists() and not (sock_dir / b).exists()
        assert ip_of(rb) not in leases(tmp_path / "ipam", conf["name"])
        rc, out, _ = plugin.call("CHECK", check, b, netns_path(b))
        assert rc == 1 and out["code"] == 102 and "is missing" in out["msg"]
    finally:
        shutil.rmtree(sock_dir, ignore_errors=True)
