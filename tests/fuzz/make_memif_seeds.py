#!/usr/bin/env python3
"""Writes tests/fuzz/memif_seeds/: whole memif handshakes of either role, in memif_fuzzer's input
format (see tests/fuzz/memif_fuzzer.cc): a flags byte, then records of a ctl byte and a message.
And tests/fuzz/memif_data_seeds/: a connected queue's traffic, in memif_data_fuzzer's input format
(see tests/fuzz/memif_data_fuzzer.cc): a header, then ops."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'memif_seeds')
DATA_OUT = os.path.join(HERE, 'memif_data_seeds')
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


# ---- memif_data_fuzzer ----

def data_header(client=False, log2=5, jumbo=False, extra=0, room=16, sizes=(0, 0, 0)):
    h0 = (1 if client else 0) | ((log2 - 1) << 1) | (0x20 if jumbo else 0) | (extra << 6)
    return bytes([h0, room]) + bytes(sizes)


def op_index(tx, tail, v, add=False):
    return bytes([0, (1 if tx else 0) | (2 if tail else 0) | (4 if add else 0)]) + struct.pack('<H', v & 0xffff)


def op_desc(tx, slot, flags=0, region=0, length=0, offset=0):
    return bytes([1, 1 if tx else 0]) + struct.pack('<HHHIII', slot, flags, region, length, offset, 0)


def op_produce(frames):   # (length, chunk selector, where)
    return bytes([2, len(frames) - 1]) + b''.join(struct.pack('<HBB', *f) for f in frames)


def op_give_tx(count, length=2048, offset=0, region=0, client=False):
    if client:   # the server peer frees slots: a count only
        return bytes([3, count])
    return bytes([3, count]) + struct.pack('<HHB', length, offset, region)


def op_rx(n=32):
    return bytes([4, n - 1])


def op_tx(frames):   # (length, segments)
    return bytes([5, len(frames) - 1]) + b''.join(struct.pack('<HB', l - 1, s - 1) for l, s in frames)


def op_flags(tx, v):
    return bytes([6, 1 if tx else 0]) + struct.pack('<H', v)


def data_seeds():
    mixed = [(60, 31, 0), (1514, 31, 7), (14, 0, 3), (13, 0, 9), (3000, 31, 1), (1518, 15, 200)]
    out = {
        'server_rx_tx': data_header() + op_produce(mixed) + op_rx() + op_give_tx(16) +
        op_tx([(60, 1), (1514, 2), (4000, 3)]) + op_rx(2) + op_tx([(64, 1)] * 20),
        'server_jumbo_chains': data_header(log2=9, jumbo=True, extra=2, room=255, sizes=(40, 200, 0)) +
        op_produce([(9018, 0, 5), (9000, 1, 77), (8000, 31, 2)]) + op_rx() +
        op_give_tx(63, length=64, region=1) + op_tx([(9018, 4), (200, 1)]) + op_rx(),
        'server_wrap_small_ring': data_header(log2=1) +
        (op_produce([(60, 31, 0)]) + op_rx(1) + op_give_tx(1, length=100) + op_tx([(60, 1)])) * 12,
        'server_hostile_descs': data_header(log2=3, extra=1, sizes=(5, 0, 0)) +
        op_desc(False, 0, flags=0, region=1, length=97 * 6, offset=0) + op_index(False, False, 1) + op_rx() +
        op_desc(False, 1, flags=1, region=0, length=64, offset=300) + op_index(False, False, 1, add=True) + op_rx() +
        op_desc(True, 0, region=0, length=2048, offset=0xffffff00) + op_index(True, False, 1) + op_tx([(100, 1)]),
        'server_index_out_of_ring': data_header(log2=4) + op_index(False, False, 17) + op_rx() +
        op_give_tx(4) + op_index(True, False, 0xffff) + op_tx([(60, 1)]),
        'server_tx_into_ring': data_header(log2=2) + op_desc(True, 0, region=0, length=200, offset=16) +
        op_desc(True, 1, region=0, length=64, offset=300) + op_index(True, False, 2) + op_flags(True, 0) +
        op_tx([(150, 2), (60, 1)]) + op_rx(),
        'server_chain_open': data_header(log2=5) + op_produce([(1000, 0, 0)]) + op_index(False, False, 0xffff, add=True) + op_rx(),
        'client_rx_tx': data_header(client=True, log2=4) + op_produce([(60, 0, 0), (4000, 0, 1), (14, 0, 2)]) + op_rx() +
        op_tx([(60, 1), (3000, 2)] * 4) + op_give_tx(0, client=True) + op_tx([(1514, 3)] * 12) + op_rx(),
        'client_hostile': data_header(client=True, log2=3) + op_desc(False, 0, length=4096) + op_index(False, True, 1) + op_rx() +
        op_index(True, True, 0x8000) + op_tx([(60, 1)]),
        'client_full_ring': data_header(client=True, log2=2) + op_tx([(60, 1)] * 6) + op_give_tx(2, client=True) + op_tx([(9000, 4)]) +
        op_give_tx(0, client=True) + op_tx([(9000, 4)]),
    }
    return out


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
    os.makedirs(DATA_OUT, exist_ok=True)
    for n, data in data_seeds().items():
        with open(os.path.join(DATA_OUT, n), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
