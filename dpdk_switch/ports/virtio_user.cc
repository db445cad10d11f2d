// virtio_user: the switch as the guest side of another vhost-user backend (a vhost PMD, OVS,
// a vhost-user app) listening on `path`. The backend maps the switch's memory through the
// fds EAL gives it: with hugepages that needs EAL's --single-file-segments (eal.extra).
#include <sys/stat.h>

#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

Result<DeviceSpec> virtio_user_device(const PortConfig &p) {
    // The PMD only says "backend set up fails" in the log; say what is missing.
    struct stat st {};
    if (stat(p.path.c_str(), &st) != 0 || !(S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)))
        return fail("port " + p.name + ": no vhost-user socket at " + p.path +
                    " (virtio_user connects to a running vhost-user backend)");
    DeviceSpec d;
    d.name = "net_virtio_user_" + p.name;
    d.devargs = d.name + ",path=" + p.path + ",queues=" + std::to_string(p.queues);
    return d;
}

Attachment virtio_user_attachment(const PortConfig &p) { return {"path", "socket " + p.path}; }

std::string virtio_user_peer(const PortConfig &p) { return "virtio-user of " + p.path; }

}  // namespace

extern const PortKind virtio_user_kind{
    .type = PortType::virtio_user, .name = "virtio_user", .required = "path",
    .device = virtio_user_device, .peer = true, .attachment = virtio_user_attachment,
    .peer_of = virtio_user_peer,
};

}  // namespace dsw
