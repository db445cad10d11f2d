"""Where the repository, the binaries and the peers are (env: DSW_BUILD_DIR, TESTPMD, DSW_HOST_PROBE)."""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = Path(os.environ.get("DSW_BUILD_DIR") or ROOT / "build")
SWITCH_BIN = BUILD_DIR / "dpdk_switch" / "dpdk_switch"
CTL_BIN = BUILD_DIR / "dpdk_switch" / "dpdk_switch_ctl"
GBENCH_BIN = BUILD_DIR / "bench" / "dsw_bench_switch_path"
PROBE_BIN = Path(os.environ.get("DSW_HOST_PROBE") or BUILD_DIR / "bench" / "dsw_host_probe")
TESTPMD = os.environ.get("TESTPMD", "dpdk-testpmd")
SCRIPTS = ROOT / "scripts"
RESULTS_BASE = ROOT / "bench" / "results"
