// SwitchPath::classify_decapped: classify for the decapsulated frames of a burst from one or
// several VTEPs, each frame with its own ingress port and VLAN.
#include <cstring>

#include "dpdk_switch/dataplane/arp_proxy.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "switch_path_kinds.h"

namespace dsw {

namespace {
// Decapsulated untagged frames, each from its VTEP's port in its VNI's VLAN, as from an access
// port of that VLAN (admitted as such by vxlan_decap_burst, decapped_frame.h); a frame to any VTEP is hairpin (the split horizon: out of one tunnel, never
// into another, as all VTEPs were one port). A destination learned from an earlier frame of the
// burst is found: as when each VTEP's frames were classified in turn, a frame from one VTEP to a
// host another VTEP's frame just taught us is a hairpin drop, not a flood.
struct FromVteps {
    const uint16_t *ports_of;   // DecappedFrames::port
    uint64_t vteps;             // bit p: port p is a VTEP (one word: no PortSlot read per frame)
    uint16_t port(uint16_t i) const noexcept { return ports_of[i]; }
    bool hairpin(uint16_t out) const noexcept { return out < kMaxPorts && ((vteps >> out) & 1); }
};

}  // namespace

// classify's passes for decapsulated frames of one or several VTEPs and VLANs: the same code
// with each frame's port and VLAN, and the split horizon as the hairpin test. (A copy, not a
// template shared with classify, and in a file of its own: shared, or beside it, plain
// switching's classify compiled differently and measured slower, BENCHMARKS.md, "VXLAN
// decapsulation, one classify a burst".)
void SwitchPath::classify_decapped(const DecappedFrames &f, uint64_t vteps, uint32_t now_s, BurstDecision &d,
                                   LcoreCounters &c) noexcept {
    const FromVteps in{f.port, vteps};
    const uint16_t n = f.n;
    d.tagged = false;
    d.same_decision = false;
    d.rx_bytes = f.bytes;
    // Whole arrays, a fixed size: a few wide moves, not a loop.
    std::memcpy(d.vlan, f.vlan, sizeof d.vlan);
    const uint8_t *kind = f.kind;
    const MacKey *skey = f.skey, *dkey = f.dkey;
    const uint16_t l3_off = RTE_ETHER_HDR_LEN;
    // The table's address in a local: read through macs_ (a member), it was loaded again for
    // each lookup and each learning, as the stores of the passes might have changed it.
    MacTable &macs = macs_;
    // Pass 1, the parse, and the start of the buckets' fetch were vxlan_decap_burst's
    // (DecappedFrames).

    // Pass 2: the lookups, as classify's.
    auto lookup_all = [&](const MacKey *keys, const uint32_t *hashes, int32_t *slots) {
        MacKey prev = kNoKey;
        int32_t slot = -1;
        for (uint16_t i = 0; i < n; ++i) {
            if (kind[i] == kDropped) [[unlikely]]
                continue;
            if (keys[i] != prev) {
                prev = keys[i];
                slot = macs.lookup_hashed(keys[i], hashes[i]);
            }
            slots[i] = slot;
        }
    };
    int32_t sslot[kMaxBurst], dslot[kMaxBurst];
    lookup_all(skey, f.shash, sslot);
    lookup_all(dkey, f.dhash, dslot);

    // Pass 3: learn the sources (a table write only for a new MAC), then decide. A MAC learned
    // here is missed by the lookups of the rest of the burst: learning looks again before it
    // inserts; a destination learned meanwhile is looked up again in a mixed burst, flooded once
    // more in a burst of one VTEP and VLAN (as classify does).
    bool learned_any = false;
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t k = kind[i];
        if (k == kDropped) [[unlikely]] {
            d.out[i] = kOutDrop | f.drop[i];
            continue;
        }
        const uint16_t port = in.port(i);
        const LearnResult learned = macs.learn(skey[i], sslot[i], port, now_s);
        if (learned != LearnResult::refreshed) [[unlikely]] {
            count_learning(learned, 1, c.sw);
            learned_any |= learned == LearnResult::learned;
        }
        if (learned_any && f.mixed && dslot[i] < 0 && !(k & kGroupDst)) [[unlikely]]
            dslot[i] = macs.lookup(dkey[i]);
        if ((k & (kArp | kIp6)) != 0 && arp_ != nullptr) [[unlikely]] {
            const uint16_t verdict = (k & kArp) ? handle_arp(f.pkts[i], l3_off, d.vlan[i], port, c.sw)
                                                : handle_nd(f.pkts[i], l3_off, d.vlan[i], port, c);
            if (verdict != 0) {
                d.out[i] = verdict;
                continue;
            }
        }
        uint16_t out = kOutFlood;
        if (!(k & kGroupDst) && dslot[i] >= 0) {
            out = macs.entry(dslot[i]).port.load(std::memory_order_relaxed);
            if (in.hairpin(out)) out = out_drop(DropReason::hairpin);
        }
        d.out[i] = out;
        if (out == kOutFlood) d.flood_kind[i] = flood_kind(k, dkey[i]);
    }
}

}  // namespace dsw
