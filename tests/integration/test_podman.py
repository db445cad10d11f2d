"""podman 4.3 (Debian 12) with its CNI backend runs real containers on a dpdk_switch network
through the dpdk-switch plugin: the seed's experiment (ping, and a web page fetched from the
other container) with real containers, in a private podman (scripts/podman_env.sh: its own
containers.conf, CNI directory, storage; the machine's podman is not touched).

    podman dswc-<pid>-c1 (httpd)           dpdk_switch          podman dswc-<pid>-c2 (ping, wget)
    eth0 10.79.0.x ── veth ── dswXXXX ── veth ─┤├─ veth ── dswYYYY ── veth ── eth0

`podman rm -f` leaves no port, no veth and no address lease behind."""

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from cni_plugin import CONTAINER_KIND, PREFIX, attachment_name, leases, link_exists, plugin_path
from conftest import REPO, run, wait_for

PID = os.getpid()
NETWORK = f"{PREFIX}{PID}-net"
SUBNET = "10.79.0.0/24"
PODMAN_ENV = REPO / "scripts" / "podman_env.sh"


@pytest.fixture
def podman(binaries):
    """A private podman (DIR/podman) whose network NETWORK is on the switch at the socket the
    test passes: podman(socket) -> the wrapper's path. Cleaned (containers, images) at teardown."""
    for tool in ("podman", "runc"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/install_deps.sh")
    # Not under tmp_path: podman refuses a run root path of 50 characters or more.
    d = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{PID}-", dir="/tmp")) / "podman"

    def setup(sock):
        run([PODMAN_ENV, "setup", d, NETWORK, sock, SUBNET, plugin_path(binaries).parent], timeout=120)
        return d / "podman"

    yield setup
    run([PODMAN_ENV, "clean", d], check=False, timeout=120)
    shutil.rmtree(d.parent, ignore_errors=True)


def podman_run(pm, name, *args, detach=True, check=True, timeout=60):
    cmd = [pm, "run", "--cgroupns=host", "--network", NETWORK, "--name", name]
    cmd += (["-d"] if detach else ["--rm"]) + ["dsw-busybox", *args]
    return run(cmd, timeout=timeout, check=check)


def container_pid(pm, name):
    return run([pm, "inspect", "-f", "{{.State.Pid}}", name]).stdout.strip()


def container_addr(pm, name):
    """eth0's (ip, mac) as the container sees it."""
    pid = container_pid(pm, name)
    link = json.loads(run(["nsenter", "-t", pid, "-n", "ip", "-j", "addr", "show", "eth0"]).stdout)[0]
    ip = next(a["local"] for a in link["addr_info"] if a["family"] == "inet")
    return ip, link["address"]


def test_podman_containers_talk_through_the_switch(podman, switch):
    sw = switch()
    pm = podman(sw.sock)
    c1, c2 = f"{PREFIX}{PID}-c1", f"{PREFIX}{PID}-c2"
    podman_run(pm, c1, "httpd", "-f", "-p", "80", "-h", "/www")
    podman_run(pm, c2, "sleep", "600")
    ip1, mac1 = container_addr(pm, c1)
    ip2, mac2 = container_addr(pm, c2)
    assert ip1.startswith("10.79.0.") and ip2.startswith("10.79.0.") and ip1 != ip2

    # Each container's host end is a port of the switch (podman's container id is CNI's).
    ids = {c: run([pm, "inspect", "-f", "{{.Id}}", c]).stdout.strip() for c in (c1, c2)}
    port1, port2 = attachment_name(ids[c1], "eth0"), attachment_name(ids[c2], "eth0")
    ports = {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}
    assert set(ports) == {port1, port2}
    assert all(p["type"] == CONTAINER_KIND for p in ports.values())

    # ping, then a page served by httpd in c1 fetched with wget from c2 (busybox's wget -T
    # crashes on this machine; plain wget -q -O - works).
    r = run([pm, "exec", c2, "ping", "-c", "3", ip1])
    assert "3 packets received" in r.stdout, r.stdout
    body = wait_for(lambda: run([pm, "exec", c2, "wget", "-q", "-O", "-", f"http://{ip1}/"], check=False).stdout,
                    10, interval=0.5, what="httpd in c1 to answer")
    assert "Hello from a podman container on dpdk_switch" in body

    # The MACs learned behind their ports.
    macs = {(e["mac"], e["port"]) for e in sw.ctl("show", "mac", "table")["entries"]}
    assert (mac1, port1) in macs and (mac2, port2) in macs, macs

    # podman's own view of the network: the address it got from the plugin's result.
    nets = json.loads(run([pm, "inspect", "-f", "{{json .NetworkSettings.Networks}}", c1]).stdout)
    assert nets[NETWORK]["IPAddress"] == ip1

    # podman rm -f: CNI DEL takes the port, the veth and the lease.
    ipam_dir = pm.parent / "ipam"
    assert sorted(leases(ipam_dir, NETWORK)) == sorted([ip1, ip2])
    run([pm, "rm", "-f", "-t", "0", c1])
    assert port1 not in {p["name"] for p in sw.ctl("show", "port", "info", "all")["ports"]}
    assert not link_exists(port1)
    assert leases(ipam_dir, NETWORK) == [ip2]
    assert mac1 not in {e["mac"] for e in sw.ctl("show", "mac", "table")["entries"]}
    run([pm, "rm", "-f", "-t", "0", c2])
    assert sw.ctl("show", "port", "info", "all")["ports"] == []
    assert not link_exists(port2)
    assert leases(ipam_dir, NETWORK) == []


def test_podman_run_with_the_switch_down_fails_cleanly(podman, switch):
    sw = switch()
    pm = podman(sw.sock)
    assert sw.stop() == 0
    c1 = f"{PREFIX}{PID}-c1"
    r = podman_run(pm, c1, "true", check=False)
    assert r.returncode != 0
    assert "does not exist (is dpdk_switch running?)" in r.stderr, r.stderr
    cid = run([pm, "ps", "-a", "--no-trunc", "--filter", f"name={c1}", "--format", "{{.ID}}"]).stdout.strip()
    run([pm, "rm", "-f", "-t", "0", c1], check=False)
    assert leases(pm.parent / "ipam", NETWORK) == []
    if cid:
        assert not link_exists(attachment_name(cid, "eth0"))


def test_podman_demo_script(binaries):
    env = dict(os.environ, DSW_BUILD_DIR=str(binaries.switch.parent.parent))
    r = subprocess.run([str(REPO / "scripts" / "podman_demo.sh")], capture_output=True, text=True, timeout=300, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "3 packets received" in out, out[-3000:]
    assert "Hello from a podman container on dpdk_switch" in out, out[-3000:]
    assert "podman_demo: cleaned up" in out
