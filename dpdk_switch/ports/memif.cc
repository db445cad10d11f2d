// memif: shared-memory packet interface, the one VPP speaks (and DPDK's net_memif). The server
// (DPDK 22.11's name for master) listens on `socket` and owns the shared regions; a client
// (slave) connects. `id` tells several interfaces on one socket apart.
// The socket is a file-system path, as VPP's is (/run/vpp/memif.sock), not net_memif's default
// abstract name: a DPDK peer passes socket-abstract=no too.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<DeviceSpec> memif_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_memif_" + p.name;
    d.devargs = d.name + ",role=" + p.role + ",id=" + std::to_string(p.id) + ",socket=" + p.socket +
                ",socket-abstract=no";
    if (p.role == "server") d.listen_path = p.socket;
    return d;
}

}  // namespace dsw
