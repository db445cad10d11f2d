"""python3 -m dswbench [suite options]          the whole suite (scripts/bench.sh)
   python3 -m dswbench pcap|containers|vhost ...   one part (scripts/bench_pcap.sh, ...)
   python3 -m dswbench plot RESULTS [-o PNG]     the chart of a results folder (scripts/plot_bench.py)
"""
import faulthandler
import importlib
import signal
import sys

from .common import Fatal, log
from .procs import Interrupted, handle_signals

PARTS = {"pcap": ("pcap_rate", "bench_pcap"), "containers": ("containers", "bench_containers"),
         "vhost": ("vhost", "bench_vhost"), "plot": ("plot", "plot_bench")}


def main(argv):
    if argv and argv[0] in PARTS:
        module, name = PARTS[argv[0]]
        argv = argv[1:]
    else:
        module, name = "suite", "bench"
    handle_signals()
    faulthandler.register(signal.SIGUSR1)   # kill -USR1 PID: where a bench that seems stuck is
    try:
        return importlib.import_module("." + module, __package__).run(argv)
    except Fatal as e:
        log("%s: %s" % (name, e))
        return 1
    except Interrupted as e:
        log("%s: interrupted: stopped what it ran and removed what it made" % name)
        return e.status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
