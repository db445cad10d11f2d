// EthPort: owns one probed, configured and started ethdev. open() returns a running port or an
// error, never a half-built one; the destructor stops, closes and detaches the device.
#pragma once

#include <cstdint>
#include <string>

#include <rte_mempool.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/result.h"

namespace dsw {

struct QueueSizes {
    uint16_t rx_desc = 1024;
    uint16_t tx_desc = 1024;
};

class EthPort {
public:
    static Result<EthPort> open(const PortConfig &cfg, rte_mempool *pool, QueueSizes q = {});
    // The most mbufs of the pool such a port may hold at once (RX posted + TX in flight, per
    // queue); an error if the port cannot be built at all (e.g. af_xdp without hugepages).
    static Result<unsigned> mbufs_needed(const PortConfig &cfg, QueueSizes q = {});
    EthPort(EthPort &&o) noexcept;
    EthPort &operator=(EthPort &&) = delete;
    EthPort(const EthPort &) = delete;
    ~EthPort();

    uint16_t id() const { return port_id_; }
    const std::string &device() const { return device_; }
    const std::string &devargs() const { return devargs_; }
    const PortConfig &config() const { return cfg_; }
    uint16_t rx_desc() const { return q_.rx_desc; }
    uint16_t tx_desc() const { return q_.tx_desc; }

private:
    EthPort() = default;
    PortConfig cfg_;
    std::string device_, devargs_;
    QueueSizes q_;
    uint16_t port_id_ = 0;
    bool owned_ = false;
};

}  // namespace dsw
