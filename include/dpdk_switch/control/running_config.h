// The running switch as a Config: what `save config` writes, and what a switch started from it
// comes back as.
#pragma once

#include "dpdk_switch/control/config.h"

namespace dsw {

class Switch;

// The config the switch was started with (eal:, and switch: as given), with what has changed
// since: switch.mac_aging_s and switch.tx_flush_us as set from the CLI; the ports that run now,
// in index order (those of the config and those added with `port add`, each with the keys it
// was given); the static MAC entries and static IPv4 ARP bindings the tables hold now (each
// binding with its VLAN). Learned entries are not part of it.
Config running_config(Switch &sw);

}  // namespace dsw
