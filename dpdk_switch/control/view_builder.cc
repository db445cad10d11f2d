#include "dpdk_switch/control/view_builder.h"

#include <algorithm>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"

namespace dsw {

std::unique_ptr<DataplaneView> build_view(const ViewInputs &in) {
    auto v = std::make_unique<DataplaneView>();
    v->generation = in.generation;
    for (const ViewPort &p : in.ports) {
        PortSlot &slot = v->ports[p.index];
        slot.present = true;
        slot.port_id = p.port_id;
        slot.io = p.io;
        slot.owner = p.owner;
        slot.ring = p.ring;
        slot.capture = p.capture;
        for (uint16_t q = 0; q < p.queue_lcores.size(); ++q) {
            const unsigned lc = p.queue_lcores[q];
            WorkerPorts &w = v->workers[lc];
            if (w.n == kMaxUnits) {
                DSW_LOG(ERR, main, "lcore %u polls %u queues already: port %s queue %u left out", lc, kMaxUnits,
                        p.name.c_str(), q);
                continue;
            }
            w.unit[w.n++] = {static_cast<uint16_t>(p.index), q};
            if (slot.txq[lc] < 0) slot.txq[lc] = static_cast<int8_t>(q);   // an lcore sends on the first queue it polls
        }
        slot.trunk = !p.trunk.empty();
        slot.max_frame = p.max_frame;
        slot.offload_caps = p.offload_caps;
        // Segments fit its MTU; a port without a frame limit of its own gets Ethernet's.
        if (p.max_frame > kFrameOverhead)
            slot.gso_mtu = static_cast<uint16_t>(std::min<uint32_t>(p.max_frame - kFrameOverhead, UINT16_MAX));
        slot.down = p.down;
        slot.storm[kFloodBroadcast] = StormRate::of(p.storm_pps[kFloodBroadcast], in.tsc_hz, kMaxBurst);
        slot.storm[kFloodMulticast] = StormRate::of(p.storm_pps[kFloodMulticast], in.tsc_hz, kMaxBurst);
        slot.storm[kFloodUnknownUnicast] = StormRate::of(p.storm_pps[kFloodUnknownUnicast], in.tsc_hz, kMaxBurst);
        slot.access_vlan = p.vlan;
        if (!slot.trunk) {
            v->add_member(p.vlan, static_cast<uint16_t>(p.index));
            slot.allowed[p.vlan >> 6] |= 1ULL << (p.vlan & 63);
        }
        for (uint16_t vid : p.trunk) {
            slot.allowed[vid >> 6] |= 1ULL << (vid & 63);
            v->add_member(vid, static_cast<uint16_t>(p.index));
        }
    }
    return v;
}

}  // namespace dsw
