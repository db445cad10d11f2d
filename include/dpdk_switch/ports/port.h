// Port: one open port of the switch, whatever its kind: an ethdev (EthPort) or a port whose I/O
// is our own (OwnIoPort, PortIo). The control plane holds one per switch port; the dataplane
// view takes its ethdev id and its io() (null for an ethdev, whose bursts stay rte_eth_*_burst).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <rte_config.h>
#include <rte_ethdev.h>

#include "dpdk_switch/ports/eth_port.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/ports/tun_whereabouts.h"
#include "dpdk_switch/result.h"

namespace dsw {

// The ethdev id of a port that has none: DPDK's ethdev calls answer -ENODEV for it, so the
// PMD's counters and link of such a port read as absent rather than as another port's.
inline constexpr uint16_t kNoEthdev = RTE_MAX_ETHPORTS;

class Port {
public:
    // What its kind needs of the mbuf pools (the hot-plug budget); also the kind's own refusals.
    static Result<MbufNeeds> mbuf_needs(const PortConfig &cfg);
    // Opens it as its kind says; RX from `rx_pool`.
    static Result<Port> open(const PortConfig &cfg, rte_mempool *rx_pool);

    const PortConfig &config() const { return own_ ? cfg_ : eth_->config(); }
    const PortKind &kind() const { return port_kind(config().type); }
    std::optional<uint16_t> ethdev() const { return eth_ ? std::optional<uint16_t>(eth_->id()) : std::nullopt; }
    uint16_t id() const { return eth_ ? eth_->id() : kNoEthdev; }   // ethdev port_id, or kNoEthdev
    const PortIo *io() const { return own_ ? &own_->io() : nullptr; }
    uint32_t max_frame() const { return eth_ ? eth_->max_frame() : own_->max_frame(); }
    // OffloadCaps: an ethdev's from what it enabled, an own-I/O port's from its kind and what it got.
    uint8_t offload_caps() const { return eth_ ? eth_->offload_caps() : own_->offload_caps(kind().offloads); }
    // See OwnIoPort::iface_where; an ethdev's: a TAP's (PortKind::tap_device) where it is, else nullopt.
    std::optional<IfaceWhere> iface_where() const {
        if (own_) return own_->iface_where();
        return tap_ ? std::optional<IfaceWhere>(tap_->iface_where()) : std::nullopt;
    }
    // The name its kernel interface has in the switch's namespace now, "" while it is in another
    // namespace or gone; nullopt: the configured name, always.
    std::optional<std::string> iface_here() const {
        const std::optional<IfaceWhere> w = iface_where();
        return w ? std::optional<std::string>(w->here()) : std::nullopt;
    }
    // See EthPort::ring_drops and OwnIoPort::ring_drops.
    std::optional<uint64_t> ring_drops() { return eth_ ? eth_->ring_drops() : own_->ring_drops(); }
    const std::string &devargs() const { return eth_ ? eth_->devargs() : no_devargs_; }
    // The ethdev's counters, link and MAC, as rte_eth_stats_get, rte_eth_link_get_nowait and
    // rte_eth_macaddr_get answer them. An own-I/O port has no PMD counters nor MAC (-ENODEV,
    // without ethdev's log line about an invalid port) and the link its OwnIoPort says.
    int stats(rte_eth_stats &st) const;
    // `where`, when given, gets iface_where()'s answer, from the look that tells a tap's link.
    int link(rte_eth_link &l, std::optional<IfaceWhere> *where = nullptr) const;
    int mac_addr(rte_ether_addr &a) const;
    uint16_t rx_desc() const { return eth_ ? eth_->rx_desc() : 0; }
    uint16_t tx_desc() const { return eth_ ? eth_->tx_desc() : 0; }

private:
    Port() = default;
    PortConfig cfg_;                    // an own-I/O port's (an EthPort keeps its own)
    std::optional<EthPort> eth_;
    std::unique_ptr<OwnIoPort> own_;
    // A TAP ethdev's interface, followed by its fd (PortKind::tap_device); gone before eth_, as
    // it holds the tap open.
    std::unique_ptr<TunWhereabouts> tap_;
    std::string no_devargs_;
};

}  // namespace dsw
