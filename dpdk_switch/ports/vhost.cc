// vhost: a vhost-user socket for a DPDK app (virtio-user) or a VM (virtio-net). As server (the
// default) the switch listens on `path` and takes a peer back whenever it reconnects; as client
// it connects, and net_vhost reconnects by itself when the peer's socket comes back.
// Link up means a peer is connected and its rings are ready.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

Result<DeviceSpec> vhost_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_vhost_" + p.name;
    d.devargs = d.name + ",iface=" + p.path + ",queues=" + std::to_string(p.queues) +
                ",client=" + (p.client ? "1" : "0");
    if (!p.client) d.listen_path = p.path;
    return d;
}

Attachment vhost_attachment(const PortConfig &p) { return {"path", "socket " + p.path}; }

std::string vhost_peer(const PortConfig &p) {
    return (p.client ? "vhost-user client of " : "vhost-user server on ") + p.path;
}

}  // namespace

extern const PortKind vhost_kind{
    .type = PortType::vhost, .name = "vhost", .required = "path", .options = {"client"},
    .device = vhost_device, .peer = true, .attachment = vhost_attachment, .peer_of = vhost_peer,
};

}  // namespace dsw
