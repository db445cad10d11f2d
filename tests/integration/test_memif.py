"""memif ports (the switch's own memif I/O, ports/memif.cc) against peers that die under
traffic, a memif server the switch connects to as client, sockets that come and go, and peers
with the right or a wrong `secret` (hostile clients: test_memif_hostile.py).

  c1 (netns) eth0 10.77.0.2 --veth-- af_packet "c1" -+               +- memif "app1" (server or client)
  c2 (netns) eth0 10.77.0.3 --veth-- af_packet "c2" -+  dpdk_switch  |    == memif socket ==
                                                                     |    dpdk-testpmd net_memif0 (icmpecho),
                                                                     |    or a hostile memif client in Python

testpmd answers ARP and ICMP echo for any address: c1's ping to PEER_IP crosses the switch to it
and back. testpmd runs on CPU 0 (--no-huge, its own file prefix): the switch's worker keeps CPU 1.
"""

import json
import os
import socket
import struct
import subprocess
import time

import pytest

from conftest import af_packet_ports, wait_for
from memif_peer import ACK, CONNECT, CONNECTED, DISCONNECT, RING, MemifClient, client_vdev, memif_port, wait_said
from test_ports import PEER_IP, port_info, sock_path, testpmd, wait_link, wait_ping  # noqa: F401 (fixtures)

KILL_ROUNDS = 12


def test_memif_peer_killed_under_traffic_again_and_again(netns, switch, testpmd, sock_path):
    """The peer is SIGKILLed while c1 floods it with pings, KILL_ROUNDS times: the switch lives
    on, the link goes down, and comes back with the next peer, whose replies flow again.
    (DPDK 22.11's net_memif unmapped the rings under the worker here: SIGSEGV.)"""
    c1 = netns()
    sock = sock_path("memif-kill")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock)])
    flood = c1.popen("ping", "-n", "-q", "-i", "0.002", "-W", "1", PEER_IP,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for i in range(KILL_ROUNDS):
        peer = testpmd(client_vdev(sock))
        wait_link(sw, "app1", True, timeout=20)
        rx0 = sw.port_stats()["app1"]["rx_packets"]
        wait_for(lambda: sw.port_stats()["app1"]["rx_packets"] > rx0 + 100, 15,
                 what=f"round {i}: echo replies from the peer under the flood")
        peer.stop(kill=True)
        assert sw.proc.poll() is None, f"round {i}: the switch died when its memif peer was killed"
        wait_link(sw, "app1", False)
        assert sw.proc.poll() is None, f"round {i}: the switch died after its memif peer was killed"
    flood.terminate()
    assert sw.log().count("port app1: link down (peer gone") == KILL_ROUNDS


def test_memif_client_role_against_a_testpmd_server(netns, switch, testpmd, sock_path):
    """role: client: the switch connects to testpmd's net_memif server (and keeps retrying
    while there is none): traffic both ways, and back after the server is killed (under a ping
    flood) and restarted, three times."""
    c1 = netns()
    sock = sock_path("memif-srv")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock, role="client")])
    assert port_info(sw, "app1")["peer"] == "disconnected"
    vdev = f"net_memif0,role=server,id=0,socket={sock},socket-abstract=no,mac=02:00:00:00:bb:01"
    flood = None
    for round_ in range(3):
        peer = testpmd(vdev)
        wait_link(sw, "app1", True, timeout=20)
        assert port_info(sw, "app1")["peer"] == "connected"
        wait_ping(c1, PEER_IP)
        stats = sw.port_stats()["app1"]
        assert stats["rx_packets"] > 0 and stats["tx_packets"] > 0, stats
        if flood is None:
            flood = c1.popen("ping", "-n", "-q", "-i", "0.002", "-W", "1", PEER_IP,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rx0 = stats["rx_packets"]
        wait_for(lambda: sw.port_stats()["app1"]["rx_packets"] > rx0 + 100, 15, what="replies under the flood")
        peer.stop(kill=True)
        wait_link(sw, "app1", False)
        assert sw.proc.poll() is None, f"round {round_}: the switch died when its memif server was killed"
        sock.unlink(missing_ok=True)   # a killed net_memif server leaves its socket file
    flood.terminate()
    assert "port app1: link up (peer connected)" in sw.log()


def test_memif_server_takes_a_stale_socket_and_comes_and_goes_at_run_time(netns, switch, sock_path):
    """A socket file a dead process left is taken over; `port del` removes the socket file, and
    `port add` listens on it again."""
    c1 = netns()
    sock = sock_path("memif-stale")
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    dead.bind(str(sock))   # bound, never unlinked: what a killed server leaves
    dead.close()
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock)])
    assert f"removed stale socket {sock}" in sw.log()
    cl = MemifClient(sock).connect()
    wait_link(sw, "app1", True)
    assert sw.ctl("port", "del", "app1")["ok"] is True
    assert cl.recv()[0] in (DISCONNECT, None), "the peer is told, or its socket closes"
    cl.close()
    assert not sock.exists(), "port del removes its socket file"
    assert sw.ctl("port", "add", "app1", "memif", f"socket={sock}")["ok"] is True
    cl = MemifClient(sock).connect()
    wait_link(sw, "app1", True)
    assert port_info(sw, "app1")["peer"] == "connected"
    cl.close()
    wait_link(sw, "app1", False)


def test_two_memif_ids_on_one_socket(netns, switch, sock_path):
    """Two server ports on one socket, ids 0 and 1 (as VPP has several interfaces on one socket):
    each client reaches the port its INIT names, whichever port's thread accepted it; an id
    nobody has is refused; deleting one port leaves the other listening."""
    c1 = netns()
    sock = sock_path("memif-ids")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock), {**memif_port(sock, id=1), "name": "app2"}])
    a = MemifClient(sock).connect()          # id 0
    cl = MemifClient(sock)
    cl.init(ident=1).expect(ACK)
    cl.region().expect(ACK)
    cl.ring(True, 0).expect(ACK)
    cl.ring(False, RING).expect(ACK)
    cl.send(CONNECT, struct.pack("<32s", b"second"))
    cl.expect(CONNECTED)
    wait_link(sw, "app1", True)
    wait_link(sw, "app2", True)
    off, n = cl.arp_frame(0)
    cl.desc(0, n, off)
    cl.c2s_head(1)
    wait_for(lambda: sw.port_stats()["app2"]["rx_packets"] >= 1, 10, what="app2 to receive its client's frame")
    assert sw.port_stats()["app1"]["rx_packets"] == 0
    nobody = MemifClient(sock).init(ident=5)
    wait_for(lambda: "no interface of id 5 on this socket" in sw.log(), 10, what="id 5 refused")
    assert nobody.recv()[0] in (DISCONNECT, None)
    nobody.close()
    assert sw.ctl("port", "del", "app1")["ok"] is True
    a.close()
    assert sock.exists(), "app2 still listens on it"
    cl.close()
    wait_link(sw, "app2", False)
    again = MemifClient(sock)
    again.init(ident=1).expect(ACK)
    again.close()


# --- secret ---------------------------------------------------------------------------------------

SECRET = "Qx7-s3cr3t"


def assert_never_up(sw, name, seconds=2.0):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        assert port_info(sw, name)["link_up"] is False, f"port {name} came up for a peer it refused"
        time.sleep(0.2)


def test_memif_secret_server_takes_only_a_client_with_its_secret(netns, switch, testpmd, sock_path):
    """A server port with `secret`: a testpmd client with another secret, a client with none and
    one whose secret only starts with ours are refused (DISCONNECT, "secret mismatch" in the log) and the link stays down; then testpmd
    with the same secret connects and pings cross. The secret is in no log and no port info."""
    c1 = netns()
    sock = sock_path("memif-secret")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock, secret=SECRET)])
    info = port_info(sw, "app1")
    assert info["secret_set"] is True
    assert SECRET not in json.dumps(info) and SECRET not in sw.ctl("show", "port", "info", "app1", json=False)

    wrong = testpmd(client_vdev(sock) + ",secret=Qx7-s3cr3u")
    wait_said(sw, "memif handshake failed: secret mismatch", "the switch to refuse testpmd's wrong secret")
    assert_never_up(sw, "app1")
    wrong.stop()

    for sent, reason in ((b"", "secret mismatch: the client sent none"),
                         (SECRET.encode() + b"x", "secret mismatch: the client sent another")):
        before = sw.log().count(reason)
        cl = MemifClient(sock).init(secret=sent)
        t, body = cl.recv()
        assert t == DISCONNECT and reason.encode() in body, (t, body[:100])
        cl.close()
        wait_for(lambda: sw.log().count(reason) > before, 10, what=f"the switch to log: {reason}")
    assert port_info(sw, "app1")["peer"] == "disconnected"

    peer = testpmd(client_vdev(sock) + f",secret={SECRET}")
    wait_link(sw, "app1", True, timeout=20)
    wait_ping(c1, PEER_IP)
    stats = sw.port_stats()["app1"]
    assert stats["rx_packets"] > 0 and stats["tx_packets"] > 0, stats
    peer.stop()
    wait_link(sw, "app1", False)
    # The Python client with the secret too, after all those refusals.
    cl = MemifClient(sock).connect(secret=SECRET.encode())
    wait_link(sw, "app1", True)
    cl.close()
    assert SECRET not in sw.log()


def test_memif_server_without_a_secret_takes_any_client(netns, switch, sock_path):
    """No `secret`: a client that sends one connects all the same (as VPP's and net_memif's
    servers take it); `show port info` says the port has none."""
    c1 = netns()
    sock = sock_path("memif-nosecret")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock)])
    assert port_info(sw, "app1")["secret_set"] is False
    cl = MemifClient(sock).connect(secret=b"anything")
    wait_link(sw, "app1", True)
    cl.close()


def test_memif_secret_client_role_against_a_testpmd_server(netns, switch, testpmd, sock_path):
    """role: client with `secret` against testpmd's net_memif server with another secret: testpmd
    refuses it ("Incorrect secret", not "Secret required": ours was sent), the link stays down.
    `port add ... secret=<the same>` at run time then connects, and pings cross. (Wrong first:
    DPDK 22.11's net_memif server may crash when a connected client leaves under traffic.)"""
    c1 = netns()
    sock = sock_path("memif-secret-srv")
    sw = switch(af_packet_ports(c1=c1) + [memif_port(sock, role="client", secret="Qx7-wrong")])
    vdev = (f"net_memif0,role=server,id=0,socket={sock},socket-abstract=no,mac=02:00:00:00:bb:01,"
            f"secret={SECRET}")
    server = testpmd(vdev)
    wait_said(sw, "the peer disconnected: Incorrect secret", "testpmd to refuse the wrong secret")
    assert_never_up(sw, "app1")
    assert server.proc.poll() is None, "testpmd died refusing the secret"

    assert sw.ctl("port", "del", "app1")["ok"] is True
    assert sw.ctl("port", "add", "app1", "memif", f"socket={sock}", "role=client", f"secret={SECRET}")["ok"] is True
    assert port_info(sw, "app1")["secret_set"] is True
    wait_link(sw, "app1", True, timeout=20)
    wait_ping(c1, PEER_IP)
    assert SECRET not in sw.log()


def test_memif_relative_socket_is_in_the_run_directory(netns, switch, sock_path, tmp_path):
    """A memif socket by a relative name, in the config or `port add`, is in the run directory
    /run/dpdk_switch (as VPP's runtime dir), not in the directory the switch was started from;
    `show port info` and `save config` give the resolved path."""
    sock, added = sock_path("memif-relative"), sock_path("memif-relative-add")
    assert str(sock.parent) == "/run/dpdk_switch"
    sw = switch([memif_port(sock.name)])
    assert str(sock) in port_info(sw, "app1")["attached_to"]
    assert sw.ctl("port", "add", "app2", "memif", f"socket={added.name}")["ok"] is True
    assert str(added) in port_info(sw, "app2")["attached_to"]
    for s in (sock, added):
        assert s.is_socket(), f"{s} is not there"
        assert not os.path.exists(s.name), "the switch's working directory (ours) holds the socket"
        cl = MemifClient(s).connect()
        cl.close()
    saved = tmp_path / "saved.yaml"
    assert sw.ctl("save", "config", str(saved))["ok"] is True
    text = saved.read_text()
    assert str(sock) in text and str(added) in text, text


