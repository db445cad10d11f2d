"""memif ports against a hostile client in Python (memif_peer.MemifClient): descriptors that
lie, handshakes that break every rule, and clients that squat on the handshake (INIT then nothing,
or no INIT at all) to keep an honest client out. The switch stays up, each refusal is logged, and
an honest client connects afterwards.

  c1 (netns) eth0 10.77.0.2 --veth-- af_packet "c1" -+               +- memif "app1" (server)
  c2 (netns) eth0 10.77.0.3 --veth-- af_packet "c2" -+  dpdk_switch  |    == memif socket ==
                                                                     |    a hostile memif client in Python
"""

import struct
import time

from conftest import af_packet_ports, wait_for
from memif_peer import (ACK, ADD_REGION, CONNECT, DISCONNECT, HELLO, REGION, RING, SLOTS, MemifClient,
                        memif_port, wait_said)
from test_ports import port_info, sock_path, wait_link  # noqa: F401 (fixtures)


def test_memif_hostile_client_descriptors(netns, switch, sock_path):
    """A client that completes the handshake and then writes descriptors that lie: each ends
    its connection with the reason logged; the switch stays up and c1 <-> c2 keep forwarding."""
    c1, c2 = netns(), netns()
    sock = sock_path("memif-hostile")
    sw = switch(af_packet_ports(c1=c1, c2=c2) + [memif_port(sock)])
    # An honest frame first: it is switched (flooded to c1 and c2).
    cl = MemifClient(sock).connect()
    wait_link(sw, "app1", True)
    off, n = cl.arp_frame(0)
    cl.desc(0, n, off)
    cl.c2s_head(1)
    wait_for(lambda: sw.port_stats()["app1"]["rx_packets"] >= 1, 10, what="the honest frame to be received")
    cl.close()
    wait_link(sw, "app1", False)

    cases = [
        ("a region it never added", lambda c, off, n: (c.desc(0, n, off, region=3), c.c2s_head(1)),
         "a descriptor names a region it never added"),
        ("an offset past the region", lambda c, off, n: (c.desc(0, n, REGION + 4096), c.c2s_head(1)),
         "a descriptor's offset and length run past its region"),
        ("a length over the buffer and region", lambda c, off, n: (c.desc(0, 0xFFFFFF00, off), c.c2s_head(1)),
         "a descriptor's offset and length run past its region"),
        ("a NEXT chain without end", lambda c, off, n: ([c.desc(s, n, off, flags=1) for s in range(SLOTS)],
                                                        c.c2s_head(SLOTS)),
         "a chain of descriptors runs past the slots produced"),
        ("a head far past the ring", lambda c, off, n: c.c2s_head(1000), "a ring index it moved is out of the ring"),
    ]
    for what, lie, reason in cases:
        before = sw.log().count(reason)
        cl = MemifClient(sock).connect()
        wait_link(sw, "app1", True)
        off, n = cl.arp_frame(0)
        lie(cl, off, n)
        wait_for(lambda: sw.log().count(reason) > before, 10, what=f"the switch to refuse {what}")
        t, body = cl.recv()
        assert t in (DISCONNECT, None), (what, t)
        cl.close()
        wait_link(sw, "app1", False)
        assert sw.proc.poll() is None, f"the switch died on {what}"
    c1.ping(c2.ip)
    assert "memif peer disconnected: the peer broke the ring" in sw.log()


def test_memif_hostile_client_handshake(netns, switch, sock_path):
    """Garbage, messages out of turn, counts it never advertised, a region fd smaller than its
    claim or unsealed, a ring outside its region: each a logged refusal, the switch stays up,
    and an honest client connects afterwards."""
    c1, c2 = netns(), netns()
    sock = sock_path("memif-garbage")
    sw = switch(af_packet_ports(c1=c1, c2=c2) + [memif_port(sock)])

    def garbage(c):
        c.expect(HELLO)
        c.s.send(b"\x07" * 10)

    def out_of_turn(c):
        c.expect(HELLO)
        c.send(ADD_REGION, struct.pack("<HQ", 0, 4096))

    def wrong_id(c):
        c.init(ident=9)

    def small_fd(c):
        c.init().expect(ACK)
        c.region(size=4096, claim=1 << 20)

    def unsealed(c):
        c.init().expect(ACK)
        c.region(seal=False)

    def ring_outside(c):
        c.init().expect(ACK)
        c.region().expect(ACK)
        c.ring(True, REGION - 64)

    def second_ring(c):
        c.init().expect(ACK)
        c.region().expect(ACK)
        c.ring(True, 0).expect(ACK)
        c.ring(True, RING)

    def early_connect(c):
        c.init().expect(ACK)
        c.region().expect(ACK)
        c.send(CONNECT, b"x")

    def no_fd(c):
        c.init().expect(ACK)
        c.send(ADD_REGION, struct.pack("<HQ", 0, 4096))

    cases = [
        (garbage, "a message of 10 bytes"),
        (out_of_turn, "unexpected add_region message during the handshake"),
        (wrong_id, "no interface of id 9"),
        (small_fd, "claims 1048576 bytes, its fd has 4096"),
        (unsealed, "not sealed against shrinking"),
        (ring_outside, "is not inside its region"),
        (second_ring, "C2S ring 0 added twice"),
        (early_connect, "CONNECT before both rings were added"),
        (no_fd, "ADD_REGION without an fd"),
    ]
    for act, reason in cases:
        cl = MemifClient(sock)
        act(cl)
        wait_said(sw, reason, f"the switch to refuse: {reason}")
        t, body = cl.recv()
        assert t in (DISCONNECT, None), (reason, t, body[:100])
        if t == DISCONNECT:
            assert reason.split(" (")[0] in body[4:].split(b"\0")[0].decode(), body[:100]
        cl.close()
        assert sw.proc.poll() is None, f"the switch died on: {reason}"
        assert port_info(sw, "app1")["peer"] == "disconnected"
    c1.ping(c2.ip)
    cl = MemifClient(sock).connect()
    wait_link(sw, "app1", True)
    cl.close()


def test_memif_client_stalled_after_init_yields_to_the_next(netns, switch, sock_path):
    """A client that sends INIT and then nothing holds the interface only until its handshake
    stalled (200 ms): the next client takes it, and the stalled one is told. Before, the next
    was refused for the whole 5 s handshake timeout, so a client that stalled again and again
    kept every other out."""
    sock = sock_path("memif-stall")
    sw = switch([memif_port(sock)])
    stalled = MemifClient(sock).init()
    stalled.expect(ACK)
    time.sleep(0.5)   # past the 200 ms after which a handshake counts as stalled
    honest = MemifClient(sock).connect()   # each ACK checked: refused here before
    wait_link(sw, "app1", True)
    assert stalled.recv()[0] in (DISCONNECT, None), "the stalled client is told, or its socket closes"
    assert "its handshake stalled after INIT" in sw.log()
    # A client that comes while the interface is connected is still refused.
    third = MemifClient(sock).init()
    t = third.recv()[0]
    if t == ACK:   # its INIT is acknowledged before the interface it names is looked at
        t = third.recv()[0]
    assert t in (DISCONNECT, None)
    assert port_info(sw, "app1")["peer"] == "connected"
    for c in (stalled, honest, third):
        c.close()
    wait_link(sw, "app1", False)


def test_memif_connections_without_init_make_room_for_the_next(netns, switch, sock_path):
    """Eight connections that take HELLO and never send INIT fill the server's handshake slots;
    once they have stalled (200 ms), each new connection closes the oldest of them and an honest
    client connects at once. Before, every connection was refused until the silent ones ran out
    their 5 s, so a client that kept eight open, again and again, kept every other out."""
    sock = sock_path("memif-silent")
    sw = switch([memif_port(sock)])
    silent = [MemifClient(sock) for _ in range(8)]
    for c in silent:
        c.expect(HELLO)
    time.sleep(0.5)   # past the 200 ms after which a connection without INIT counts as stalled
    honest = MemifClient(sock).connect()   # refused with DISCONNECT instead of HELLO before
    wait_link(sw, "app1", True)
    assert silent[0].recv()[0] in (DISCONNECT, None), "the oldest silent connection is told, or closed"
    assert "a connection that sent no INIT was closed for a new one" in sw.log()
    for c in silent + [honest]:
        c.close()
    wait_link(sw, "app1", False)
