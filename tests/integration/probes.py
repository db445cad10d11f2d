"""What the integration tests use to drive and observe a running switch from the outside: a MAC
flood sent from a container, a raw connection to the control socket (for the hostile-client
tests), an HTTP server in a container, ping's count, the process's memory and DPDK telemetry.
The fixtures that make containers and switches are in conftest.py.
"""

import json as jsonlib
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

# --- traffic and control-socket helpers shared by the fault and soak tests ------------------------

# Frames with random (locally administered, unicast) source MACs, sent from inside a container
# through a packet socket on its eth0: scapy builds one frame, the loop rewrites its source MAC and
# sends the bytes (scapy's own sendp() is about 50 times slower). argv: count, rate in frames/s
# (0: as fast as the kernel takes them), destination MAC. Prints "sent errors seconds".
MAC_FLOOD = r"""
import os, socket, sys, time
from scapy.layers.l2 import Ether
from scapy.layers.inet import IP, UDP
count, pps, dst = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
frame = bytearray(bytes(Ether(src="02:00:00:00:00:01", dst=dst) / IP(src="10.99.0.250", dst="10.99.0.251")
                        / UDP(sport=9, dport=9) / (b"x" * 18)))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
send = s.send
sent = errors = 0
batch = 4096 if pps == 0 else max(1, int(pps // 20))
t0 = time.monotonic()
while sent < count:
    n = min(batch, count - sent)
    rnd = os.urandom(6 * n)
    for i in range(0, 6 * n, 6):
        frame[6:12] = rnd[i:i + 6]
        frame[6] = (frame[6] & 0xfc) | 0x02
        try:
            send(frame)
        except OSError:
            errors += 1
    sent += n
    if pps:
        ahead = sent / pps - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
print(sent, errors, round(time.monotonic() - t0, 2), flush=True)
"""

NOBODY_MAC = "02:42:0a:4d:00:fe"   # a unicast destination no container has: flooded


def start_mac_flood(container, count, pps=0, dst=NOBODY_MAC):
    """Starts MAC_FLOOD in container (stdout: a pipe, text); returns the Popen."""
    return container.popen(sys.executable, "-c", MAC_FLOOD, count, pps, dst,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def finish_mac_flood(proc, timeout):
    """Waits for a MAC_FLOOD process; returns (sent, errors, seconds)."""
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, f"the flood exited {proc.returncode}: {out}"
    sent, errors, seconds = out.split()[-3:]
    return int(sent), int(errors), float(seconds)


class CtlConn:
    """A raw connection to a switch's control socket: one command per line out, one JSON line
    ({"ok", "text", "json"}) back per command."""

    def __init__(self, path, timeout=5.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        # With a timeout the socket is non-blocking, and a Unix socket's connect() then fails
        # with EAGAIN while the listen backlog is full instead of waiting: retry until timeout.
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock.connect(str(path))
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    self.sock.close()
                    raise
                time.sleep(0.005)
        self.buf = b""
        self.eof = False

    def send(self, data):
        self.sock.sendall(data if isinstance(data, bytes) else data.encode())

    def read_line(self, timeout=5.0):
        """The next reply, parsed; None at EOF. Raises socket.timeout if none comes in time."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buf:
            if self.eof:
                return None
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                continue
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return jsonlib.loads(line)

    def call(self, command, timeout=5.0):
        self.send(command + "\n")
        reply = self.read_line(timeout)
        assert reply is not None, f"the switch closed the connection instead of answering {command!r}"
        return reply

    def closed_by_peer(self, timeout=5.0):
        """Reads (into self.buf) until the switch closes this connection: True, or False if it
        is still open after timeout seconds."""
        deadline = time.monotonic() + timeout
        while not self.eof and time.monotonic() < deadline:
            self.sock.settimeout(max(0.001, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(1 << 16)
            except TimeoutError:
                break
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
            self.buf += chunk
        return self.eof

    def close(self):
        self.sock.close()


def vm_rss_kb(pid, field="VmRSS"):
    """The process's resident set (VmRSS), or its peak (field="VmHWM"), in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


# --- helpers shared by several test modules ---------------------------------------------------------

HTTP_PORT = 8080


def serve_http(container, tmp_path, body):
    """Starts python's http.server in `container` serving `body` as index.html; returns its URL."""
    import sys
    www = tmp_path / f"www-{container.name}"
    www.mkdir()
    (www / "index.html").write_text(body)
    container.popen(sys.executable, "-m", "http.server", HTTP_PORT, "--bind", container.ip,
                    "--directory", www, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return f"http://{container.ip}:{HTTP_PORT}/index.html"


def ping_received(proc):
    """Echo replies a finished `ping` reported."""
    m = re.search(r"(\d+) received", proc.stdout)
    return int(m.group(1)) if m else 0


def telemetry(prefix, command):
    """One DPDK telemetry command through dpdk-telemetry.py; the value of its answer."""
    out = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input=command + "\n",
                         capture_output=True, text=True, timeout=20)
    for line in reversed(out.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return jsonlib.loads(line)[command.split(",")[0]]
    raise AssertionError(f"no telemetry answer to {command}: {out.stdout} {out.stderr}")
