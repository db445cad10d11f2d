// veth: a container's veth host end through an AF_PACKET socket with the virtio-net header
// (PACKET_VNET_HDR), the switch's own I/O (ports/vnet_socket.h). The container keeps its
// default offloads: its partial checksums and 64 KB TCP/UDP segments arrive as such, travel in
// the mbuf and leave the same way into another veth (no `ethtool -K eth0 tx off`, no split, no
// checksum work in user space). DPDK 22.11's net_af_packet has no such header.
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <rte_byteorder.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/ports/vnet_socket.h"

namespace dsw {

namespace {

// The socket's buffers. The receive side holds what arrives while the worker is busy: 64 KB
// segments take ~66 KB of it each (rmem_default's 208 KB held three). The send side bounds
// the frames queued on the socket before veth takes them.
constexpr int kRcvBuf = 16 << 20;
constexpr int kSndBuf = 4 << 20;
// RX mbufs beyond the posted head and tail per slot: the port's frames in flight elsewhere (a
// hand-off ring, TX batches, another port's TX queue) before they come back to the pool.
constexpr unsigned kPoolSlack = 512;

std::string sys_error(const PortConfig &p, const std::string &what) {
    return "port " + p.name + ": " + what + ": " + std::strerror(errno);
}

class VethPort : public OwnIoPort {
public:
    ~VethPort() override {
        sock_.reset();   // posted mbufs back first
        // Closing the socket also drops its promiscuous membership: the interface is left as it was.
        if (fd_ >= 0) close(fd_);
    }
    const PortIo &io() const override { return io_; }
    uint32_t max_frame() const override { return max_frame_; }

    bool link_up() const override {
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, iface_.c_str(), IFNAMSIZ - 1);
        if (ioctl(fd_, SIOCGIFFLAGS, &ifr) != 0) return false;
        // RUNNING: up, and its peer (the container's eth0) up too.
        return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
    }

    std::optional<uint64_t> ring_drops() override {
        // PACKET_STATISTICS answers the counts since the previous read and zeroes them: summed.
        tpacket_stats st{};
        socklen_t len = sizeof st;
        if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) drops_ += st.tp_drops;
        return drops_;
    }

    static Result<std::unique_ptr<OwnIoPort>> open(const PortConfig &p, rte_mempool *pool);

private:
    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
        return static_cast<VethPort *>(ctx)->sock_->rx(pkts, n, pc);
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
        return static_cast<VethPort *>(ctx)->sock_->tx(pkts, n, refused);
    }

    int fd_ = -1;
    std::string iface_;
    uint32_t max_frame_ = 0;
    uint64_t drops_ = 0;
    std::unique_ptr<VnetSocket> sock_;
    PortIo io_;
};

Result<std::unique_ptr<OwnIoPort>> VethPort::open(const PortConfig &p, rte_mempool *pool) {
    auto mtu = port_mtu(p);
    if (!mtu) return mtu.error();
    const unsigned ifindex = if_nametoindex(p.iface.c_str());
    if (ifindex == 0) return fail(sys_error(p, "interface " + p.iface));
    auto port = std::make_unique<VethPort>();
    port->iface_ = p.iface;
    port->max_frame_ = *mtu + kFrameOverhead;
    // Protocol 0: the socket hears nothing until it is bound to the interface, so that no
    // other interface's frame is ever queued on it.
    port->fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (port->fd_ < 0) return fail(sys_error(p, "AF_PACKET socket"));
    const int fd = port->fd_, one = 1;
    struct Opt {
        int level, name;
        const void *value;
        socklen_t len;
        const char *what;
    };
    const Opt opts[] = {
        {SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one, "PACKET_VNET_HDR"},
        // A frame's 802.1Q tag: the kernel takes it off (veth passes it as an offloaded tag) and
        // reports it only here; VnetSocket puts it back, or a trunk's frames arrive untagged.
        {SOL_PACKET, PACKET_AUXDATA, &one, sizeof one, "PACKET_AUXDATA"},
        // Its own sends would come back as received: the switch would learn their sources here.
        {SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one, "PACKET_IGNORE_OUTGOING"},
        // Straight to veth's xmit: the qdisc would only add a lock and a queue.
        {SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one, "PACKET_QDISC_BYPASS"},
        // FORCE: past net.core.rmem_max/wmem_max (the switch runs as root).
        {SOL_SOCKET, SO_RCVBUFFORCE, &kRcvBuf, sizeof kRcvBuf, "SO_RCVBUFFORCE"},
        {SOL_SOCKET, SO_SNDBUFFORCE, &kSndBuf, sizeof kSndBuf, "SO_SNDBUFFORCE"},
    };
    for (const Opt &o : opts)
        if (setsockopt(fd, o.level, o.name, o.value, o.len) != 0) return fail(sys_error(p, o.what));
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = rte_cpu_to_be_16(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(ifindex);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&sll), sizeof sll) != 0)
        return fail(sys_error(p, "bind to " + p.iface));
    // A switch port sees every destination. A membership of the socket, not a flag set on the
    // interface: the kernel takes it back when the socket closes (port del, exit, even a crash).
    packet_mreq mr{};
    mr.mr_ifindex = static_cast<int>(ifindex);
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) != 0)
        return fail(sys_error(p, "promiscuous mode on " + p.iface));
    (void)port->ring_drops();   // counting starts here
    port->drops_ = 0;
    port->sock_ = std::make_unique<VnetSocket>(fd, pool);
    port->io_ = PortIo{rx, tx, port.get()};
    DSW_LOG(INFO, port, "port %s: veth %s (AF_PACKET, virtio-net header): MTU %u, frames up to %u bytes (64 KB "
            "segments as such), longer ones counted oversize", p.name.c_str(), p.iface.c_str(), *mtu,
            port->max_frame_);
    return std::unique_ptr<OwnIoPort>(std::move(port));
}

Result<MbufNeeds> veth_mbufs(const PortConfig &p) {
    if (p.queues != 1) return fail("port " + p.name + ": a veth port has one queue (queues: " +
                                   std::to_string(p.queues) + ")");
    // A head and a tail posted per RX slot, in a pool of its own: every RX mbuf holds a 64 KB
    // segment. It takes nothing from the shared pool (TX frees what it sent at once).
    return MbufNeeds{.shared = 0, .own_rx = 2 * kMaxBurst + kPoolSlack, .own_rx_data_room = VnetSocket::kDataRoom};
}

Attachment veth_attachment(const PortConfig &p) { return {"iface", "interface " + p.iface}; }

}  // namespace

extern const PortKind veth_kind{
    .type = PortType::veth, .name = "veth", .required = "iface", .options = {"mtu"},
    .open_own = VethPort::open, .own_mbufs = veth_mbufs, .kernel_iface = true, .iface_outlives_port = true,
    .attachment = veth_attachment, .offloads = kCapTx | kCapRxOffloads,
};

}  // namespace dsw
