"""Both binaries' arguments (getopt_long): --version, and a bad argument is exit 2 naming it.
Needs no running switch: nothing here starts EAL."""
import re
import subprocess


def run(args):
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=30)


def test_version_on_both(binaries):
    sw = run([binaries.switch, "--version"])
    assert sw.returncode == 0, sw.stderr
    assert re.fullmatch(r"dpdk_switch \d+\.\d+\.\d+ \(DPDK \d+\.\d+[^)]*\)\n", sw.stdout), sw.stdout
    ctl = run([binaries.ctl, "--version"])
    assert ctl.returncode == 0, ctl.stderr
    assert re.fullmatch(r"dpdk_switch_ctl \d+\.\d+\.\d+\n", ctl.stdout), ctl.stdout


def test_bad_arguments_exit_2(binaries):
    for args, says in [
        ([binaries.switch, "--", "--bogus"], "unknown option '--bogus'"),
        ([binaries.switch, "--", "--config"], "--config needs a value"),
        ([binaries.ctl, "--bogus"], "unknown option '--bogus'"),
        ([binaries.ctl, "--socket"], "--socket needs a value"),
    ]:
        p = run(args)
        assert p.returncode == 2 and says in p.stderr, (args, p.returncode, p.stderr)
