// af_xdp: a kernel interface (a container's veth host end) through an AF_XDP socket: the XDP
// program redirects frames straight into a UMEM laid over the mbuf pool, no PACKET_MMAP copy.
#include <rte_eal.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {
// net_af_xdp posts this many mbufs to each RX queue's fill ring (ETH_AF_XDP_DFLT_NUM_DESCS).
constexpr unsigned kFillRing = 2048;
// The longest frame one UMEM chunk takes (net_af_xdp 22.11 has no multi-buffer): a chunk is an
// mbuf of the port's pool (2368 bytes with the default 2176-byte data room), less the mbuf
// header and headroom the PMD reserves (320) and XDP_PACKET_HEADROOM (256). The kernel drops a
// longer frame at the socket (counted in the port's rx_missed); the switch refuses to send one.
constexpr unsigned kXskFrameRoom = 1792;
Result<DeviceSpec> af_xdp_device(const PortConfig &p) {
    // The PMD registers the whole pool as one UMEM from its first chunk on: only hugepage-backed
    // EAL memory makes that one contiguous, page-aligned region.
    if (!rte_eal_has_hugepages())
        return fail("port " + p.name + ": af_xdp needs hugepages (EAL runs with --no-huge)");
    auto mtu = port_mtu(p);
    if (!mtu) return mtu.error();
    if (*mtu + kFrameOverhead > kXskFrameRoom)
        return fail("port " + p.name + ": MTU " + std::to_string(*mtu) +
                    (p.mtu != 0 ? "" : " (interface " + p.iface + "'s)") + " is more than af_xdp carries (" +
                    std::to_string(kXskFrameRoom - kFrameOverhead) +
                    ": one UMEM frame per packet in DPDK 22.11): lower it, or use af_packet for jumbo frames");
    DeviceSpec d;
    d.name = "net_af_xdp_" + p.name;
    d.max_frame = *mtu + kFrameOverhead;
    d.devargs = d.name + ",iface=" + p.iface + ",start_queue=0,queue_count=" + std::to_string(p.queues);
    d.rx_fill = kFillRing;
    // An RX ring as long as the buffers posted: with the default 1024, a worker held up (the
    // host took its vCPU) lost frames at the full ring while half the buffers were still
    // posted. With 2048 far fewer frames drop (those left drop at the empty fill ring), TCP the
    // same (BENCHMARKS.md, "Figures behind code comments").
    d.rx_desc = kFillRing;
    d.own_rx_pool = true;
    d.close_leaked_xsks = true;
    d.ring_drops = RingDrops::xsk;   // its sockets: those close_leaked_xsks finds
    return d;
}

Attachment af_xdp_attachment(const PortConfig &p) { return {"iface", "interface " + p.iface}; }

}  // namespace

extern const PortKind af_xdp_kind{
    .type = PortType::af_xdp, .name = "af_xdp", .required = "iface", .options = {"mtu"},
    .device = af_xdp_device, .kernel_iface = true, .iface_outlives_port = true,
    .attachment = af_xdp_attachment,
};

}  // namespace dsw
