// tap: a kernel TAP netdev made by the PMD (a host interface into the switch).
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> tap_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_tap_" + p.name;
    d.devargs = d.name + ",iface=" + p.iface;
    return d;
}

}  // namespace dsw
