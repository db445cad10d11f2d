#include "dpdk_switch/ports/eth_port.h"

#include <linux/if_packet.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <fstream>

#include <rte_bus_vdev.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

// A port's own RX pool also holds its frames in flight elsewhere: a hand-off ring's worth.
constexpr unsigned kOwnPoolSlack = 1024;
constexpr unsigned kXskReleaseUs = 50000;

std::string dpdk_error(const std::string &what, int rc) { return what + ": " + rte_strerror(rc < 0 ? -rc : rc); }

// RX scatter (DeviceSpec::rx_scatter) and the RX offloads asked for (rx_offload_conf), where
// the PMD has them; the TX offloads asked for (DeviceSpec::tx_offloads) that it has, and the
// caps they give the port; the MTU it is asked for.
Status configure_frames(uint16_t port_id, const PortConfig &cfg, const DeviceSpec &dev, rte_eth_conf &conf,
                        uint8_t &caps) {
    rte_eth_dev_info info{};
    int rc = rte_eth_dev_info_get(port_id, &info);
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": device info", rc));
    if (dev.rx_scatter && (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)) conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    conf.rxmode.offloads |= dev.rx_offload_conf & info.rx_offload_capa;
    conf.txmode.offloads = dev.tx_offloads & info.tx_offload_capa;
    caps = offload_caps_of_ethdev(conf.txmode.offloads, dev.rx_offloads);
    if (!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) caps |= kCapTxLinear;
    if (conf.txmode.offloads != dev.tx_offloads)
        DSW_LOG(INFO, port, "port %s: %s lacks TX offloads 0x%" PRIx64 ": done in software", cfg.name.c_str(),
                dev.name.c_str(), dev.tx_offloads & ~conf.txmode.offloads);
    if (dev.set_mtu == 0) return Ok{};
    // ethdev's own rule (eth_dev_validate_mtu), said with the key rather than as EINVAL.
    const uint32_t overhead = info.max_mtu != UINT16_MAX && info.max_rx_pktlen > info.max_mtu
                                  ? info.max_rx_pktlen - info.max_mtu
                                  : RTE_ETHER_HDR_LEN + RTE_ETHER_CRC_LEN;
    const uint32_t most = std::min<uint32_t>(info.max_mtu, info.max_rx_pktlen - overhead);
    if (dev.set_mtu > most)
        return fail("port " + cfg.name + ": mtu " + std::to_string(dev.set_mtu) + ": " + dev.name +
                    " takes at most " + std::to_string(most), kExitConfigError);
    conf.rxmode.mtu = dev.set_mtu;
    return Ok{};
}

// Configures one RX and one TX queue per configured queue, then starts the port.
Status configure(uint16_t port_id, const PortConfig &cfg, const DeviceSpec &dev, rte_mempool *pool, QueueSizes &q,
                 uint8_t &caps) {
    rte_eth_conf conf{};
    if (auto st = configure_frames(port_id, cfg, dev, conf, caps); !st) return st;
    const uint16_t nq = static_cast<uint16_t>(cfg.queues);
    int rc = rte_eth_dev_configure(port_id, nq, nq, &conf);
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": configure", rc));
    // net_tap sets its interface's MTU when it makes it, before any configure: again here.
    if (dev.set_mtu != 0 && (rc = rte_eth_dev_set_mtu(port_id, dev.set_mtu)) < 0)
        return fail(dpdk_error("port " + cfg.name + ": mtu " + std::to_string(dev.set_mtu), rc));
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &q.rx_desc, &q.tx_desc);
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": descriptor counts", rc));
    const int socket = rte_eth_dev_socket_id(port_id);
    for (uint16_t i = 0; i < nq; ++i) {
        rc = rte_eth_rx_queue_setup(port_id, i, q.rx_desc, socket < 0 ? SOCKET_ID_ANY : socket, nullptr, pool);
        if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": rx queue " + std::to_string(i), rc));
        rc = rte_eth_tx_queue_setup(port_id, i, q.tx_desc, socket < 0 ? SOCKET_ID_ANY : socket, nullptr);
        if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": tx queue " + std::to_string(i), rc));
    }
    rc = rte_eth_dev_start(port_id);
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": start", rc));
    // A switch port must see every destination MAC; PMDs without the notion answer -ENOTSUP.
    rte_eth_promiscuous_enable(port_id);
    rte_eth_allmulticast_enable(port_id);
    return Ok{};
}

// The kernel interface's flags (IFF_*), or nullopt when there is no such interface (yet).
std::optional<unsigned> iface_flags(const std::string &iface) {
    if (iface.empty() || iface.find('/') != std::string::npos) return std::nullopt;
    std::ifstream in("/sys/class/net/" + iface + "/flags");
    unsigned flags = 0;
    if (!(in >> std::hex >> flags)) return std::nullopt;
    return flags;
}

// DeviceSpec::discard_early_rx. No worker polls the port yet: the main lcore may read its queues.
void discard_early_rx(uint16_t port_id, uint16_t queues) {
    rte_mbuf *pkts[32];
    unsigned discarded = 0;
    for (uint16_t q = 0; q < queues; ++q)
        for (uint16_t n; (n = rte_eth_rx_burst(port_id, q, pkts, 32)) != 0 && discarded < 65536;) {
            rte_pktmbuf_free_bulk(pkts, n);
            discarded += n;
        }
    if (discarded != 0) DSW_LOG(DEBUG, port, "ethdev %u: discarded %u frames from before it joined", port_id, discarded);
}

// The fds of `domain` open now that were not in `before`.
std::vector<int> new_socket_fds(int domain, const std::vector<int> &before) {
    std::vector<int> fds;
    for (int fd : socket_fds(domain))
        if (std::find(before.begin(), before.end(), fd) == before.end()) fds.push_back(fd);
    return fds;
}

}  // namespace

uint8_t offload_caps_of_ethdev(uint64_t tx_offloads, bool rx_offloads) {
    constexpr uint64_t kCsum = RTE_ETH_TX_OFFLOAD_IPV4_CKSUM | RTE_ETH_TX_OFFLOAD_TCP_CKSUM | RTE_ETH_TX_OFFLOAD_UDP_CKSUM;
    uint8_t caps = kCapNone;
    if ((tx_offloads & kCsum) == kCsum) caps |= kCapCsum;
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_TCP_TSO) caps |= kCapTso;
    if (tx_offloads & RTE_ETH_TX_OFFLOAD_UDP_TSO) caps |= kCapUso;
    if (rx_offloads) caps |= kCapRxOffloads;
    return caps;
}

Result<EthPort::MbufNeeds> EthPort::mbuf_needs(const PortConfig &cfg, QueueSizes q) {
    auto dev = device_for(cfg);
    if (!dev) return dev.error();
    if (dev->rx_desc != 0) q.rx_desc = dev->rx_desc;
    const unsigned rx = std::max<unsigned>(q.rx_desc, dev->rx_fill);
    MbufNeeds n;
    if (dev->own_rx_pool || dev->rx_data_room != 0) {
        // Posted RX buffers, plus frames of this port in flight elsewhere (a ring, another
        // port's TX queue) before they come back.
        n.own_rx = cfg.queues * (rx + q.rx_desc) + kOwnPoolSlack;
        n.shared = cfg.queues * q.tx_desc;
        n.own_rx_data_room = dev->rx_data_room;
    } else {
        n.shared = cfg.queues * (rx + q.tx_desc);
    }
    return n;
}

Result<EthPort> EthPort::open(const PortConfig &cfg, rte_mempool *pool, QueueSizes q) {
    auto dev = device_for(cfg);
    if (!dev) return dev.error();
    if (dev->rx_desc != 0) q.rx_desc = dev->rx_desc;
    // rte_dev_probe answers success for a device that is probed already: taking that one
    // over would reconfigure (and later close) another port's device.
    uint16_t existing;
    if (rte_eth_dev_get_port_by_name(dev->name.c_str(), &existing) == 0)
        return fail("port " + cfg.name + ": device " + dev->name + " exists already (ethdev " +
                    std::to_string(existing) + ")");
    if (!dev->listen_path.empty()) {
        if (auto st = make_run_dir_for(cfg.name, dev->listen_path); !st) return st.error();
        remove_stale_socket(dev->listen_path);
    }
    const std::vector<int> xsks_before = dev->close_leaked_xsks ? socket_fds(AF_XDP) : std::vector<int>{};
    const std::vector<int> packets_before =
        dev->ring_drops == RingDrops::packet_mmap ? socket_fds(AF_PACKET) : std::vector<int>{};
    // Kernel-backed PMDs (af_packet, af_xdp) set IFF_PROMISC/IFF_ALLMULTI on the user's
    // interface and leave them set at close: what was off before is turned off again then.
    const std::optional<unsigned> flags_before = iface_flags(cfg.iface);
    int rc = rte_dev_probe(dev->devargs.c_str());
    if (rc < 0) {
        std::string why = dpdk_error("port " + cfg.name + ": cannot probe '" + dev->devargs + "'", rc);
        if (dev->probe_failure)
            if (const std::string cause = dev->probe_failure(cfg); !cause.empty()) why += ": " + cause;
        return fail(why);
    }
    EthPort p;
    p.cfg_ = cfg;
    p.device_ = dev->name;
    p.devargs_ = dev->devargs;
    p.owned_ = true;  // from here the destructor detaches the device, also on the error paths below
    p.unset_promisc_ = flags_before && !(*flags_before & IFF_PROMISC);
    p.unset_allmulti_ = flags_before && !(*flags_before & IFF_ALLMULTI);
    if (rte_eth_dev_get_port_by_name(dev->name.c_str(), &p.port_id_) != 0) {
        p.owned_ = false;
        rte_eal_hotplug_remove("vdev", dev->name.c_str());
        return fail("port " + cfg.name + ": probed '" + dev->name + "' but it made no ethdev");
    }
    p.q_ = q;
    p.max_frame_ = dev->max_frame;
    auto st = configure(p.port_id_, cfg, *dev, pool, p.q_, p.offload_caps_);
    p.peer_tx_offloads_ = dev->peer_tx_offloads;
    p.rx_offloads_ = dev->rx_offloads;
    if (dev->close_leaked_xsks) p.xsk_fds_ = new_socket_fds(AF_XDP, xsks_before);   // made by configure
    p.ring_kind_ = dev->ring_drops;
    if (p.ring_kind_ == RingDrops::packet_mmap)   // one per queue pair, made by the probe
        p.ring_fds_ = new_socket_fds(AF_PACKET, packets_before);
    if (p.ring_kind_ == RingDrops::xsk) p.ring_fds_ = p.xsk_fds_;
    if (!st) return st.error();
    if (dev->discard_early_rx) discard_early_rx(p.port_id_, static_cast<uint16_t>(cfg.queues));
    // What the rings dropped before the port joined (other interfaces' frames, before the PMD
    // bound its sockets) is not the switch's loss: counting starts here.
    if (p.ring_kind_ != RingDrops::none) p.ring_base_ = p.ring_total();
    DSW_LOG(INFO, port, "port %s: %s is ethdev %u", cfg.name.c_str(), dev->devargs.c_str(), p.port_id_);
    if (p.max_frame_ != 0)
        DSW_LOG(INFO, port, "port %s: MTU %u: frames up to %u bytes, longer ones counted oversize", cfg.name.c_str(),
                p.max_frame_ - kFrameOverhead, p.max_frame_);
    return p;
}

EthPort::EthPort(EthPort &&o) noexcept
    : cfg_(std::move(o.cfg_)), device_(std::move(o.device_)), devargs_(std::move(o.devargs_)), q_(o.q_),
      port_id_(o.port_id_), max_frame_(o.max_frame_), offload_caps_(o.offload_caps_),
      peer_tx_offloads_(o.peer_tx_offloads_), rx_offloads_(o.rx_offloads_), owned_(o.owned_),
      xsk_fds_(std::move(o.xsk_fds_)), ring_kind_(o.ring_kind_),
      ring_fds_(std::move(o.ring_fds_)), ring_total_(o.ring_total_), ring_base_(o.ring_base_),
      unset_promisc_(o.unset_promisc_), unset_allmulti_(o.unset_allmulti_) {
    o.owned_ = false;
}

uint8_t EthPort::offload_caps() const {
    return peer_tx_offloads_ != nullptr ? offload_caps_of_ethdev(peer_tx_offloads_(port_id_), rx_offloads_)
                                        : offload_caps_;
}

uint64_t EthPort::ring_total() {
    if (ring_kind_ == RingDrops::packet_mmap) {
        // PACKET_STATISTICS answers the counts since the previous read and zeroes them: summed.
        for (int fd : ring_fds_) {
            tpacket_stats st{};
            socklen_t len = sizeof st;
            if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) ring_total_ += st.tp_drops;
        }
        return ring_total_;
    }
    // XDP_STATISTICS' counts only grow. A socket that answers an error, or a kernel's shorter
    // struct (before 5.9, no rx_ring_full), counts nothing.
    uint64_t total = 0;
    for (int fd : ring_fds_) {
        xdp_statistics st{};
        socklen_t len = sizeof st;
        if (getsockopt(fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0 && len == sizeof st) total += st.rx_ring_full;
    }
    return total;
}

std::optional<uint64_t> EthPort::ring_drops() {
    if (ring_kind_ == RingDrops::none) return std::nullopt;
    return ring_total() - ring_base_;
}

EthPort::~EthPort() {
    if (!owned_) return;
    // The interface is the user's: leave it as it was (an interface gone meanwhile answers an error).
    if (unset_promisc_) rte_eth_promiscuous_disable(port_id_);
    if (unset_allmulti_) rte_eth_allmulticast_disable(port_id_);
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
    if (rte_eal_hotplug_remove("vdev", device_.c_str()) != 0)
        DSW_LOG(WARNING, port, "port %s: could not detach %s", cfg_.name.c_str(), device_.c_str());
    // Sockets of ours the PMD left open: still AF_XDP sockets under the same numbers (only
    // the main lcore opens ports, so no other socket can have taken a number meanwhile).
    if (xsk_fds_.empty()) return;
    const std::vector<int> open_now = socket_fds(AF_XDP);
    bool closed = false;
    for (int fd : xsk_fds_)
        if (std::find(open_now.begin(), open_now.end(), fd) != open_now.end()) {
            close(fd);
            closed = true;
            DSW_LOG(DEBUG, port, "port %s: closed AF_XDP socket %d the PMD left open", cfg_.name.c_str(), fd);
        }
    // The kernel unbinds the interface queue from a closed socket's buffer pool in a work item
    // shortly after close(); nothing tells when. A port added on the same interface right away
    // would find the queue busy, so give it this long (a control-plane pause, once per del).
    if (closed) rte_delay_us_sleep(kXskReleaseUs);
}

}  // namespace dsw
