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
// binding with its VLAN); the vxlan: section as started, each VNI's remotes those that flood for
// it now (of the config or of `vxlan vtep add`). Learned entries, and VTEPs added by learn_vteps,
// are not part of it (nor a VTEP that floods for no VNI: the config has no place for it).
Config running_config(Switch &sw);

}  // namespace dsw
