#include "dpdk_switch/ports/port.h"

#include <cerrno>

namespace dsw {

Result<MbufNeeds> Port::mbuf_needs(const PortConfig &cfg) {
    const PortKind &k = port_kind(cfg.type);
    return k.open_own != nullptr ? k.own_mbufs(cfg) : EthPort::mbuf_needs(cfg);
}

Result<Port> Port::open(const PortConfig &cfg, rte_mempool *rx_pool) {
    const PortKind &k = port_kind(cfg.type);
    Port p;
    if (k.open_own != nullptr) {
        auto own = k.open_own(cfg, rx_pool);
        if (!own) return own.error();
        p.cfg_ = cfg;
        p.own_ = std::move(own.value());
        return p;
    }
    auto eth = EthPort::open(cfg, rx_pool);
    if (!eth) return eth.error();
    p.eth_.emplace(std::move(eth.value()));
    // Without it (no fd of the PMD's found) the link is the PMD's, by the interface's name.
    if (k.tap_device) p.tap_ = TunWhereabouts::of_iface(cfg.iface);
    return p;
}

int Port::stats(rte_eth_stats &st) const { return eth_ ? rte_eth_stats_get(eth_->id(), &st) : -ENODEV; }

int Port::link(rte_eth_link &l, std::optional<IfaceWhere> *where) const {
    if (eth_) {
        const int rc = rte_eth_link_get_nowait(eth_->id(), &l);
        if (where != nullptr) *where = std::nullopt;
        if (tap_ && (rc == 0 || where != nullptr)) {
            IfaceWhere w;
            const bool up = tap_->link_up(&w);
            if (rc == 0) l.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
            if (where != nullptr) *where = w;
        }
        return rc;
    }
    l = rte_eth_link{};
    std::optional<IfaceWhere> w;
    const bool up = where != nullptr ? own_->link_up_where(w) : own_->link_up();
    l.link_status = up ? RTE_ETH_LINK_UP : RTE_ETH_LINK_DOWN;
    if (where != nullptr) *where = w;
    return 0;
}

int Port::mac_addr(rte_ether_addr &a) const { return eth_ ? rte_eth_macaddr_get(eth_->id(), &a) : -ENODEV; }

}  // namespace dsw
