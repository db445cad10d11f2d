// EthPort: owns one probed, configured and started ethdev. open() returns a running port or an
// error, never a half-built one; the destructor stops, closes and detaches the device.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/result.h"

namespace dsw {

struct QueueSizes {
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
};

// The caps (OffloadCaps) of an ethdev whose TX offloads `tx_offloads` (RTE_ETH_TX_OFFLOAD_*) are
// enabled. Checksums count only when TCP, UDP and the IPv4 header all are: the worker completes
// them together.
uint8_t offload_caps_of_ethdev(uint64_t tx_offloads, bool rx_offloads);

class EthPort {
public:
    // `rx_pool` feeds the RX queues: the shared pool, or the port's own (MbufNeeds::own_rx).
    static Result<EthPort> open(const PortConfig &cfg, rte_mempool *rx_pool, QueueSizes q = {});

    using MbufNeeds = dsw::MbufNeeds;
    // An error if the port cannot be built at all (e.g. af_xdp without hugepages).
    static Result<MbufNeeds> mbuf_needs(const PortConfig &cfg, QueueSizes q = {});
    EthPort(EthPort &&o) noexcept;
    EthPort &operator=(EthPort &&) = delete;
    EthPort(const EthPort &) = delete;
    ~EthPort();

    uint16_t id() const { return port_id_; }
    const std::string &devargs() const { return devargs_; }
    const PortConfig &config() const { return cfg_; }
    uint16_t rx_desc() const { return q_.rx_desc; }
    uint16_t tx_desc() const { return q_.tx_desc; }
    // The longest frame it carries whole (DeviceSpec::max_frame); 0: no limit of its own.
    uint32_t max_frame() const { return max_frame_; }
    // What it takes on TX and whether its RX may carry offload requests (OffloadCaps), from the
    // DeviceSpec's tx_offloads the device has and its rx_offloads; a port whose peer negotiates
    // (DeviceSpec::peer_tx_offloads: a vhost guest) from what the peer attached now took, 0 TX
    // caps while none is. Control plane only (a vhost port asks its vhost device).
    uint8_t offload_caps() const;
    // Frames the kernel dropped because an RX ring of the port's sockets was full (the worker
    // fell behind), since it joined the switch: DeviceSpec::ring_drops; nullopt for ports without
    // such sockets. Control plane only (PACKET_STATISTICS resets the counts it reads).
    std::optional<uint64_t> ring_drops();

private:
    EthPort() = default;
    PortConfig cfg_;
    std::string device_, devargs_;
    QueueSizes q_;
    uint16_t port_id_ = 0;
    uint32_t max_frame_ = 0;
    uint8_t offload_caps_ = kCapNone;
    uint64_t (*peer_tx_offloads_)(uint16_t port_id) = nullptr;   // DeviceSpec::peer_tx_offloads
    bool rx_offloads_ = false;                                   // DeviceSpec::rx_offloads
    bool owned_ = false;
    std::vector<int> xsk_fds_;   // AF_XDP sockets its probe made (close_leaked_xsks)
    uint64_t ring_total();       // the sockets' ring drops since they were made
    RingDrops ring_kind_ = RingDrops::none;
    std::vector<int> ring_fds_;  // the sockets whose ring drops it counts (DeviceSpec::ring_drops)
    uint64_t ring_total_ = 0;    // packet_mmap: ring_total's sum of the counts read so far
    uint64_t ring_base_ = 0;     // ring_total when the port joined
    bool unset_promisc_ = false;    // its kernel interface was not promiscuous before the port opened
    bool unset_allmulti_ = false;   // nor all-multicast
};

}  // namespace dsw
