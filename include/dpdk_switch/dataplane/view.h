// DataplaneView: the ports and who polls them, as the workers see them.
//
// Who writes: the control plane builds a new immutable view for every change (start, port add,
// port del) and publishes it with a release store. Who reads: workers load it once per loop
// (acquire) and use it until their quiescent-state report. The old view is freed only after
// rte_rcu_qsbr shows that every worker has passed one.
#pragma once

#include <algorithm>
#include <array>
#include <iterator>
#include <atomic>
#include <cstdint>

#include <rte_lcore.h>
#include <rte_ring.h>

#include "dpdk_switch/dataplane/capture_tap.h"
#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/storm.h"
#include "dpdk_switch/dataplane/vxlan_view.h"
#include "dpdk_switch/ports/offload_caps.h"
#include "dpdk_switch/ports/port_io.h"

namespace dsw {

inline constexpr unsigned kVlans = 4096;

// Why a frame is flooded, for storm control.
enum FloodKind : uint8_t { kFloodBroadcast = 0, kFloodMulticast = 1, kFloodUnknownUnicast = 2 };
inline constexpr unsigned kMaxDomains = 512;   // distinct VLANs in use at once

struct PortSlot {
    PortSlot() { std::fill(std::begin(txq), std::end(txq), int8_t{-1}); }
    bool present = false;
    bool trunk = false;          // 802.1Q trunk: tagged frames of the `allowed` VLANs only
    bool down = false;           // its kernel interface vanished: frames to it are dropped (port_down)
    // A remote VTEP (vxlan_view.h): no device; a trunk of the mapped VLANs whose frames are
    // encapsulated at TX and sent on the underlay port.
    bool vtep = false;
    // The VTEP's underlay port: its frames are decapsulated (or answered: ARP), never switched.
    bool underlay = false;
    // OffloadCaps: what it takes on TX (the worker does the rest in software) and, tested once
    // per RX burst, whether its frames may carry offload requests at all.
    uint8_t offload_caps = kCapNone;
    uint16_t port_id = 0;        // ethdev port id
    // A port whose RX/TX is our own code (ports/port_io.h); null for an ethdev. Tested once per
    // burst, so an ethdev's bursts make no indirect call.
    const PortIo *io = nullptr;
    // Longest frame it carries whole (EthPort::max_frame): longer ones, received or to be sent,
    // are counted oversize. 0: no limit of its own.
    uint32_t max_frame = 0;
    // The IP packet each segment the worker makes for it may fill (its MTU).
    uint16_t gso_mtu = 1500;
    unsigned owner = 0;          // lcore of queue 0: it also drains the hand-off ring
    // TX queue each lcore sends on (the queue it polls), or -1: that lcore hands off on the ring.
    // One writer per queue, so no TX lock.
    int8_t txq[RTE_MAX_LCORE];
    rte_ring *ring = nullptr;    // MP/SC hand-off ring drained by the owner before its TX
    uint16_t access_vlan = 0;    // access port: the domain of its (untagged) frames; 0 is the default
    uint64_t allowed[kVlans / 64] = {};   // bit v set if VLAN v is carried (an access port: its one VLAN)
    StormRate storm[3];              // storm control by FloodKind (interval 0: no limit)
    CaptureTap *capture = nullptr;   // `capture` running on this port, else null
    // The generation of the first view that had this port (or VTEP) at this index without a
    // break: a worker's frames held across a view change (switch.tx_flush_us) that were staged
    // under an older view were for the index's former occupant (TxStage::change_view).
    uint64_t since = 0;

    bool carries(uint16_t vlan) const noexcept { return (allowed[vlan >> 6] >> (vlan & 63)) & 1; }
};

struct FloodDomain {
    uint16_t vlan = 0;
    uint16_t n = 0;
    // members[0, n_local) are the local ports, the remote VTEPs follow: a frame that came out of
    // a tunnel floods to the local ports only (split horizon: every VTEP floods to every other).
    uint16_t n_local = 0;
    uint16_t members[kMaxPorts];
};

inline constexpr unsigned kMaxUnits = 256;   // (port, queue) pairs one lcore may poll

struct WorkerPorts {
    struct Unit {
        uint16_t port;    // switch port index
        uint16_t queue;   // its RX (and TX) queue this lcore owns
    };
    uint16_t n = 0;
    Unit unit[kMaxUnits];
};

struct DataplaneView {
    uint64_t generation = 0;   // 1, 2, ... in the order published (a new view may reuse an old one's address)
    std::array<PortSlot, kMaxPorts> ports;
    std::array<WorkerPorts, RTE_MAX_LCORE> workers;
    uint16_t n_domains = 0;
    std::array<uint16_t, kVlans> domain_of{};   // VLAN -> index + 1 into domains, 0: none
    std::array<FloodDomain, kMaxDomains> domains;
    VxlanView vxlan;   // enabled: the switch is a VTEP

    // Members a flood from `in_port` may reach.
    uint16_t flood_end(const FloodDomain &d, uint16_t in_port) const noexcept {
        return ports[in_port].vtep ? d.n_local : d.n;
    }

    const FloodDomain *domain(uint16_t vlan) const noexcept {
        const uint16_t d = domain_of[vlan & (kVlans - 1)];
        return d ? &domains[d - 1] : nullptr;
    }
    // Control plane, while building a view: puts `port` in VLAN `vlan`'s broadcast domain.
    bool add_member(uint16_t vlan, uint16_t port) noexcept {
        uint16_t &d = domain_of[vlan];
        if (d == 0) {
            if (n_domains == kMaxDomains) return false;
            d = ++n_domains;
            domains[d - 1].vlan = vlan;
        }
        FloodDomain &dom = domains[d - 1];
        dom.members[dom.n++] = port;
        return true;
    }
};

}  // namespace dsw
