// The switch's figures as Prometheus metric families, read on the control plane (under its lock)
// from the snapshot functions `show ... --json` uses: Switch::port_snapshot, switch_totals,
// lcore_totals, the MAC table and the mbuf pool. Counter names come from the same lists
// (DSW_SWITCH_COUNTERS, the drop reasons).
#pragma once

#include <vector>

#include "dpdk_switch/control/prometheus_text.h"

namespace dsw {

class Switch;

std::vector<MetricFamily> switch_metrics(Switch &sw);

}  // namespace dsw
