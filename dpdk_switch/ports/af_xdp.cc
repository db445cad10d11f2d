// af_xdp: a kernel interface (a container's veth host end) through an AF_XDP socket: the XDP
// program redirects frames straight into a UMEM laid over the mbuf pool, no PACKET_MMAP copy.
#include <dirent.h>
#include <sys/socket.h>

#include <cstdlib>

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

std::vector<int> af_xdp_socket_fds() {
    std::vector<int> fds;
    DIR *dir = opendir("/proc/self/fd");
    if (dir == nullptr) return fds;
    while (const dirent *e = readdir(dir)) {
        char *end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
        int domain = 0;
        socklen_t len = sizeof domain;
        if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_XDP)
            fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
    return fds;
}

}  // namespace dsw
