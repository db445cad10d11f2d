"""README command 1, scripts/demo.sh, as a user runs it: two containers talk through the switch
(ping and an HTTP fetch), and it leaves nothing behind."""
import os
import subprocess

from conftest import DPDK_RUNTIME_DIR, REPO

DEMO_NAMESPACES = ("dsw-c1", "dsw-c2")
DEMO_HOSTIFS = ("dsw-v1", "dsw-v2")


def netns_names():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def test_demo_shows_two_containers_talking_and_cleans_up(binaries):
    # The build the other tests use (DSW_BUILD_DIR: demo.sh then does not build).
    env = dict(os.environ, DSW_BUILD_DIR=str(binaries.switch.parent.parent))
    r = subprocess.run([str(REPO / "scripts" / "demo.sh")], capture_output=True, text=True, timeout=240, env=env)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "3 packets transmitted, 3 received" in out, out[-3000:]
    assert "Hello from dsw-c2" in out, out[-3000:]        # the page served in c2, fetched from c1
    assert "demo: cleaned up" in out

    # Nothing left: namespaces, veths, the control socket, EAL's runtime directory.
    assert not netns_names() & set(DEMO_NAMESPACES)
    for ifname in DEMO_HOSTIFS:
        assert subprocess.run(["ip", "link", "show", ifname], capture_output=True).returncode != 0, ifname
    assert not os.path.exists("/run/dpdk_switch/demo.sock")
    assert not (DPDK_RUNTIME_DIR / "demo").exists()
