// How each port type becomes a DPDK device: one small builder per type (ports/<type>.cc) that
// turns a PortConfig into devargs. Everything after probing is shared (EthPort), so a new PMD
// is a new builder and one line in the registry, and no data-plane code changes.
#pragma once

#include <string>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/result.h"

namespace dsw {

struct DeviceSpec {
    std::string name;      // vdev/ethdev name, e.g. "net_af_packet_c1"
    std::string devargs;   // full argument to rte_dev_probe, e.g. "net_af_packet_c1,iface=v1"
};

Result<DeviceSpec> af_packet_device(const PortConfig &p);
Result<DeviceSpec> tap_device(const PortConfig &p);
Result<DeviceSpec> generic_device(const PortConfig &p);

// Dispatches on p.type; an unsupported type is an error naming it.
Result<DeviceSpec> device_for(const PortConfig &p);

}  // namespace dsw
