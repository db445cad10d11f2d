// The switching decision for a burst received on one port: parse, learn the sources, look up
// the destinations, decide. No TX here, so bench/ can measure exactly this path.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/tables/mac_table.h"

namespace dsw {

inline constexpr unsigned kMaxBurst = 32;
// Decision per frame: a port index (< kMaxPorts), flood its domain, or drop with a reason.
inline constexpr uint16_t kOutFlood = 0x8000;
inline constexpr uint16_t kOutDrop = 0x4000;   // | DropReason
inline constexpr uint16_t out_drop(DropReason r) { return kOutDrop | static_cast<uint16_t>(r); }

struct Ingress {
    uint16_t port;          // switch port index
    uint16_t access_vlan;   // domain of untagged frames on this port
};

struct BurstDecision {
    uint16_t out[kMaxBurst];
    uint16_t vlan[kMaxBurst];   // the frame's broadcast domain
};

class SwitchPath {
public:
    explicit SwitchPath(MacTable &macs) : macs_(macs) {}
    // n <= kMaxBurst. Counts learning events and RX drops in `c`.
    void classify(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                  LcoreCounters &c) noexcept;

private:
    MacTable &macs_;
};

}  // namespace dsw
