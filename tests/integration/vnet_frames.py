"""Frames with offloads, as a container's kernel makes them, written and read through a packet socket with
the virtio-net header (PACKET_VNET_HDR) on a container's eth0; and the checks of what arrived.

Run inside a container (ip netns exec ... /usr/bin/python3 vnet_frames.py ...) by test_offloads_containers.py:

  send SPEC_JSON           sends the frames of SPEC (a list, see build()) from eth0, each with its
                           virtio_net_hdr: a 64 KB TCP or UDP segment (gso_size) with a partial checksum is
                           what the kernel hands a veth when TSO/USO and checksum offload are on. Prints
                           {"flows": {dport: {"bytes", "sha256"}}}: the payload each flow carried, in order.
  recv SECONDS WANT_JSON   prints "ready", then reads eth0 (vnet header and VLAN tag from the aux data) until
                           every flow of WANT ({dport: bytes}) has its bytes, SECONDS pass, or SIGTERM comes;
                           prints one JSON line: every matching frame inspected (inspect()) and each flow put
                           back together. (SIGTERM: a test that listens for frames that must not come ends the
                           window once what it sent has arrived elsewhere, not SECONDS after the start.)

The tests import inspect() and flows() too, to judge a pcap the same way.
"""
import hashlib
import json
import random
import signal
import socket
import struct
import sys
import time

SOL_PACKET, PACKET_AUXDATA, PACKET_VNET_HDR, PACKET_IGNORE_OUTGOING = 263, 8, 15, 23
SO_RCVBUFFORCE = 33
ETH_P_ALL, ETH_P_IP, ETH_P_IPV6, ETH_P_8021Q = 0x0003, 0x0800, 0x86DD, 0x8100
TP_STATUS_VLAN_VALID = 0x10
VNET = struct.Struct("<BBHHHH")    # flags, gso_type, hdr_len, gso_size, csum_start, csum_offset (LE on x86)
F_NEEDS_CSUM, F_DATA_VALID = 1, 2
GSO_NONE, GSO_TCPV4, GSO_UDP, GSO_TCPV6, GSO_UDP_L4 = 0, 1, 3, 4, 5
TCP, UDP = 6, 17
MTU = 1500


# --- checksums ------------------------------------------------------------------------------------

def ones_sum(data, acc=0):
    if len(data) % 2:
        data += b"\0"
    acc += sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while acc >> 16:
        acc = (acc & 0xFFFF) + (acc >> 16)
    return acc


def pseudo_sum(family, sip, dip, proto, l4len):
    if family == 4:
        return ones_sum(sip + dip + struct.pack("!BBH", 0, proto, l4len))
    return ones_sum(sip + dip + struct.pack("!IxxxB", l4len, proto))


# --- building (send) ------------------------------------------------------------------------------

def payload_of(spec):
    return random.Random(spec.get("seed", 1)).randbytes(spec["payload"])


def build(spec):
    """spec: {src, dst: MACs; vlan: VID or absent; family: 4|6; l4: "tcp"|"udp"; sip, dip; sport, dport; seq;
    payload: bytes of payload (random from seed); gso_size: 0 or the segment size; csum: "partial" (default:
    the checksum field holds the pseudo-header sum, as Linux leaves it for the device) or "full"}
    -> (virtio_net_hdr, frame)."""
    fam, proto = spec["family"], TCP if spec["l4"] == "tcp" else UDP
    mac = lambda m: bytes.fromhex(m.replace(":", ""))
    eth = mac(spec["dst"]) + mac(spec["src"])
    if spec.get("vlan") is not None:
        eth += struct.pack("!HH", ETH_P_8021Q, spec["vlan"])
    eth += struct.pack("!H", ETH_P_IP if fam == 4 else ETH_P_IPV6)
    data = payload_of(spec)
    l4hlen = 20 if proto == TCP else 8
    l4len = l4hlen + len(data)
    ipf = socket.AF_INET if fam == 4 else socket.AF_INET6
    sip, dip = socket.inet_pton(ipf, spec["sip"]), socket.inet_pton(ipf, spec["dip"])
    if fam == 4:
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + l4len, spec.get("ip_id", 1), 0x4000, 64, proto, 0, sip, dip)
        ip = ip[:10] + struct.pack("!H", 0xFFFF ^ ones_sum(ip)) + ip[12:]
    else:
        ip = struct.pack("!IHBB16s16s", 0x60000000, l4len, proto, 64, sip, dip)
    if proto == TCP:
        l4 = struct.pack("!HHIIBBHHH", spec["sport"], spec["dport"], spec.get("seq", 0), 1, 5 << 4, 0x18, 65535, 0, 0)
    else:
        l4 = struct.pack("!HHHH", spec["sport"], spec["dport"], l4len if l4len <= 0xFFFF else 0, 0)
    coff = 16 if proto == TCP else 6
    ps = pseudo_sum(fam, sip, dip, proto, l4len)
    partial = spec.get("csum", "partial") == "partial"
    if partial:
        check = ps
    else:
        check = 0xFFFF ^ ones_sum(l4 + data, ps)
        if proto == UDP and check == 0:
            check = 0xFFFF
    l4 = l4[:coff] + struct.pack("!H", check) + l4[coff + 2:]
    frame = eth + ip + l4 + data
    gso = spec.get("gso_size", 0)
    gso_type = GSO_NONE
    if gso and len(data) > gso:
        gso_type = GSO_UDP_L4 if proto == UDP else (GSO_TCPV4 if fam == 4 else GSO_TCPV6)
    hdr = VNET.pack(F_NEEDS_CSUM if partial else 0, gso_type, len(eth) + len(ip) + l4hlen,
                    gso if gso_type else 0, len(eth) + len(ip) if partial else 0, coff if partial else 0)
    return hdr, frame


def send(specs):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.bind(("eth0", 0))
    flows = {}
    for spec in specs:
        hdr, frame = build(spec)
        s.send(hdr + frame)
        f = flows.setdefault(str(spec["dport"]), hashlib.sha256())
        f.update(payload_of(spec))
        time.sleep(spec.get("pause", 0.02))
    return {"flows": {k: {"bytes": sum(s["payload"] for s in specs if str(s["dport"]) == k), "sha256": h.hexdigest()}
                      for k, h in flows.items()}}


# --- inspecting (recv, and a pcap in the tests) ---------------------------------------------------

def inspect(frame, vnet=None, vlan=None):
    """One received frame (and the virtio_net_hdr the socket gave with it, VLAN from the aux data) -> a dict of
    what it is and whether it is right, or None when it is no IPv4/IPv6 TCP/UDP frame. "errors" lists what a
    receiving kernel or a capture would find wrong: a checksum (completed first when the header says
    NEEDS_CSUM, as the device would), csum_start/offset not on the L4 checksum, a GSO type that is not the
    frame's, a frame longer than the MTU that is not a GSO segment."""
    flags, gso_type, _, gso_size, cstart, coff = vnet or (0, 0, 0, 0, 0, 0)
    off = 12
    etype = struct.unpack_from("!H", frame, off)[0]
    inband = None
    if etype == ETH_P_8021Q:
        inband = struct.unpack_from("!H", frame, off + 2)[0] & 0xFFF
        off += 4
        etype = struct.unpack_from("!H", frame, off)[0]
    off += 2
    l3 = off
    if etype == ETH_P_IP:
        ihl = (frame[l3] & 0xF) * 4
        fam, proto, iplen = 4, frame[l3 + 9], struct.unpack_from("!H", frame, l3 + 2)[0]
        sip, dip = frame[l3 + 12:l3 + 16], frame[l3 + 16:l3 + 20]
        l4 = l3 + ihl
        l4len = iplen - ihl
    elif etype == ETH_P_IPV6:
        fam, proto = 6, frame[l3 + 6]
        l4len = struct.unpack_from("!H", frame, l3 + 4)[0]
        sip, dip = frame[l3 + 8:l3 + 24], frame[l3 + 24:l3 + 40]
        l4 = l3 + 40
        iplen = 40 + l4len
    else:
        return None
    if proto not in (TCP, UDP):
        return None
    errors = []
    end = l4 + l4len
    if end > len(frame):
        errors.append("frame cut: %d bytes of an IP packet ending at %d" % (len(frame), end))
        end = len(frame)
    if fam == 4 and ones_sum(frame[l3:l3 + ihl]) != 0xFFFF:
        errors.append("IPv4 header checksum")
    seg = bytearray(frame[l4:end])
    want_coff = 16 if proto == TCP else 6
    if flags & F_NEEDS_CSUM:
        if cstart != l4 or coff != want_coff:
            errors.append("csum_start/offset %d/%d, the %s checksum is at %d/%d"
                          % (cstart, coff, "TCP" if proto == TCP else "UDP", l4, want_coff))
        else:   # what the device does: the sum from csum_start on, stored at csum_offset
            struct.pack_into("!H", seg, coff, 0xFFFF ^ ones_sum(bytes(seg)))
    if (proto == UDP and struct.unpack_from("!H", seg, 6)[0] == 0 and fam == 4):
        pass    # no UDP checksum over IPv4: allowed
    elif ones_sum(bytes(seg), pseudo_sum(fam, sip, dip, proto, l4len)) != 0xFFFF:
        errors.append("%s checksum" % ("TCP" if proto == TCP else "UDP"))
    hl = (seg[12] >> 4) * 4 if proto == TCP else 8
    payload = bytes(seg[hl:])
    if gso_type:
        want = GSO_UDP_L4 if proto == UDP else (GSO_TCPV4 if fam == 4 else GSO_TCPV6)
        if gso_type & 0x7F != want:
            errors.append("gso_type %d on a %s/IPv%d frame" % (gso_type, "TCP" if proto == TCP else "UDP", fam))
        if not 0 < gso_size < len(payload):
            errors.append("gso_size %d for %d bytes of payload" % (gso_size, len(payload)))
    elif iplen > MTU:
        errors.append("%d-byte IP packet, no GSO, over the %d MTU" % (iplen, MTU))
    return dict(family=fam, l4="tcp" if proto == TCP else "udp", sport=struct.unpack_from("!H", seg, 0)[0],
                dport=struct.unpack_from("!H", seg, 2)[0], seq=struct.unpack_from("!I", seg, 4)[0] if proto == TCP else None,
                vlan=vlan if vlan is not None else inband, tag_inband=inband is not None, ip_len=iplen,
                frame_len=len(frame), payload_len=len(payload), gso_type=gso_type, gso_size=gso_size, flags=flags,
                errors=errors, payload=payload)


def flows(frames):
    """{dport: {bytes, sha256, in_order}}: each flow's payload in arrival order (TCP: in_order when every
    segment starts where the one before ended)."""
    out = {}
    for f in frames:
        fl = out.setdefault(str(f["dport"]), {"h": hashlib.sha256(), "bytes": 0, "in_order": True, "next": None})
        if f["seq"] is not None:
            if fl["next"] is not None and f["seq"] != fl["next"]:
                fl["in_order"] = False
            fl["next"] = (f["seq"] + f["payload_len"]) & 0xFFFFFFFF
        fl["h"].update(f["payload"])
        fl["bytes"] += f["payload_len"]
    return {k: {"bytes": v["bytes"], "sha256": v["h"].hexdigest(), "in_order": v["in_order"]} for k, v in out.items()}


def recv(seconds, want):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
    s.bind(("eth0", ETH_P_ALL))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))   # the loop ends between frames
    print("ready", flush=True)
    frames, got = [], {k: 0 for k in want}
    deadline = time.monotonic() + seconds
    while any(got[k] < want[k] for k in want) and time.monotonic() < deadline and not stop:
        s.settimeout(max(0.01, min(0.1, deadline - time.monotonic())))
        try:
            data, anc, _, _ = s.recvmsg(1 << 18, socket.CMSG_SPACE(20))
        except socket.timeout:
            continue
        vlan = None
        for level, kind, cdata in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status, _, _, _, _, tci = struct.unpack_from("IIIHHH", cdata)
                if status & TP_STATUS_VLAN_VALID:
                    vlan = tci & 0xFFF
        f = inspect(data[VNET.size:], VNET.unpack_from(data), vlan)
        if f is None or str(f["dport"]) not in want:
            continue
        frames.append(f)
        got[str(f["dport"])] += f["payload_len"]
    fl = flows(frames)
    for f in frames:
        del f["payload"]
    return {"frames": frames, "flows": fl}


if __name__ == "__main__":
    if sys.argv[1] == "send":
        print(json.dumps(send(json.loads(sys.argv[2]))), flush=True)
    elif sys.argv[1] == "recv":
        print(json.dumps(recv(float(sys.argv[2]), json.loads(sys.argv[3]))), flush=True)
    else:
        sys.exit("usage: vnet_frames.py send SPEC_JSON | recv SECONDS WANT_JSON")
