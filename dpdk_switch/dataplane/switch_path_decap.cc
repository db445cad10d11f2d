// SwitchPath::classify_decapped: classify for the decapsulated frames of a burst from several
// VTEPs, each frame with its own ingress port and VLAN.
#include <cstring>

#include "dpdk_switch/dataplane/arp_proxy.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "switch_path_kinds.h"

namespace dsw {

namespace {
// Decapsulated untagged frames, each from its VTEP's port in its VNI's VLAN, as from an access
// port of that VLAN; a frame to any VTEP is hairpin (the split horizon: out of one tunnel, never
// into another, as all VTEPs were one port). A destination learned from an earlier frame of the
// burst is found: as when each VTEP's frames were classified in turn, a frame from one VTEP to a
// host another VTEP's frame just taught us is a hairpin drop, not a flood.
struct FromVteps {
    const uint16_t *ports_of;   // DecapIngress's, copied: classify's stores cannot change them
    const uint16_t *vlans;
    uint64_t vteps;             // bit p: port p is a VTEP (one word: no PortSlot read per frame)
    uint16_t port(uint16_t i) const noexcept { return ports_of[i]; }
    // vxlan_decap gave any tagged inner frame the trunk's way (kDecapTagged): none comes here.
    uint16_t admit(L2Frame &f, uint16_t i) const noexcept {
        if (f.drop == kNoDrop && f.tagged) [[unlikely]]
            f.drop = static_cast<uint8_t>(DropReason::vlan_not_allowed);
        return vlans[i];
    }
    bool hairpin(uint16_t out) const noexcept { return out < kMaxPorts && ((vteps >> out) & 1); }
};

// parse_l2 for a frame that came untagged out of a tunnel, reading its 14-byte Ethernet header
// only. parse_l2 reads 8 bytes from the ethertype on (tag and inner ethertype, to take either
// form without a branch); in a frame decapsulated in place those lie past the 64th byte of the
// outer packet, in a line vxlan_decap never read: a miss on every frame, which this path need
// not take. A frame too short or tagged (vxlan_decap sends neither here) is parse_l2's.
[[gnu::always_inline]] inline L2Frame parse_decapped(const rte_mbuf *m) noexcept {
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    if (m->data_len < RTE_ETHER_HDR_LEN) [[unlikely]]
        return parse_l2(m);
    uint16_t et_be;
    std::memcpy(&et_be, p + 12, 2);
    if (is_tag_tpid(et_be)) [[unlikely]]
        return parse_l2(m);
    L2Frame f{};
    f.drop = kNoDrop;
    uint64_t w0, w1;
    std::memcpy(&w0, p, 8);
    std::memcpy(&w1, p + 6, 8);
    f.dst = w0 & kMacMask;
    f.src = w1 & kMacMask;
    f.l3_off = RTE_ETHER_HDR_LEN;
    f.ethertype = rte_be_to_cpu_16(et_be);
    // parse_l2's checks of an untagged frame, in its order.
    if (mac_is_multicast(f.src)) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_multicast);
    else if (f.src == 0) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_zero);
    else if (m->pkt_len > kMaxFrameLen && wire_frame_len(m) > kMaxFrameLen) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::oversize);
    return f;
}

}  // namespace

// classify's three passes for decapsulated frames of several VTEPs and VLANs: the same code with
// each frame's port and VLAN, and the split horizon as the hairpin test. (A copy, not a template
// shared with classify, and in a file of its own: shared, or beside it, plain switching's classify
// compiled differently and measured slower, BENCHMARKS.md, "VXLAN decapsulation, one classify a
// burst".)
void SwitchPath::classify_decapped(rte_mbuf *const *pkts, uint16_t n, const DecapIngress &decap, uint32_t now_s,
                                   BurstDecision &d, LcoreCounters &c) noexcept {
    const FromVteps in{decap.port, decap.vlan, decap.vteps};
    d.tagged = false;
    d.same_decision = false;
    MacKey skey[kMaxBurst], dkey[kMaxBurst];
    uint32_t shash[kMaxBurst], dhash[kMaxBurst];
    uint8_t kind[kMaxBurst];
    const uint16_t l3_off = RTE_ETHER_HDR_LEN;
    uint64_t bytes = 0;
    // No fetch ahead, unlike classify: vxlan_decap_burst has just read every frame's first line,
    // which holds the inner Ethernet header too.
    for (uint16_t i = 0; i < n; ++i) {
        bytes += pkts[i]->pkt_len;
        L2Frame f = parse_decapped(pkts[i]);
        const uint16_t vlan = in.admit(f, i);
        if (f.drop != kNoDrop) [[unlikely]] {
            d.out[i] = kOutDrop | f.drop;
            kind[i] = kDropped;
            continue;
        }
        d.vlan[i] = vlan;
        skey[i] = make_mac_key(f.src, vlan);
        shash[i] = macs_.hash_and_prefetch(skey[i]);
        dkey[i] = make_mac_key(f.dst, vlan);
        dhash[i] = macs_.hash_and_prefetch(dkey[i]);
        kind[i] = kind_of(f);
    }
    d.rx_bytes = bytes;

    // Pass 2: the lookups, as classify's.
    auto lookup_all = [&](const MacKey *keys, const uint32_t *hashes, int32_t *slots) {
        MacKey prev = kNoKey;
        int32_t slot = -1;
        for (uint16_t i = 0; i < n; ++i) {
            if (kind[i] == kDropped) [[unlikely]]
                continue;
            if (keys[i] != prev) {
                prev = keys[i];
                slot = macs_.lookup_hashed(keys[i], hashes[i]);
            }
            slots[i] = slot;
        }
    };
    int32_t sslot[kMaxBurst], dslot[kMaxBurst];
    lookup_all(skey, shash, sslot);
    lookup_all(dkey, dhash, dslot);

    // Pass 3: learn the sources (a table write only for a new MAC), then decide. A MAC learned
    // here is missed by the lookups of the rest of the burst: learning looks again before it
    // inserts; a destination learned meanwhile is looked up again.
    bool learned_any = false;
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t k = kind[i];
        if (k == kDropped) [[unlikely]]
            continue;
        const uint16_t port = in.port(i);
        const LearnResult learned = macs_.learn(skey[i], sslot[i], port, now_s);
        if (learned != LearnResult::refreshed) [[unlikely]] {
            count_learning(learned, 1, c.sw);
            learned_any |= learned == LearnResult::learned;
        }
        if (learned_any && dslot[i] < 0 && !(k & kGroupDst)) [[unlikely]]
            dslot[i] = macs_.lookup(dkey[i]);
        if ((k & (kArp | kIp6)) != 0 && arp_ != nullptr) [[unlikely]] {
            const uint16_t verdict = (k & kArp) ? handle_arp(pkts[i], l3_off, d.vlan[i], port, c.sw)
                                                : handle_nd(pkts[i], l3_off, d.vlan[i], port, c);
            if (verdict != 0) {
                d.out[i] = verdict;
                continue;
            }
        }
        uint16_t out = kOutFlood;
        if (!(k & kGroupDst) && dslot[i] >= 0) {
            out = macs_.entry(dslot[i]).port.load(std::memory_order_relaxed);
            if (in.hairpin(out)) out = out_drop(DropReason::hairpin);
        }
        d.out[i] = out;
        if (out == kOutFlood) d.flood_kind[i] = flood_kind(k, dkey[i]);
    }
}

}  // namespace dsw
