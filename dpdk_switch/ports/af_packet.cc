// af_packet: a kernel interface (a container's veth host end) through a PACKET_MMAP socket.
#include <numeric>

#include <rte_mbuf_core.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/af_packet_fanout.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {
constexpr unsigned kRingFrames = 1024;
// The PMD's frame size (DFLT_FRAME_SIZE): used as it is whenever the port's frames fit.
constexpr unsigned kDefaultFrameSize = 2048;
// Where a TPACKET_V2 ring frame's data starts: the kernel puts the MAC header at
// TPACKET_ALIGN(TPACKET2_HDRLEN + 16) - 14, and cuts what does not fit behind it (tp_snaplen
// < tp_len, which the PMD does not look at).
constexpr unsigned kRxDataOffset = 66;
// What the PMD wants an mbuf to hold beyond the data room's headroom: the frame size less the
// TPACKET2 header without its sockaddr_ll (eth_rx_queue_setup refuses a smaller mbuf).
constexpr unsigned kPmdFrameHeader = 32;
constexpr unsigned kPageSize = 4096;
Result<DeviceSpec> af_packet_device(const PortConfig &p) {
    auto mtu = port_mtu(p);
    if (!mtu) return mtu.error();
    DeviceSpec d;
    d.name = "net_af_packet_" + p.name;
    d.max_frame = *mtu + kFrameOverhead;
    // qpairs follow the port's queues. Rings of 1024 frames (the PMD's default 512): a worker
    // the host holds up for a moment loses less at a full ring, for 2 MB more kernel memory per
    // queue pair, and TCP the same; 4096 frames lost none but slowed TCP (BENCHMARKS.md, "Figures behind code comments").
    d.devargs = d.name + ",iface=" + p.iface + ",qpairs=" + std::to_string(p.queues) + ",framecnt=" +
                std::to_string(kRingFrames);
    // A ring frame holds the longest frame the port carries and one byte more, so that a frame
    // the kernel cut (to the frame's room) is longer than max_frame: the worker counts it
    // oversize rather than switching it cut.
    const unsigned need = kRxDataOffset + d.max_frame + 1;
    if (need > kDefaultFrameSize) {
        // A multiple of 1 KB: the ring's blocks (whole pages, each an exact number of frames, as
        // the PMD indexes frames as one array) then hold 1, 2 or 4 frames, which 1024 divides.
        const unsigned frame = (need + 1023) / 1024 * 1024;
        const unsigned block = std::lcm(frame, kPageSize);
        d.devargs += ",framesz=" + std::to_string(frame) + ",blocksz=" + std::to_string(block);
        d.rx_data_room = static_cast<uint16_t>(frame - kPmdFrameHeader + RTE_PKTMBUF_HEADROOM);
    }
    d.discard_early_rx = true;   // see DeviceSpec: its socket hears every interface until bound
    d.ring_drops = RingDrops::packet_mmap;
    d.probe_failure = [](const PortConfig &port) { return af_packet_fanout_clash(port.iface); };
    return d;
}

Attachment af_packet_attachment(const PortConfig &p) { return {"iface", "interface " + p.iface}; }

}  // namespace

extern const PortKind af_packet_kind{
    .type = PortType::af_packet, .name = "af_packet", .required = "iface", .options = {"mtu"},
    .device = af_packet_device, .kernel_iface = true, .iface_outlives_port = true,
    .attachment = af_packet_attachment,
};

}  // namespace dsw
