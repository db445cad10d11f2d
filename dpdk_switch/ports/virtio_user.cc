// virtio_user: the switch as the guest side of another vhost-user backend (a vhost PMD, OVS,
// a vhost-user app) listening on `path`. The backend maps the switch's memory through the
// fds EAL gives it: with hugepages that needs EAL's --single-file-segments (eal.extra).
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> virtio_user_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_virtio_user_" + p.name;
    d.devargs = d.name + ",path=" + p.path + ",queues=" + std::to_string(p.queues);
    return d;
}

}  // namespace dsw
