// dpdk: any DPDK device given by its devargs ("net_pcap0,rx_pcap=x.pcap", "net_null0", ...).
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> generic_device(const PortConfig &p) {
    DeviceSpec d;
    d.devargs = p.devargs;
    d.name = p.devargs.substr(0, p.devargs.find(','));
    if (d.name.empty()) return fail("port " + p.name + ": devargs has no device name");
    return d;
}

}  // namespace dsw
