"""A memif peer for the integration tests: the switch's memif port as they configure it, the
net_memif client testpmd runs, and a client in Python that speaks the memif handshake and can
say anything else instead (test_memif.py, test_memif_hostile.py)."""

import fcntl
import mmap
import os
import socket
import struct

from conftest import wait_for


def memif_port(sock, **extra):
    return {"name": "app1", "type": "memif", "socket": str(sock), "id": 0, **extra}


def client_vdev(sock):
    return f"net_memif0,role=client,id=0,socket={sock},socket-abstract=no,mac=02:00:00:00:bb:01"


# The memif wire: message types, and the region a Python client offers (its two rings of SLOTS
# descriptors, then 2 * SLOTS buffers).
ACK, HELLO, INIT, ADD_REGION, ADD_RING, CONNECT, CONNECTED, DISCONNECT = 1, 2, 3, 4, 5, 6, 7, 8
LOG2 = 4
SLOTS = 1 << LOG2
RING = 128 + 16 * SLOTS
BUF = 2048
REGION = 2 * RING + 2 * SLOTS * BUF
F_ADD_SEALS, F_SEAL_SHRINK = 1033, 0x0002


class MemifClient:
    """Speaks the client's side of the memif handshake, and can say anything else instead."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.s.settimeout(5)
        self.s.connect(str(path))
        self.fds = []

    def close(self):
        self.s.close()
        for fd in self.fds:
            os.close(fd)

    def send(self, mtype, body=b"", fds=()):
        msg = struct.pack("<H", mtype) + body
        msg += b"\0" * (128 - len(msg))
        if fds:
            socket.send_fds(self.s, [msg], list(fds))
        else:
            self.s.send(msg)

    def recv(self):
        """(type, body) of the next message; (None, b'') when the switch closed the socket."""
        try:
            data = self.s.recv(256)
        except (ConnectionResetError, socket.timeout):
            return None, b""
        if not data:
            return None, b""
        return struct.unpack_from("<H", data)[0], data[2:]

    def expect(self, mtype):
        t, body = self.recv()
        assert t == mtype, f"expected message {mtype}, got {t} {body[:100]!r}"
        return body

    def init(self, ident=0, secret=b""):
        self.expect(HELLO)
        self.send(INIT, struct.pack("<HIB24s32s", 0x0200, ident, 0, secret, b"hostile"))
        return self

    def region(self, size=REGION, claim=None, seal=True):
        fd = os.memfd_create("mif-hostile", os.MFD_ALLOW_SEALING)
        self.fds.append(fd)
        os.ftruncate(fd, size)
        if seal:
            fcntl.fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)
        self.mm = mmap.mmap(fd, size)
        for off in (0, RING):
            struct.pack_into("<I", self.mm, off, 0x3E31F20)   # the ring cookie
        self.send(ADD_REGION, struct.pack("<HQ", 0, claim if claim is not None else size), [fd])
        return self

    def ring(self, c2s, offset, log2=LOG2):
        efd = os.eventfd(0)
        self.fds.append(efd)
        self.send(ADD_RING, struct.pack("<HHHIBH", 1 if c2s else 0, 0, 0, offset, log2, 0), [efd])
        return self

    def connect(self, secret=b""):
        """The whole handshake, every ACK checked: connected, with both rings in one region."""
        self.init(secret=secret).expect(ACK)
        self.region().expect(ACK)
        self.ring(True, 0).expect(ACK)
        self.ring(False, RING).expect(ACK)
        self.send(CONNECT, struct.pack("<32s", b"hostile0"))
        self.expect(CONNECTED)
        return self

    def desc(self, slot, length, offset, region=0, flags=0):
        struct.pack_into("<HHIII", self.mm, 128 + 16 * slot, flags, region, length, offset, 0)

    def c2s_head(self, head):
        struct.pack_into("<H", self.mm, 6, head & 0xffff)

    def arp_frame(self, buf):
        """A broadcast ARP request in buffer `buf`: a frame the switch floods (to c1, c2)."""
        frame = (b"\xff" * 6 + bytes.fromhex("020000cc0001") + b"\x08\x06" + bytes.fromhex("0001080006040001")
                 + bytes.fromhex("020000cc0001") + socket.inet_aton("10.77.0.201") + b"\0" * 6
                 + socket.inet_aton("10.77.0.202")).ljust(60, b"\0")
        off = 2 * RING + buf * BUF
        self.mm[off:off + len(frame)] = frame
        return off, len(frame)


def wait_said(sw, text, what):
    wait_for(lambda: text in sw.log(), 10, what=what)
