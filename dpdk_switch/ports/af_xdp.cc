// af_xdp: a kernel interface (a container's veth host end) through an AF_XDP socket: the XDP
// program redirects frames straight into a UMEM laid over the mbuf pool, no PACKET_MMAP copy.
#include <rte_eal.h>

#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {
// net_af_xdp posts this many mbufs to each RX queue's fill ring (ETH_AF_XDP_DFLT_NUM_DESCS).
constexpr unsigned kFillRing = 2048;
}  // namespace

Result<DeviceSpec> af_xdp_device(const PortConfig &p) {
    // The PMD registers the whole pool as one UMEM from its first chunk on: only hugepage-backed
    // EAL memory makes that one contiguous, page-aligned region.
    if (!rte_eal_has_hugepages())
        return fail("port " + p.name + ": af_xdp needs hugepages (EAL runs with --no-huge)");
    DeviceSpec d;
    d.name = "net_af_xdp_" + p.name;
    d.devargs = d.name + ",iface=" + p.iface + ",start_queue=0,queue_count=" + std::to_string(p.queues);
    d.rx_fill = kFillRing;
    d.own_rx_pool = true;
    d.close_leaked_xsks = true;
    return d;
}

}  // namespace dsw
