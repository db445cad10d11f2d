// Building the data plane's view from plain inputs: which lcore polls which (port, queue),
// which TX queue each lcore sends on, the VLAN flood domains, the allowed-VLAN bits and the
// storm-control rates. A pure function (no Switch, no device call), so that it is unit-tested
// alone; Switch::publish_view gathers the inputs and publishes the result under RCU.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dpdk_switch/dataplane/view.h"

namespace dsw {

// What one port brings to the view.
struct ViewPort {
    unsigned index = 0;                   // switch port index
    uint16_t port_id = 0;                 // ethdev port id
    const PortIo *io = nullptr;           // its own RX/TX, for a port that is no ethdev; null: ethdev
    std::string name;                     // for the log line of a queue left out
    unsigned owner = 0;                   // lcore of queue 0: it also drains the ring
    std::vector<unsigned> queue_lcores;   // the lcore that polls each queue (and sends on it)
    rte_ring *ring = nullptr;             // its hand-off ring
    CaptureTap *capture = nullptr;        // a capture running on it, else null
    uint16_t vlan = 0;                    // access VLAN (an access port's one domain)
    std::vector<uint16_t> trunk;          // trunk VLANs; empty: an access port
    std::array<unsigned, 3> storm_pps{};  // storm-control rate by FloodKind; 0: no limit
    uint32_t max_frame = 0;               // longest frame it carries whole; 0: no limit of its own
    uint8_t offload_caps = kCapNone;      // OffloadCaps
    bool down = false;                    // its kernel interface is gone
};

struct ViewInputs {
    uint64_t generation = 0;   // the new view's
    uint64_t tsc_hz = 0;       // for the storm-control rates, in TSC cycles
    std::vector<ViewPort> ports;
};

std::unique_ptr<DataplaneView> build_view(const ViewInputs &in);

}  // namespace dsw
