#include "dpdk_switch/ports/port.h"

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
    return p;
}

}  // namespace dsw
