#!/usr/bin/python3
"""Redraws the chart of a scripts/bench.sh results folder: scripts/plot_bench.py RESULTS_DIR [-o PNG].
The code is bench/dswbench/plot.py (needs matplotlib: apt install python3-matplotlib)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from dswbench.__main__ import main  # noqa: E402

sys.exit(main(["plot"] + sys.argv[1:]))
