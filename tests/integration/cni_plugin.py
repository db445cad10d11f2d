"""Running the dpdk-switch CNI plugin as a runtime does (environment, config on stdin), and what
the tests check around it: the host end's name, the namespaces (prefix dswc-), the IPAM leases."""

import json
import os
import subprocess
from pathlib import Path

from conftest import run

PREFIX = "dswc-"          # namespaces, container ids, networks made by the CNI tests
IPAM_DIRS = "/usr/lib/cni"  # Debian's containernetworking-plugins (host-local)
CONTAINER_KIND = "veth"    # the switch port kind the plugin gives a container (switch_port.h)


def plugin_path(binaries):
    return binaries.switch.parent / "cni" / "dpdk-switch"


def attachment_name(container_id, ifname):
    """The plugin's host-end (and switch port) name: "dsw" + 12 hex digits of FNV-1a 64 of
    "id\\0ifname" (switch_port.cc), computed here to check what exists without asking it."""
    h = 14695981039346656037
    for b in container_id.encode() + b"\0" + ifname.encode():
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return "dsw%012x" % (h >> 16)


class Plugin:
    def __init__(self, path):
        self.path = Path(path)

    def call(self, command, conf, container_id=None, netns=None, ifname="eth0", cni_path=IPAM_DIRS,
             env_extra=None, env_drop=(), raw=None):
        """One run: returns (returncode, parsed stdout or None, stderr)."""
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "CNI_COMMAND": command}
        if container_id is not None:
            env["CNI_CONTAINERID"] = container_id
        if netns is not None:
            env["CNI_NETNS"] = netns
        if ifname is not None:
            env["CNI_IFNAME"] = ifname
        if cni_path is not None:
            env["CNI_PATH"] = cni_path
        env.update(env_extra or {})
        for k in env_drop:
            env.pop(k, None)
        stdin = raw if raw is not None else json.dumps(conf)
        p = subprocess.run([str(self.path)], input=stdin, env=env, capture_output=True, text=True, timeout=60)
        out = None
        if p.stdout.strip():
            out = json.loads(p.stdout)
        return p.returncode, out, p.stderr


def netns_path(name):
    return f"/run/netns/{name}"


def link_exists(name, netns=None):
    args = ["ip"] + (["-n", netns] if netns else []) + ["link", "show", name]
    return run(args, check=False).returncode == 0


def leases(data_dir, network):
    """The addresses host-local holds for `network` (its files named after the IPs)."""
    d = Path(data_dir) / network
    if not d.exists():
        return []
    return sorted(p.name for p in d.iterdir() if p.name[0].isdigit() or ":" in p.name)
