"""dswbench: the benchmark harness of dpdk_switch (bench/README.md).

Run as `python3 -m dswbench` from bench/ (scripts/bench.sh does), or `python3 -m dswbench pcap|containers|vhost|plot`
for one part (scripts/bench_pcap.sh, bench_containers.sh, bench_vhost.sh, plot_bench.py). One module per job:
procs (processes and their cleanup), netns (containers), quiet (waiting for a quiet host), forwarders (one class
per system), traffic (ping and iperf3), the parts (gbench, pcap_rate, containers, vhost), summary and plot.
"""
