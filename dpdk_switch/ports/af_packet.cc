// af_packet: a kernel interface (a container's veth host end) through a PACKET_MMAP socket.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> af_packet_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_af_packet_" + p.name;
    // qpairs follow the port's queues; the PMD's default block/frame sizes fit 1500-byte MTUs.
    d.devargs = d.name + ",iface=" + p.iface + ",qpairs=" + std::to_string(p.queues);
    d.discard_early_rx = true;   // see DeviceSpec: its socket hears every interface until bound
    d.ring_drops = RingDrops::packet_mmap;
    return d;
}

}  // namespace dsw
