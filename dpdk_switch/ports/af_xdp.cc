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
    // An RX ring as long as the buffers posted: with the default 1024, a worker held up (the
    // host took its vCPU) lost frames at the full ring while half the buffers were still
    // posted. 6 runs each of bench_containers.sh --only switch-xdp: 4,274-20,133 frames dropped
    // per 5 s TCP run with 1024, 0-1,118 with 2048 (those at the empty fill ring), TCP the same.
    d.rx_desc = kFillRing;
    d.own_rx_pool = true;
    d.close_leaked_xsks = true;
    d.ring_drops = RingDrops::xsk;   // its sockets: those close_leaked_xsks finds
    return d;
}

}  // namespace dsw
