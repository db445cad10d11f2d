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
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <thread>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/ports/tap_queue.h"

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

// A network namespace's identity: its nsfs inode.
struct NetnsId {
    dev_t dev = 0;
    ino_t ino = 0;
    bool operator==(const NetnsId &) const = default;
};

std::optional<NetnsId> netns_id(int ns_fd) {
    struct stat st{};
    if (fstat(ns_fd, &st) != 0) return std::nullopt;
    return NetnsId{st.st_dev, st.st_ino};
}

// The interface flags (SIOCGIFFLAGS) of `name` in the namespace `ns_fd` refers to, asked from
// a thread of its own that joins that namespace and ends: no thread of the switch (the main
// lcore, a worker) ever changes namespace. No socket is kept there either: one would keep the
// namespace alive after its container is gone, and the tap in it.
std::optional<short> flags_in_netns(int ns_fd, const char *name) {
    std::optional<short> flags;
    try {
        std::thread asker([&] {
            if (setns(ns_fd, CLONE_NEWNET) != 0) return;
            const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (s < 0) return;
            ifreq ifr{};
            std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
            if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) flags = ifr.ifr_flags;
            close(s);
        });
        asker.join();
    } catch (const std::system_error &) {   // no thread to be had: unknown this time
    }
    return flags;
}

class VtapPort : public OwnIoPort {
public:
    ~VtapPort() override {
        queue_.reset();   // posted mbufs back first
        if (ctl_ >= 0) close(ctl_);
        // The tap is not persistent: closing its only fd deletes the interface.
        if (fd_ >= 0) close(fd_);
    }
    const PortIo &io() const override { return io_; }
    uint32_t max_frame() const override { return max_frame_; }
    uint8_t offload_caps(uint8_t) const override { return caps_; }

    bool link_up() const override;
    std::optional<std::string> iface_here() const override;

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

    // Where the interface is now: its name, and a descriptor of its namespace when that is not
    // the switch's (the caller closes it), else -1. nullopt: the tap has no interface any more.
    struct Whereabouts {
        std::string name;
        int netns = -1;
        NetnsId id;
    };
    std::optional<Whereabouts> whereabouts() const;

    int fd_ = -1;    // the tap
    int ctl_ = -1;   // a socket in the switch's namespace, for the interface's flags and MTU
    std::string iface_;
    // The switch's namespace (the tap's at open); nullopt: the kernel cannot say where a tap is
    // (TUNGETDEVNETNS, Linux 5.2).
    std::optional<NetnsId> own_netns_;
    // link_up's last answer from another namespace, its key and time: asking there takes a
    // thread, and the control thread asks every 50 ms (watch_links). Control plane only, under
    // its lock.
    struct ForeignLink {
        NetnsId ns;
        std::string name;
        bool up = false;
        std::chrono::steady_clock::time_point at;
    };
    mutable std::optional<ForeignLink> foreign_;
    uint32_t max_frame_ = 0;
    uint8_t caps_ = kCapNone;
    bool outer_csum_ = false;   // TUN_F_UDP_TUNNEL_GSO_CSUM taken
    std::unique_ptr<TapQueue> queue_;
    PortIo io_;
};

// The interface may have moved since open: a container runtime (or `ip link set ... netns`)
// moves it into the container's namespace, often renamed eth0. The tap's fd says what it is
// called now (TUNGETIFF) and which namespace it is in (TUNGETDEVNETNS); by the name given at
// open in the switch's namespace, a moved tap read as down, or as some other interface of that
// name.
std::optional<VtapPort::Whereabouts> VtapPort::whereabouts() const {
    // Fails once the tap has no interface (its namespace was deleted).
    ifreq ifr{};
    if (ioctl(fd_, TUNGETIFF, &ifr) != 0) return std::nullopt;
    Whereabouts w;
    w.name = ifr.ifr_name;
    const int ns = own_netns_ ? ioctl(fd_, TUNGETDEVNETNS) : -1;
    if (ns < 0) return w;   // an older kernel: it is taken to be here
    const std::optional<NetnsId> id = netns_id(ns);
    if (!id || *id == *own_netns_) {
        close(ns);
        return w;
    }
    w.netns = ns;
    w.id = *id;
    return w;
}

bool VtapPort::link_up() const {
    const std::optional<Whereabouts> w = whereabouts();
    if (!w) return false;
    if (w->netns < 0) {
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, w->name.c_str(), IFNAMSIZ - 1);
        if (ioctl(ctl_, SIOCGIFFLAGS, &ifr) != 0) return false;
        return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
    }
    // Elsewhere: asked there at most every kForeignRefresh (a change shows that much later).
    constexpr auto kForeignRefresh = std::chrono::milliseconds(500);
    const auto now = std::chrono::steady_clock::now();
    if (!foreign_ || foreign_->ns != w->id || foreign_->name != w->name || now - foreign_->at >= kForeignRefresh) {
        const std::optional<short> flags = flags_in_netns(w->netns, w->name.c_str());
        foreign_ = ForeignLink{w->id, w->name, flags && (*flags & IFF_UP) && (*flags & IFF_RUNNING), now};
    }
    close(w->netns);
    return foreign_->up;
}

// Its kernel counters are read by name in the switch's namespace (/sys/class/net): none while
// it is elsewhere, rather than another interface's that took its old name.
std::optional<std::string> VtapPort::iface_here() const {
    const std::optional<Whereabouts> w = whereabouts();
    if (!w) return std::string();
    if (w->netns < 0) return w->name;
    close(w->netns);
    return std::string();
}

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
    port->iface_ = p.iface;
    port->max_frame_ = mtu + kFrameOverhead;
    port->fd_ = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (port->fd_ < 0) return fail(sys_error(p, "/dev/net/tun"));
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, p.iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    // An existing interface of that name that is no free tap: EBUSY or EINVAL.
    if (ioctl(port->fd_, TUNSETIFF, &ifr) != 0) return fail(sys_error(p, "making tap " + p.iface));
    // The tunnel header's size whatever the tap takes: with fewer offloads its tail is zero.
    const int hdr = sizeof(VnetTunnelHdr);
    if (ioctl(port->fd_, TUNSETVNETHDRSZ, &hdr) != 0) return fail(sys_error(p, "TUNSETVNETHDRSZ"));
    auto caps = port->set_offloads(p);
    if (!caps) return caps.error();
    port->caps_ = caps.value();
    if (const int ns = ioctl(port->fd_, TUNGETDEVNETNS); ns >= 0) {
        port->own_netns_ = netns_id(ns);
        close(ns);
    }
    port->ctl_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (port->ctl_ < 0) return fail(sys_error(p, "control socket"));
    ifr = ifreq{};
    std::strncpy(ifr.ifr_name, p.iface.c_str(), IFNAMSIZ - 1);
    ifr.ifr_mtu = static_cast<int>(mtu);
    if (ioctl(port->ctl_, SIOCSIFMTU, &ifr) != 0) return fail(sys_error(p, "MTU " + std::to_string(mtu)));
    if (ioctl(port->ctl_, SIOCGIFFLAGS, &ifr) != 0) return fail(sys_error(p, "flags of " + p.iface));
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP);
    if (ioctl(port->ctl_, SIOCSIFFLAGS, &ifr) != 0) return fail(sys_error(p, "bringing " + p.iface + " up"));
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
