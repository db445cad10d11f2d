// af_packet: a kernel interface (a container's veth host end) through a PACKET_MMAP socket.
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {
constexpr unsigned kRingFrames = 1024;
}  // namespace

Result<DeviceSpec> af_packet_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_af_packet_" + p.name;
    // qpairs follow the port's queues; the PMD's default block/frame sizes fit 1500-byte MTUs.
    // Rings of 1024 frames (the PMD's default 512): a worker the host holds up for a moment
    // loses less at a full ring, for 2 MB more kernel memory per queue pair. 7 interleaved runs
    // each of bench_containers.sh --only switch-afp: TCP median 2.91 against 2.92 Gbit/s, frames
    // dropped 585 in all against 5738 (4096 frames lost none, but TCP fell to 2.46 from 3.02).
    d.devargs = d.name + ",iface=" + p.iface + ",qpairs=" + std::to_string(p.queues) + ",framecnt=" +
                std::to_string(kRingFrames);
    d.discard_early_rx = true;   // see DeviceSpec: its socket hears every interface until bound
    d.ring_drops = RingDrops::packet_mmap;
    return d;
}

}  // namespace dsw
