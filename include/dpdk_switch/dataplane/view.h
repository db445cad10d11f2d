// DataplaneView: the ports and who polls them, as the workers see them.
//
// Who writes: the control plane builds a new immutable view for every change (start, port add,
// port del) and publishes it with a release store. Who reads: workers load it once per loop
// (acquire) and use it until their quiescent-state report. The old view is freed only after
// rte_rcu_qsbr shows that every worker has passed one.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include <rte_lcore.h>
#include <rte_ring.h>

#include "dpdk_switch/dataplane/counters.h"

namespace dsw {

struct PortSlot {
    bool present = false;
    uint16_t port_id = 0;        // ethdev port id
    unsigned owner = 0;          // lcore that does this port's RX and TX
    rte_ring *ring = nullptr;    // MP/SC hand-off ring drained by the owner before its TX
    uint16_t access_vlan = 0;    // broadcast domain of untagged frames (0: the default domain)
};

struct FloodDomain {
    uint16_t vlan = 0;
    uint16_t n = 0;
    uint16_t members[kMaxPorts];
};

struct WorkerPorts {
    uint16_t n = 0;
    uint16_t index[kMaxPorts];   // switch port indices this lcore polls
};

struct DataplaneView {
    std::array<PortSlot, kMaxPorts> ports;
    std::array<WorkerPorts, RTE_MAX_LCORE> workers;
    uint16_t n_domains = 0;
    std::array<FloodDomain, kMaxPorts> domains;

    const FloodDomain *domain(uint16_t vlan) const noexcept {
        for (uint16_t i = 0; i < n_domains; ++i)
            if (domains[i].vlan == vlan) return &domains[i];
        return nullptr;
    }
};

}  // namespace dsw
