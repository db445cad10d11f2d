// memif: shared-memory packet interface, the one VPP speaks (and DPDK's net_memif). The server
// (DPDK 22.11's name for master) listens on `socket` and owns the shared regions; a client
// (slave) connects. `id` tells several interfaces on one socket apart.
// The socket is a file-system path, as VPP's is (/run/vpp/memif.sock), not net_memif's default
// abstract name: a DPDK peer passes socket-abstract=no too.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

Result<DeviceSpec> memif_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_memif_" + p.name;
    d.devargs = d.name + ",role=" + p.role + ",id=" + std::to_string(p.id) + ",socket=" + p.socket +
                ",socket-abstract=no";
    if (p.role == "server") d.listen_path = p.socket;
    return d;
}

Attachment memif_attachment(const PortConfig &p) {
    return {"socket", "memif socket " + p.socket + " id " + std::to_string(p.id)};
}

std::string memif_peer(const PortConfig &p) {
    return "memif " + p.role + " on " + p.socket + " id " + std::to_string(p.id);
}

}  // namespace

extern const PortKind memif_kind{
    .type = PortType::memif, .name = "memif", .required = "socket", .options = {"id", "role"},
    .device = memif_device, .peer = true, .attachment = memif_attachment, .peer_of = memif_peer,
};

}  // namespace dsw
