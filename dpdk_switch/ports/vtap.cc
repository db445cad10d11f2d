// vtap: a TAP netdev the switch makes itself (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) with I/O of its
// own (ports/tap_queue.h), beside `tap`, which is DPDK's net_tap and carries plain frames only.
// The tap says what it takes at setup (TUNSETOFFLOAD): checksums, TSO, USO and, on Linux 6.17 or
// later, UDP-tunnel GSO, with the 24-byte tunnel header. So a host's 64 KB segments reach the
// switch whole, and as a VXLAN underlay it takes encapsulated 64 KB segments whole, which the
// kernel segments or hands on (to a bridge, a kernel VTEP) as one skb: what a veth's packet socket
// cannot express (its plain header has no tunnel fields).
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/ports/tap_queue.h"
#include "dpdk_switch/ports/tun_whereabouts.h"

namespace dsw {

namespace {

// TUNSETOFFLOAD bits newer than Debian 12's uapi (if_tun.h of Linux 6.2 and 6.17).
constexpr unsigned kTunFUso4 = 0x20, kTunFUso6 = 0x40;
constexpr unsigned kTunFUdpTunnelGso = 0x080;
// ... and those whose outer UDP checksum is to be computed per segment (SKB_GSO_UDP_TUNNEL_CSUM):
// what the kernel's vxlan sends by default (udpcsum). Without it the kernel segments such a skb
// before the tap. With it the switch asks the same for its own UDP-tunnel GSO frames (outer UDP
// checksum set per segment, as the kernel's vxlan sends); its other VXLAN frames carry checksum
// 0 (RFC 7348 over IPv4).
constexpr unsigned kTunFUdpTunnelGsoCsum = 0x100;
constexpr unsigned kTunFPlain = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
// RX mbufs beyond the posted head and tail: the port's frames in flight elsewhere (a hand-off
// ring, TX batches, another port's TX queue) before they come back to the pool.
constexpr unsigned kPoolSlack = 512;

std::string sys_error(const PortConfig &p, const std::string &what) {
    return "port " + p.name + ": " + what + ": " + std::strerror(errno);
}

class VtapPort : public OwnIoPort {
public:
    ~VtapPort() override {
        queue_.reset();   // posted mbufs back first
        where_.reset();   // it follows fd_ (not a duplicate of its own)
        // The tap is not persistent: closing its only fd deletes the interface.
        if (fd_ >= 0) close(fd_);
    }
    const PortIo &io() const override { return io_; }
    uint32_t max_frame() const override { return max_frame_; }
    uint8_t offload_caps(uint8_t) const override { return caps_; }

    // Asked of the tap's fd, wherever its interface went (moved into a container's namespace,
    // renamed), not by the name it was made with.
    bool link_up() const override { return where_->link_up(); }
    // Its name and namespace now: `show port info` says them, and its kernel counters are read
    // by that name in the switch's namespace (/sys/class/net), none while it is elsewhere, rather
    // than those of another interface that took its old name.
    std::optional<IfaceWhere> iface_where() const override { return where_->iface_where(); }
    bool link_up_where(std::optional<IfaceWhere> &where) const override {
        IfaceWhere w;
        const bool up = where_->link_up(&w);
        where = w;
        return up;
    }

    static Result<std::unique_ptr<OwnIoPort>> open(const PortConfig &p, rte_mempool *pool);

private:
    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
        return static_cast<VtapPort *>(ctx)->queue_->rx(pkts, n, pc);
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
        return static_cast<VtapPort *>(ctx)->queue_->tx(pkts, n, refused);
    }
    // Asks for the offloads this kernel has, newest first: what the tap then takes (OffloadCaps).
    Result<uint8_t> set_offloads(const PortConfig &p);

    int fd_ = -1;    // the tap
    // Where its interface is, and the socket in the switch's namespace its MTU and flags are
    // set through at open (where_->ctl()).
    std::unique_ptr<TunWhereabouts> where_;
    uint32_t max_frame_ = 0;
    uint8_t caps_ = kCapNone;
    bool outer_csum_ = false;   // TUN_F_UDP_TUNNEL_GSO_CSUM taken
    std::unique_ptr<TapQueue> queue_;
    PortIo io_;
};

Result<uint8_t> VtapPort::set_offloads(const PortConfig &p) {
    struct Try {
        unsigned flags;
        uint8_t caps;
        bool outer_csum;
    };
    // USO came with Linux 6.2, UDP-tunnel GSO with 6.17: an older tap answers EINVAL.
    const Try tries[] = {
        {kTunFPlain | kTunFUso4 | kTunFUso6 | kTunFUdpTunnelGso | kTunFUdpTunnelGsoCsum, kCapTx | kCapUdpTunnelTso, true},
        {kTunFPlain | kTunFUso4 | kTunFUso6 | kTunFUdpTunnelGso, kCapTx | kCapUdpTunnelTso, false},
        {kTunFPlain | kTunFUso4 | kTunFUso6, kCapTx, false},
        {kTunFPlain, kCapCsum | kCapTso, false},
    };
    for (const Try &t : tries) {
        if (ioctl(fd_, TUNSETOFFLOAD, t.flags) == 0) {
            outer_csum_ = t.outer_csum;
            return static_cast<uint8_t>(t.caps | kCapRxOffloads);
        }
    }
    return fail(sys_error(p, "TUNSETOFFLOAD"));
}

Result<std::unique_ptr<OwnIoPort>> VtapPort::open(const PortConfig &p, rte_mempool *pool) {
    const unsigned mtu = p.mtu != 0 ? p.mtu : 1500;
    auto port = std::make_unique<VtapPort>();
    port->max_frame_ = mtu + kFrameOverhead;
    port->fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (port->fd_ < 0) return fail(sys_error(p, "/dev/net/tun"));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, p.iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    // An existing interface of that name that is no free tap: EBUSY or EINVAL.
    if (ioctl(port->fd_, TUNSETIFF, &ifr) != 0) return fail(sys_error(p, "making tap " + p.iface));
    port->where_ = TunWhereabouts::of_fd(port->fd_);
    if (!port->where_) return fail(sys_error(p, "following tap " + p.iface));
    // The tunnel header's size whatever the tap takes: with fewer offloads its tail is zero.
    const int hdr = sizeof(VnetTunnelHdr);
    if (ioctl(port->fd_, TUNSETVNETHDRSZ, &hdr) != 0) return fail(sys_error(p, "TUNSETVNETHDRSZ"));
    auto caps = port->set_offloads(p);
    if (!caps) return caps.error();
    port->caps_ = caps.value();
    const int ctl = port->where_->ctl();
    ifr = ifreq{};
    std::strncpy(ifr.ifr_name, p.iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_mtu = static_cast<int>(mtu);
    if (ioctl(ctl, SIOCSIFMTU, &ifr) != 0) return fail(sys_error(p, "MTU " + std::to_string(mtu)));
    if (ioctl(ctl, SIOCGIFFLAGS, &ifr) != 0) return fail(sys_error(p, "flags of " + p.iface));
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(ctl, SIOCSIFFLAGS, &ifr) != 0) return fail(sys_error(p, "bringing " + p.iface + " up"));
    port->queue_ = std::make_unique<TapQueue>(port->fd_, pool, port->outer_csum_);
    port->io_ = PortIo{rx, tx, port.get()};
    DSW_LOG(INFO, port, "port %s: vtap %s (TAP, virtio-net header): MTU %u, 64 KB segments as such, offloads csum "
            "tso%s%s%s", p.name.c_str(), p.iface.c_str(), mtu, (port->caps_ & kCapUso) ? " uso" : "",
            (port->caps_ & kCapUdpTunnelTso) ? " udp-tunnel-tso" : " (no UDP-tunnel GSO: Linux < 6.17)",
            port->outer_csum_ ? " udp-tunnel-csum" : "");
    return std::unique_ptr<OwnIoPort>(std::move(port));
}

Result<MbufNeeds> vtap_mbufs(const PortConfig &p) {
    if (p.queues != 1) return fail("port " + p.name + ": a vtap port has one queue (queues: " +
                                   std::to_string(p.queues) + ")");
    // A head and a tail posted, in a pool of its own of 64 KB mbufs; nothing from the shared pool
    // (TX frees what it wrote at once).
    return MbufNeeds{.shared = 0, .own_rx = 2 + kMaxBurst + kPoolSlack, .own_rx_data_room = TapQueue::kDataRoom};
}

Attachment vtap_attachment(const PortConfig &p) { return {"iface", "interface " + p.iface}; }

}  // namespace

// Its interface is its own: made with the port, gone with it. What it takes is what the kernel
// accepted at open (OwnIoPort::offload_caps); the kind says the most.
extern const PortKind vtap_kind{
    .type = PortType::vtap, .name = "vtap", .required = "iface", .options = {"mtu"},
    .open_own = VtapPort::open, .own_mbufs = vtap_mbufs, .kernel_iface = true,
    .attachment = vtap_attachment, .offloads = kCapTx | kCapRxOffloads | kCapUdpTunnelTso,
};

}  // namespace dsw
