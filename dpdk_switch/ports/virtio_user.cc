// virtio_user: the switch as the guest side of another vhost-user backend (a vhost PMD, OVS,
// a vhost-user app) listening on `path`. The backend maps the switch's memory through the
// fds EAL gives it: with hugepages that needs EAL's --single-file-segments (eal.extra).
//
// Offloads (`offloads: true`, the default): net_virtio (22.11) negotiates with the backend the
// virtio features of the ethdev offloads it is configured with: RX checksum and TCP_LRO become
// GUEST_CSUM and GUEST_TSO4/6 (the backend may send partial checksums and 64 KB segments, which
// the PMD marks RX_L4_CKSUM_NONE and RX_LRO with tso_segsz), TX checksum and TCP_TSO become
// CSUM and HOST_TSO4/6. Only what the backend offers is asked for (its dev_info), and what was
// granted is what the switch sends it.
#include <sys/stat.h>

#include <rte_ethdev.h>

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
    if (p.offloads) {
        d.rx_offload_conf = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_LRO;
        d.tx_offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_TSO |
                        RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
        d.rx_offloads = true;
    }
    return d;
}

Attachment virtio_user_attachment(const PortConfig &p) { return {"path", "socket " + p.path}; }

std::string virtio_user_peer(const PortConfig &p) { return "virtio-user of " + p.path; }

}  // namespace

extern const PortKind virtio_user_kind{
    .type = PortType::virtio_user, .name = "virtio_user", .required = "path", .options = {"offloads"},
    .device = virtio_user_device, .peer = true, .attachment = virtio_user_attachment,
    .peer_of = virtio_user_peer,
};

}  // namespace dsw
