"""The two containers of the containers part (scripts/container.sh: a netns whose eth0 is a veth), as a context
manager that removes them; their offloads (each path says which); receive steering; the bpffs libxdp wants; a socket that holds receive
timestamps on."""
import os
import socket
import subprocess

from . import env
from .common import Fatal, log
from .procs import quiet_run

CONTAINER_SH = str(env.SCRIPTS / "container.sh")


def netns_exists(name):
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return name in [line.split()[0] for line in out.splitlines() if line.strip()]


def link_exists(name):
    return quiet_run(["ip", "link", "show", name])


class Containers:
    """Two containers, NS1 (IP1) and NS2 (IP2), their host ends IF1 and IF2, no IPv6. Refuses to start if any
    of them (or the bridge name BR the bench will use) exists: a bench still running, or one killed."""

    def __init__(self, ns1, if1, ip1, ns2, if2, ip2, plen, bridge):
        self.ends = [(ns1, if1, ip1), (ns2, if2, ip2)]
        self.plen, self.bridge = plen, bridge
        self.made = False

    def __enter__(self):
        for ns, _, _ in self.ends:
            if netns_exists(ns):
                raise Fatal("namespace %s exists (a bench still running? else: scripts/container.sh del %s ...)"
                            % (ns, ns))
        if link_exists(self.bridge):
            raise Fatal("interface %s exists (a bench still running? else: ip link del %s)"
                        % (self.bridge, self.bridge))
        self.made = True
        try:
            for ns, iface, ip in self.ends:
                if subprocess.run(["bash", CONTAINER_SH, "add", ns, iface, "%s/%s" % (ip, self.plen),
                                   "--no-ipv6"]).returncode != 0:
                    raise Fatal("container %s failed" % ns)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        quiet_run(["ip", "link", "del", self.bridge])
        if self.made:
            for ns, iface, _ in self.ends:
                subprocess.run(["bash", CONTAINER_SH, "del", ns, iface])
        return False

    def offloads(self, mode):
        """Both containers' eth0 with the offloads MODE: "default" (`ethtool -K eth0 tx on`: the kernel gives back
        the TSO/GSO that tx off took with it, as the veth came) or "tx off". -> "" or why not (read back)."""
        for ns, _, _ in self.ends:
            subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-K", "eth0", "tx",
                            "on" if mode == "default" else "off"], capture_output=True)
            got = offload_features(ns)
            want = "on" if mode == "default" else "off"
            wrong = {k: v for k, v in got.items() if v != want}
            if len(got) != len(OFFLOAD_FEATURES) or wrong:
                return "offloads %s not set in %s: %s" % (mode, ns, got)
        return ""

    def steer(self, mask):
        """The containers' receive processing (rps_cpus of both eth0) on the CPUs of MASK (0: no steering)."""
        for ns, _, _ in self.ends:
            if subprocess.run(["bash", CONTAINER_SH, "rx-cpus", ns, mask]).returncode != 0:
                log("  warning: could not set rps_cpus=%s in %s" % (mask, ns))


# The features themselves, not ethtool's summary lines: on kernel 6.18 "tcp-segmentation-offload" reads "on"
# after tx off (ethtool 6.1 does not know tx-tcp-accecn-segmentation, which stays on, and counts it in).
OFFLOAD_FEATURES = ("tx-checksum-ip-generic", "tx-tcp-segmentation", "tx-tcp6-segmentation", "tx-udp-segmentation")


def offload_features(ns):
    """{feature: "on"/"off"} of OFFLOAD_FEATURES on NS's eth0 (`ethtool -k`)."""
    out = subprocess.run(["ip", "netns", "exec", ns, "ethtool", "-k", "eth0"], capture_output=True, text=True).stdout
    return parse_features(out)


def parse_features(text):
    res = {}
    for line in text.splitlines():
        name, _, val = line.strip().partition(": ")
        if name in OFFLOAD_FEATURES:
            res[name] = val.split()[0] if val else ""
    return res


def other_cpus_mask(cpu):
    """Hex mask of the online CPUs but CPU ("0" if there is none)."""
    mask = 0
    with open("/sys/devices/system/cpu/online") as f:
        for r in f.read().strip().split(","):
            a, _, b = r.partition("-")
            for c in range(int(a), int(b or a) + 1):
                if c != cpu:
                    mask |= 1 << c
    return "%x" % mask


class Bpffs:
    """libxdp wants a bpffs to pin its dispatcher (without one it warns and loads the program alone): mounted
    at /sys/fs/bpf if none is there, and unmounted after."""

    def __enter__(self):
        self.mounted = False
        if not quiet_run(["mountpoint", "-q", "/sys/fs/bpf"]):
            os.makedirs("/sys/fs/bpf", exist_ok=True)
            self.mounted = quiet_run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"])
        return self

    def __exit__(self, *exc):
        if self.mounted:
            quiet_run(["umount", "/sys/fs/bpf"])
        return False


class RxTimestamps:
    """ping asks for receive timestamps (SO_TIMESTAMP). The kernel turns them on for the first such socket and
    off after the last by patching its code (netstamp_clear), 1.3 ms on CPU 0 here; a reply that arrives
    meanwhile is stamped only when ping, waiting for that CPU, reads it. So the first ping of every ping
    process read 1.4-2.5 ms through any forwarder on another CPU (+0.07 ms on a 20-ping average) and never
    through the bridge, whose reply is ready before ping sleeps. One socket holding timestamps on for the
    whole run, as chrony or tcpdump would, removes it."""

    SO_TIMESTAMP = 29   # asm-generic; Python has no name for it

    def __enter__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, self.SO_TIMESTAMP, 1)
        return self

    def __exit__(self, *exc):
        self.s.close()
        return False
