#include "dpdk_switch/ports/eth_port.h"

#include <algorithm>

#include <rte_bus_vdev.h>
#include <rte_dev.h>
#include <rte_ethdev.h>

#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

std::string dpdk_error(const std::string &what, int rc) { return what + ": " + rte_strerror(rc < 0 ? -rc : rc); }

// Configures one RX and one TX queue per configured queue, then starts the port.
Status configure(uint16_t port_id, const PortConfig &cfg, rte_mempool *pool, QueueSizes &q) {
    rte_eth_conf conf{};
    const uint16_t nq = static_cast<uint16_t>(cfg.queues);
    int rc = rte_eth_dev_configure(port_id, nq, nq, &conf);
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": configure", rc));
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

}  // namespace

Result<unsigned> EthPort::mbufs_needed(const PortConfig &cfg, QueueSizes q) {
    auto dev = device_for(cfg);
    if (!dev) return dev.error();
    const unsigned rx = std::max<unsigned>(q.rx_desc, dev->rx_fill);
    return cfg.queues * (rx + q.tx_desc);
}

Result<EthPort> EthPort::open(const PortConfig &cfg, rte_mempool *pool, QueueSizes q) {
    auto dev = device_for(cfg);
    if (!dev) return dev.error();
    // rte_dev_probe answers success for a device that is probed already: taking that one
    // over would reconfigure (and later close) another port's device.
    uint16_t existing;
    if (rte_eth_dev_get_port_by_name(dev->name.c_str(), &existing) == 0)
        return fail("port " + cfg.name + ": device " + dev->name + " exists already (ethdev " +
                    std::to_string(existing) + ")");
    if (!dev->listen_path.empty()) remove_stale_socket(dev->listen_path);
    int rc = rte_dev_probe(dev->devargs.c_str());
    if (rc < 0) return fail(dpdk_error("port " + cfg.name + ": cannot probe '" + dev->devargs + "'", rc));
    EthPort p;
    p.cfg_ = cfg;
    p.device_ = dev->name;
    p.devargs_ = dev->devargs;
    p.owned_ = true;  // from here the destructor detaches the device, also on the error paths below
    if (rte_eth_dev_get_port_by_name(dev->name.c_str(), &p.port_id_) != 0) {
        p.owned_ = false;
        rte_eal_hotplug_remove("vdev", dev->name.c_str());
        return fail("port " + cfg.name + ": probed '" + dev->name + "' but it made no ethdev");
    }
    p.q_ = q;
    if (auto st = configure(p.port_id_, cfg, pool, p.q_); !st) return st.error();
    DSW_LOG(INFO, port, "port %s: %s is ethdev %u", cfg.name.c_str(), dev->devargs.c_str(), p.port_id_);
    return p;
}

EthPort::EthPort(EthPort &&o) noexcept
    : cfg_(std::move(o.cfg_)), device_(std::move(o.device_)), devargs_(std::move(o.devargs_)), q_(o.q_),
      port_id_(o.port_id_), owned_(o.owned_) {
    o.owned_ = false;
}

EthPort::~EthPort() {
    if (!owned_) return;
    rte_eth_dev_stop(port_id_);
    rte_eth_dev_close(port_id_);
    if (rte_eal_hotplug_remove("vdev", device_.c_str()) != 0)
        DSW_LOG(WARNING, port, "port %s: could not detach %s", cfg_.name.c_str(), device_.c_str());
}

}  // namespace dsw
