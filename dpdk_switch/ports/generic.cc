// dpdk: any DPDK device given by its devargs ("net_pcap0,rx_pcap=x.pcap", "net_null0", ...).
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

Result<DeviceSpec> generic_device(const PortConfig &p) {
    DeviceSpec d;
    d.devargs = p.devargs;
    d.name = p.devargs.substr(0, p.devargs.find(','));
    if (d.name.empty()) return fail("port " + p.name + ": devargs has no device name");
    return d;
}

// DPDK probes a device name once: the name is what devargs says before its first comma.
Attachment generic_attachment(const PortConfig &p) {
    return {"devargs", "device " + p.devargs.substr(0, p.devargs.find(','))};
}

}  // namespace

extern const PortKind dpdk_kind{
    .type = PortType::dpdk, .name = "dpdk", .required = "devargs", .device = generic_device,
    .attachment = generic_attachment, .open_refuses_shared = true,
};

}  // namespace dsw
