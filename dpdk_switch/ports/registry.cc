#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> device_for(const PortConfig &p) {
    switch (p.type) {
    case PortType::af_packet: return af_packet_device(p);
    case PortType::af_xdp: return af_xdp_device(p);
    case PortType::tap: return tap_device(p);
    case PortType::vhost: return vhost_device(p);
    case PortType::virtio_user: return virtio_user_device(p);
    case PortType::memif: return memif_device(p);
    case PortType::dpdk: return generic_device(p);
    }
    return fail(std::string("port ") + p.name + ": type " + port_type_name(p.type) + " is not supported");
}

}  // namespace dsw
