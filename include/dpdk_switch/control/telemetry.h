// DPDK telemetry for the switch: /dpdk_switch/... commands that dpdk-telemetry.py (and any
// client of the telemetry socket) can read, next to the standard /ethdev/... ones.
//   /dpdk_switch/ports                    names of the ports
//   /dpdk_switch/port_stats,<name>        one port's counters (drops.<reason> flattened)
//   /dpdk_switch/port_info,<name>         one port's type, ethdev, lcore, link
//   /dpdk_switch/switch_stats             learning, flooding, proxies, drops by reason
//   /dpdk_switch/mac_table                {entries, capacity, aging_s}
//   /dpdk_switch/lcores                   worker lcore ids;  /dpdk_switch/lcore,<id>: one worker
// Telemetry answers on its own thread: every callback runs a CLI command under the control
// plane's lock, so it never sees a port half added or removed.
#pragma once

#include <mutex>

namespace dsw {

class Switch;

// Registers the commands (once per process) and points them at `sw`; nullptr detaches them
// (they then answer an error) before the Switch goes away.
void telemetry_attach(Switch *sw, std::mutex *control_lock);

}  // namespace dsw
