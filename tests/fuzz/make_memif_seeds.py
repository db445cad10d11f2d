#!/usr/bin/env python3
"""Writes tests/fuzz/memif_seeds/: whole memif handshakes of either role, in memif_fuzzer's input
format (see tests/fuzz/memif_fuzzer.cc): a flags byte, then records of a ctl byte and a message."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'memif_seeds')
VERSION = 0x0200
ACK, HELLO, INIT, ADD_REGION, ADD_RING, CONNECT, CONNECTED, DISCONNECT = 1, 2, 3, 4, 5, 6, 7, 8
RING_BYTES = 128 + 16 * 1024   # a ring of 2^10 slots


def msg(t, body=b''):
    m = struct.pack('<H', t) + body
    return m + bytes(128 - len(m))


def name(s):
    return s.encode().ljust(32, b'\0')


def rec(ctl, m):
    return bytes([ctl]) + m


def init(id_=0, secret=b''):
    return msg(INIT, struct.pack('<HIB', VERSION, id_, 0) + secret.ljust(24, b'\0') + name('peer'))


def server_handshake(flags=0, id_=0, secret=b''):
    return bytes([flags]) + b''.join([
        rec(0, init(id_, secret)),
        rec(1 | 8, msg(ADD_REGION, struct.pack('<HQ', 0, 65536))),
        rec(3, msg(ADD_RING, struct.pack('<HHHIBH', 1, 0, 0, 0, 10, 0))),
        rec(3, msg(ADD_RING, struct.pack('<HHHIBH', 0, 0, 0, RING_BYTES, 10, 0))),
        rec(0, msg(CONNECT, name('peer0'))),
        rec(0, msg(ACK)),   # once up: refused
    ])


def client_handshake():
    hello = msg(HELLO, name('server') + struct.pack('<HHHHHB', VERSION, VERSION, 0, 0, 0, 10))
    return bytes([1]) + b''.join([rec(0, hello)] + [rec(0, msg(ACK))] * 4 +
                                 [rec(0, msg(CONNECTED, name('srv0'))), rec(0x40, b'')])


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        'server_handshake': server_handshake(),
        'server_secret': server_handshake(flags=2, secret=b'fuzzsecret'),
        'server_other_id': server_handshake(flags=4, id_=1),
        'client_handshake': client_handshake(),
        'server_short_msg': bytes([0]) + rec(0x80, bytes([64])) + init()[:64],
        'server_disconnect': bytes([0]) + rec(0, msg(DISCONNECT, struct.pack('<I', 1) + b'bye')),
    }
    for n, data in seeds.items():
        with open(os.path.join(OUT, n), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
