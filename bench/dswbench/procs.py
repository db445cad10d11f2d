"""The processes a bench starts, each a context manager that stops it (its whole process group: what it
started goes too) and waits for it; and the signals that end a bench. SIGINT (Ctrl-C) and SIGTERM raise
Interrupted wherever the bench is, and the context managers it is inside clean up on the way out."""
import os
import signal
import subprocess
import time

from .common import log

OWN = set()   # pids we started that still run: the waits for a quiet CPU do not wait for them


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM. A BaseException, so that a run's `except Exception` does not swallow it."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


def _on_signal(signum, _frame):
    # Once: the cleanup that follows must not be cut short by a second Ctrl-C (the processes it
    # starts inherit the ignored signals, and are short).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # Said at once, before any cleanup: a log that ends without it shows the signal never came.
    os.write(2, b"bench: %s received: stopping\n" % signal.Signals(signum).name.encode())
    raise Interrupted(130 if signum == signal.SIGINT else 143)


def handle_signals():
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    # A launcher that blocked them (some CI runners and service managers do) would leave Ctrl-C
    # pending forever: the handlers above would never run.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def exit_status(rc):
    """Popen's returncode as a shell reports it (killed by signal N: 128 + N)."""
    return None if rc is None else (128 - rc if rc < 0 else rc)


def _open(target, mode):
    if target is None:
        return subprocess.DEVNULL
    if isinstance(target, (str, os.PathLike)):
        return open(target, mode)
    return target


class Proc:
    """One program in a process group of its own. out/err: a path, a file, or None (discarded); err="out"
    sends stderr where stdout goes. stdin="pipe" keeps a pipe open to it (send()): testpmd quits on EOF."""

    def __init__(self, cmd, out=None, err="out", stdin=None, grace=5.0, append=False):
        self.cmd = [str(c) for c in cmd]
        self.out, self.err, self.stdin, self.grace, self.append = out, err, stdin, grace, append
        self.p = None
        self.rc = None
        self.stopped = False

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        mode = "a" if self.append else "w"
        out = _open(self.out, mode)
        err = subprocess.STDOUT if self.err == "out" and self.out is not None else _open(
            None if self.err == "out" else self.err, mode)
        try:
            self.p = subprocess.Popen(self.cmd, stdin=subprocess.PIPE if self.stdin == "pipe" else subprocess.DEVNULL,
                                      stdout=out, stderr=err, process_group=0)
        finally:
            for f, target in ((out, self.out), (err, self.err)):
                if isinstance(target, (str, os.PathLike)) and hasattr(f, "close"):
                    f.close()
        OWN.add(self.p.pid)
        return self

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p is not None and self.p.poll() is None

    def send(self, line):
        """A line on its stdin; False if it is gone."""
        try:
            self.p.stdin.write((line + "\n").encode())
            self.p.stdin.flush()
            return True
        except (BrokenPipeError, ValueError, AttributeError):
            return False

    def wait(self, timeout):
        """Its exit status once it exits by itself, or None after TIMEOUT s."""
        try:
            self.rc = exit_status(self.p.wait(timeout=timeout))
        except subprocess.TimeoutExpired:
            return None
        OWN.discard(self.p.pid)
        return self.rc

    def stop(self, grace=None):
        """SIGTERM to its process group, SIGKILL after GRACE s; its exit status."""
        if self.p is None:
            return None
        if self.stopped:
            return self.rc
        self.stopped = True
        grace = self.grace if grace is None else grace
        if self.p.stdin:
            try:
                self.p.stdin.close()
            except OSError:
                pass
        if self.p.poll() is None:
            _killpg(self.p.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log("  pid %d ignored SIGTERM: SIGKILL" % self.p.pid)
                _killpg(self.p.pid, signal.SIGKILL)
                self.p.wait()
        _killpg(self.p.pid, signal.SIGKILL)   # what it started and left behind, if anything
        OWN.discard(self.p.pid)
        self.rc = exit_status(self.p.returncode)
        return self.rc


def _killpg(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_pid(pid, grace=10.0):
    """A daemon we started that is not our child (OVS detaches): SIGTERM, then SIGKILL."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    end = time.monotonic() + grace
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    log("  pid %d ignored SIGTERM: SIGKILL" % pid)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def wait_file(path, pattern, timeout, proc=None):
    """Until the file at PATH matches the regex PATTERN (True), TIMEOUT s pass or PROC is gone (False)."""
    import re
    rx = re.compile(pattern)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if rx.search(open(path, errors="replace").read()):
                return True
        except OSError:
            pass
        if proc is not None and not proc.alive():
            return False
        time.sleep(0.1)
    return False


def quiet_run(cmd, timeout=None, **kw):
    """A short command, its output discarded: True if it succeeded."""
    try:
        return subprocess.run([str(c) for c in cmd], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout, **kw).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def output(cmd, timeout=None):
    """A short command's stdout, or None if it failed."""
    try:
        r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return r.stdout if r.returncode == 0 else None
