"""Helpers the VXLAN integration tests share (test_vxlan.py, test_vxlan_gateway.py,
test_vxlan_ovs.py, test_vxlan_vtap.py): commands in a namespace, containers with the MTU a VXLAN
overlay leaves them, host B's kernel VTEP with its container, a broadcast frame counted where it
arrives, and an HTTP download's sha256."""

import hashlib
import subprocess
import textwrap
import time

from conftest import run

CONTAINER_MTU = 1450   # the underlay's 1500 less VXLAN's 50
PY = "/usr/bin/python3"   # Debian's: it has scapy


def ns_exec(ns, *args, check=True, timeout=30):
    return run(["ip", "netns", "exec", ns, *args], check=check, timeout=timeout)


def del_namespaces(*names):
    """Kills what runs in each namespace, then deletes it (gone already: nothing to do)."""
    for ns in names:
        for pid in run(["ip", "netns", "pids", ns], check=False).stdout.split():
            run(["kill", "-9", pid], check=False)
        run(["ip", "netns", "del", ns], check=False)


def fetch_sha256(ns, url, out, sw, tries=20, max_time=20, diagnose=None):
    """sha256 of what curl in `ns` got from url into file `out` (the server given `tries` quarter
    seconds to listen first; `max_time` seconds for the transfer). A failed fetch shows what
    `diagnose()` returns, by default switch `sw`'s drops on its underlay up0 and its VTEP."""
    r = None
    for _ in range(tries):
        r = run(["ip", "netns", "exec", ns, "curl", "-sS", "--max-time", str(max_time), "-o", out, url],
                check=False, timeout=max_time + 30)
        if r.returncode != 7:   # 7: connection refused, the server not listening yet
            break
        time.sleep(0.25)
    if r.returncode != 0:
        why = diagnose() if diagnose else (sw.port_stats()["up0"]["drops"], sw.ctl("show", "vxlan")["vteps"][0])
        raise AssertionError((r.stderr, why))
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def drops_and_segmented(sw, *ports):
    """Each port's drops and software-segmented count: what a failed transfer through `ports` shows."""
    stats = sw.port_stats()
    return {p: (stats[p]["drops"], stats[p]["gso_segmented"]) for p in ports}


# Host B's container, behind its kernel VTEP.
B1_IP, B1_MAC = "10.77.0.99", "02:42:0a:4d:00:63"


def kernel_vtep(hb, b1, b1_host, underlay, vni, local, remote):
    """Host B's half of the overlay, in namespace `hb` (which holds `underlay`, addressed `local`):
    the kernel's vxlan vx0 (VNI `vni`, to `remote` on UDP 4789) on a Linux bridge, and container
    `b1` (a namespace: eth0 with B1_IP/24, B1_MAC, the overlay's MTU and no IPv6) on the bridge through
    veth `b1_host`."""
    h = lambda *a: ns_exec(hb, *a)
    h("ip", "link", "add", "vx0", "type", "vxlan", "id", str(vni), "remote", remote, "local", local,
      "dstport", "4789", "dev", underlay)
    h("ip", "link", "add", "br0", "type", "bridge")
    h("ip", "link", "set", "vx0", "master", "br0")
    run(["ip", "link", "add", b1_host, "type", "veth", "peer", "name", "eth0", "netns", b1])
    run(["ip", "link", "set", b1_host, "netns", hb])
    h("ip", "link", "set", b1_host, "master", "br0")
    for dev in ("vx0", "br0", b1_host):
        h("ip", "link", "set", dev, "up")
    b = lambda *a: ns_exec(b1, *a)
    b("sysctl", "-qw", "net.ipv6.conf.eth0.disable_ipv6=1")   # quiet: only the tests' frames
    b("ip", "link", "set", "eth0", "address", B1_MAC, "mtu", str(CONTAINER_MTU))
    b("ip", "addr", "add", f"{B1_IP}/24", "dev", "eth0")
    b("ip", "link", "set", "eth0", "up")


def vxlan_container(c):
    """A conftest container made ready for an af_packet port behind a VTEP."""
    c.exec("ip", "link", "set", "eth0", "mtu", str(CONTAINER_MTU))
    c.exec("ethtool", "-K", "eth0", "tx", "off")   # af_packet ports carry no checksum offload yet
    return c


# One broadcast frame of an experimental ethertype (0x88b5): no ARP proxy or stack answers it, so
# every copy that arrives is one the VTEPs delivered.
BCAST_SENDER = textwrap.dedent("""
    import socket, sys
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind(("eth0", 0))
    src = open("/sys/class/net/eth0/address").read().strip()
    frame = b"\\xff" * 6 + bytes.fromhex(src.replace(":", "")) + b"\\x88\\xb5" + b"dswx-bcast" + bytes(40)
    s.send(frame)
""")

BCAST_COUNTER = textwrap.dedent("""
    import socket, sys, time
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x88b5))
    s.bind(("eth0", 0))
    s.settimeout(0.2)
    print("ready", flush=True)
    n, end = 0, time.time() + float(sys.argv[1])
    while time.time() < end:
        try:
            if b"dswx-bcast" in s.recv(2048):
                n += 1
        except socket.timeout:
            pass
    print(n, flush=True)
""")


def count_broadcast(send_ns, receive_nss, seconds=3):
    """Sends one BCAST_SENDER frame from send_ns's eth0; how many copies each of receive_nss's
    eth0 saw within `seconds`, in their order."""
    counters = [subprocess.Popen(["ip", "netns", "exec", ns, PY, "-c", BCAST_COUNTER, str(seconds)],
                                 stdout=subprocess.PIPE, text=True) for ns in receive_nss]
    try:
        for c in counters:
            assert c.stdout.readline().strip() == "ready"
        ns_exec(send_ns, PY, "-c", BCAST_SENDER)
        return [int(c.communicate(timeout=seconds + 10)[0].strip()) for c in counters]
    finally:
        for c in counters:
            if c.poll() is None:
                c.kill()
                c.wait()
