"""Helpers the VXLAN integration tests share (test_vxlan.py, test_vxlan_ovs.py): commands in a
namespace, containers with the MTU a VXLAN overlay leaves them, and a broadcast frame counted
where it arrives."""

import subprocess
import textwrap

from conftest import run

CONTAINER_MTU = 1450   # the underlay's 1500 less VXLAN's 50
PY = "/usr/bin/python3"   # Debian's: it has scapy


def ns_exec(ns, *args, check=True, timeout=30):
    return run(["ip", "netns", "exec", ns, *args], check=check, timeout=timeout)


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
