// vhost: a vhost-user socket for a DPDK app (virtio-user) or a VM (virtio-net). As server (the
// default) the switch listens on `path` and takes a peer back whenever it reconnects; as client
// it connects, and net_vhost reconnects by itself when the peer's socket comes back.
// Link up means a peer is connected and its rings are ready.
//
// Offloads (`offloads: true`, the default): `tso=1` lets the guest send TCP segments of up to
// 64 KB (HOST_TSO4/6; checksum-partial frames, VIRTIO_NET_F_CSUM, net_vhost always offers).
// With RX checksum offload asked for, net_vhost (22.11, its compliant ol_flags) leaves partial
// checksums as they are and says so with RX_L4_CKSUM_NONE, and a GSO frame with RX_LRO and
// tso_segsz, instead of summing 64 KB in software: the worker turns those flags into TX intent.
// What the switch may send to the guest is what that guest negotiated (GUEST_CSUM, GUEST_TSO4
// and 6), asked each time, since a new guest can take the socket at any moment.
#include <rte_eth_vhost.h>
#include <rte_ethdev.h>
#include <rte_vhost.h>

// The feature bits; the uapi header names a field `class` (as in dataplane/vnet_hdr.h).
#define class class_
#include <linux/virtio_net.h>
#undef class

#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

// The offloads the attached guest takes. net_vhost's TX hands a frame's TX flags to the vhost
// library, which writes them in the guest's virtio-net header whatever the guest negotiated:
// only what it did negotiate may be sent. No UDP segmentation: the library would write it as
// legacy UFO (IP fragments), not the USO the switch's TX_UDP_SEG means.
uint64_t vhost_guest_offloads(uint16_t port_id) {
    const int vid = rte_eth_vhost_get_vid_from_port_id(port_id);
    uint64_t features = 0;
    if (vid < 0 || rte_vhost_get_negotiated_features(vid, &features) != 0) return 0;
    uint64_t o = 0;
    // The IPv4 header checksum the vhost library writes itself (virtio_enqueue_offload).
    if (features & (1ULL << VIRTIO_NET_F_GUEST_CSUM))
        o |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
    constexpr uint64_t kTso = (1ULL << VIRTIO_NET_F_GUEST_TSO4) | (1ULL << VIRTIO_NET_F_GUEST_TSO6);
    if ((features & kTso) == kTso && (o & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) o |= RTE_ETH_TX_OFFLOAD_TCP_TSO;
    return o;
}

Result<DeviceSpec> vhost_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_vhost_" + p.name;
    d.devargs = d.name + ",iface=" + p.path + ",queues=" + std::to_string(p.queues) +
                ",client=" + (p.client ? "1" : "0") + (p.offloads ? ",tso=1" : "");
    if (!p.client) d.listen_path = p.path;
    if (p.offloads) {
        d.rx_offload_conf = RTE_ETH_RX_OFFLOAD_TCP_CKSUM | RTE_ETH_RX_OFFLOAD_UDP_CKSUM;
        // Asked so that net_vhost completes a checksum itself for a guest without GUEST_CSUM
        // rather than hand it a partial one; the switch sends only what the guest took anyway.
        d.tx_offloads = RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM | RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
        d.peer_tx_offloads = vhost_guest_offloads;
        d.rx_offloads = true;
    }
    return d;
}

Attachment vhost_attachment(const PortConfig &p) { return {"path", "socket " + p.path}; }

std::string vhost_peer(const PortConfig &p) {
    return (p.client ? "vhost-user client of " : "vhost-user server on ") + p.path;
}

}  // namespace

extern const PortKind vhost_kind{
    .type = PortType::vhost, .name = "vhost", .required = "path", .options = {"client", "offloads"},
    .device = vhost_device, .peer = true, .attachment = vhost_attachment, .peer_of = vhost_peer,
};

}  // namespace dsw
