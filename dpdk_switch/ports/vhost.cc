// vhost: a vhost-user socket for a DPDK app (virtio-user) or a VM (virtio-net). As server (the
// default) the switch listens on `path` and takes a peer back whenever it reconnects; as client
// it connects, and net_vhost reconnects by itself when the peer's socket comes back.
// Link up means a peer is connected and its rings are ready.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> vhost_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_vhost_" + p.name;
    d.devargs = d.name + ",iface=" + p.path + ",queues=" + std::to_string(p.queues) +
                ",client=" + (p.client ? "1" : "0");
    if (!p.client) d.listen_path = p.path;
    return d;
}

}  // namespace dsw
