// VtepNeighbours: the underlay MAC of each remote VTEP, by the switch port index its VTEP holds.
//
// Who writes: workers, when an ARP from the VTEP's address arrives on the underlay (a reply to
// the control plane's request, a request, a gratuitous ARP after a move); the control plane,
// which clears an entry when the VTEP is added, deleted or its binding expires. Who reads: the
// workers, for every frame they encapsulate, and `show vxlan`. Each entry is one 64-bit word
// (resolved bit and MAC together), so a reader never sees half of a move. A write racing a clear
// is harmless: the next ARP or request sets it again.
#pragma once

#include <atomic>
#include <cstdint>

#include "dpdk_switch/limits.h"

namespace dsw {

struct VtepNeighbour {
    static constexpr uint64_t kResolved = 1ULL << 63;
    std::atomic<uint64_t> mac{0};        // kResolved | MAC (mac_key.h's wire order); 0: not resolved
    std::atomic<uint32_t> seen_s{0};     // MacTable::now_s of the last ARP from it
};

struct VtepNeighbours {
    VtepNeighbour by_port[kMaxPorts];
};

}  // namespace dsw
