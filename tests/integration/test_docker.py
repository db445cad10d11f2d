"""scripts/dsw-docker plugs containers started with `--network none` into the switch, as
ovs-docker does for OVS, through the CNI plugin's own code path (it runs dpdk-switch with the CNI
environment, the netns found by the container's pid).

    container d1 (httpd)                  dpdk_switch               container d2
    eth0 10.80.0.2 ── veth ── dswXXXX ── veth port ─┤├─ veth port ── dswYYYY ── veth ── eth0 10.80.0.3

Two runs: processes in their own network namespace (`unshare -n`, CONTAINER = pid:N), standing in
for any runtime's container, and real docker containers under a private dockerd (its own data and
run directories and socket; no iptables, no docker0 bridge: containers come with --network none)."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from cni_plugin import CONTAINER_KIND, PREFIX, attachment_name, link_exists, plugin_path
from conftest import REPO, run, wait_for

PID = os.getpid()
DSW_DOCKER = REPO / "scripts" / "dsw-docker"


def dsw_docker(binaries, sw, *args, env_extra=None, check=True):
    env = dict(os.environ, DSW_CNI_PLUGIN=str(plugin_path(binaries)), **(env_extra or {}))
    p = subprocess.run([str(DSW_DOCKER), *args, "--socket", str(sw.sock)], capture_output=True, text=True,
                       timeout=60, env=env)
    if check:
        assert p.returncode == 0, f"dsw-docker {' '.join(args)}: {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p


def port_names(sw):
    return {p["name"]: p for p in sw.ctl("show", "port", "info", "all")["ports"]}


def test_dsw_docker_on_unshared_processes(binaries, switch):
    sw = switch()
    procs = [subprocess.Popen(["unshare", "-n", "sleep", "600"]) for _ in range(2)]
    try:
        time.sleep(0.2)
        pids = [p.pid for p in procs]
        # unshare execs sleep in the new namespace: the pid's netns is the container's.
        wait_for(lambda: all(os.readlink(f"/proc/{p}/ns/net") != os.readlink("/proc/self/ns/net") for p in pids),
                 5, what="the unshared namespaces")
        dsw_docker(binaries, sw, "add-port", f"pid:{pids[0]}", "10.80.0.2/24", "--vlan", "7")
        dsw_docker(binaries, sw, "add-port", f"pid:{pids[1]}", "10.80.0.3/24", "--vlan", "7", "--mac", "02:dc:00:00:07:03")
        names = [attachment_name(f"pid-{p}", "eth0") for p in pids]
        ports = port_names(sw)
        assert all(ports[n]["type"] == CONTAINER_KIND and ports[n]["vlan"] == 7 for n in names), ports
        run(["nsenter", "-t", pids[0], "-n", "ping", "-c", "2", "-i", "0.2", "-W", "2", "10.80.0.3"])
        macs = {(e["mac"], e["port"]) for e in sw.ctl("show", "mac", "table")["entries"]}
        assert ("02:dc:00:00:07:03", names[1]) in macs

        # A second add-port of the same container is refused (eth0 exists), nothing changes.
        p = dsw_docker(binaries, sw, "add-port", f"pid:{pids[0]}", "10.80.0.9/24", check=False)
        assert p.returncode == 1 and "already exists" in p.stderr
        for _ in range(2):
            for pid in pids:
                dsw_docker(binaries, sw, "del-port", f"pid:{pid}")
        assert port_names(sw) == {}
        assert not any(link_exists(n) for n in names)
    finally:
        for p in procs:
            p.kill()
            p.wait()


@pytest.fixture
def dockerd():
    """A private dockerd: (environment with DOCKER_HOST, docker CLI). Fails loudly when dockerd
    does not run here."""
    for tool in ("dockerd", "docker"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run scripts/install_deps.sh (docker.io)")
    d = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{PID}-dk", dir="/tmp"))
    sock = d / "docker.sock"
    log = open(d / "dockerd.log", "w")
    proc = subprocess.Popen(["dockerd", "--data-root", d / "data", "--exec-root", d / "exec", "--pidfile", d / "docker.pid",
                             "-H", f"unix://{sock}", "--iptables=false", "--ip6tables=false", "--bridge=none",
                             "--storage-driver", "vfs"], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    env = dict(os.environ, DOCKER_HOST=f"unix://{sock}")
    docker = shutil.which("docker")

    def ready():
        if proc.poll() is not None:
            raise AssertionError(f"dockerd exited {proc.returncode}:\n{(d / 'dockerd.log').read_text()[-3000:]}")
        return subprocess.run([docker, "info"], env=env, capture_output=True).returncode == 0

    try:
        wait_for(ready, 60, interval=0.5, what="dockerd to answer")
        yield env, docker
    finally:
        subprocess.run([docker, "rm", "-f", f"{PREFIX}{PID}-d1", f"{PREFIX}{PID}-d2"], env=env, capture_output=True)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        print((d / "dockerd.log").read_text()[-2000:])
        shutil.rmtree(d, ignore_errors=True)


def test_dsw_docker_on_docker_containers(binaries, switch, dockerd, tmp_path):
    env, docker = dockerd

    def dk(*args, check=True):
        p = subprocess.run([docker, *map(str, args)], env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert p.returncode == 0, f"docker {' '.join(map(str, args))}: {p.stdout}{p.stderr}"
        return p.stdout.strip()

    # The image: Debian's busybox-static, imported (nothing can be pulled here).
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    (root / "www").mkdir()
    shutil.copy("/bin/busybox", root / "bin" / "busybox")
    for t in ("sh", "ip", "ping", "wget", "httpd", "sleep"):
        (root / "bin" / t).symlink_to("busybox")
    (root / "www" / "index.html").write_text("Hello from a docker container on dpdk_switch\n")
    run(["tar", "-C", root, "-cf", tmp_path / "bb.tar", "."])
    dk("import", "-c", 'CMD ["/bin/sh"]', tmp_path / "bb.tar", "dsw-busybox")

    sw = switch()
    d1, d2 = f"{PREFIX}{PID}-d1", f"{PREFIX}{PID}-d2"
    dk("run", "-d", "--network", "none", "--name", d1, "dsw-busybox", "httpd", "-f", "-p", "80", "-h", "/www")
    dk("run", "-d", "--network", "none", "--name", d2, "dsw-busybox", "sleep", "600")
    denv = {"DOCKER_HOST": env["DOCKER_HOST"]}
    dsw_docker(binaries, sw, "add-port", d1, "10.80.0.2/24", env_extra=denv)
    dsw_docker(binaries, sw, "add-port", d2, "10.80.0.3/24", "--gateway", "10.80.0.1", env_extra=denv)
    ids = [dk("inspect", "-f", "{{.Id}}", c) for c in (d1, d2)]
    names = [attachment_name(i, "eth0") for i in ids]
    assert set(port_names(sw)) == set(names)

    assert "2 packets received" in dk("exec", d2, "ping", "-c", "2", "10.80.0.2")
    body = wait_for(lambda: dk("exec", d2, "wget", "-q", "-O", "-", "http://10.80.0.2/", check=False),
                    10, interval=0.5, what="httpd in d1")
    assert "Hello from a docker container on dpdk_switch" in body
    assert "default via 10.80.0.1 dev eth0" in dk("exec", d2, "ip", "route")
    macs = {e["port"] for e in sw.ctl("show", "mac", "table")["entries"]}
    assert set(names) <= macs

    for c in (d1, d2):
        dsw_docker(binaries, sw, "del-port", c, env_extra=denv)
    assert port_names(sw) == {}
    assert not any(link_exists(n) for n in names)
    assert "eth0" not in dk("exec", d1, "ip", "link")
