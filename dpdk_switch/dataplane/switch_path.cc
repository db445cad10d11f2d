#include "dpdk_switch/dataplane/switch_path.h"

#include <cstring>

#include <rte_prefetch.h>

#include "dpdk_switch/dataplane/arp_proxy.h"
#include "dpdk_switch/dataplane/head16.h"
#include "dpdk_switch/dataplane/nd_proxy.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "switch_path_kinds.h"

namespace dsw {

namespace {
// What decides how parse_l2 takes a frame whose lengths take its straight path (data_len >= 18)
// and are not oversize: bytes 0-13 (MACs, ethertype) of an untagged frame; of a tagged one also
// the TCI and the inner ethertype (bytes 14-17). Two frames with equal heads parse alike.
constexpr uint16_t kHeadMinLen = RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr) + 2;
inline bool head_fits(const rte_mbuf *m) noexcept { return m->data_len >= kHeadMinLen && m->pkt_len <= kMaxFrameLen; }

// Frames 1.. carry frame 0's head; bytes summed in `bytes`. One 16-byte compare a frame, and for
// tagged frames a 2-byte one; a burst of many flows leaves at frame 1. (Three 8/8/2-byte
// compares for every frame, tagged or not, were slower: BENCHMARKS.md,
// "Figures behind code comments".)
template <bool kTagged>
bool same_heads(rte_mbuf *const *pkts, uint16_t n, Head16 h0, uint16_t inner0, uint64_t &bytes) noexcept {
    // Untagged: bytes 14 and 15 (the start of L3) do not matter.
    const Head16 care = head16_care(kTagged);
    uint64_t sum = pkts[0]->pkt_len;
    for (uint16_t i = 1; i < n; ++i) {
        const rte_mbuf *m = pkts[i];
        if (!head_fits(m)) return false;
        const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
        if (!head16_same(head16_load(p), h0, care)) return false;
        if constexpr (kTagged) {
            uint16_t inner;
            std::memcpy(&inner, p + 16, 2);
            if (inner != inner0) return false;
        }
        sum += m->pkt_len;
    }
    bytes = sum;
    return true;
}

bool same_l2_header(rte_mbuf *const *pkts, uint16_t n, uint64_t &bytes) noexcept {
    if (!head_fits(pkts[0])) return false;
    const uint8_t *p0 = rte_pktmbuf_mtod(pkts[0], const uint8_t *);
    const Head16 h0 = head16_load(p0);
    uint16_t outer, inner;
    std::memcpy(&outer, p0 + 12, 2);
    std::memcpy(&inner, p0 + 16, 2);
    return is_tag_tpid(outer) ? same_heads<true>(pkts, n, h0, inner, bytes) : same_heads<false>(pkts, n, h0, 0, bytes);
}

// Not a drop reason: admit's verdict on a priority-tagged frame (802.1Q tag with VID 0, only
// a priority) on a port of untagged frames. 802.1Q puts it in the port's own VLAN: the caller,
// which owns the mbuf, takes the tag off (untag_priority) and switches it as untagged. (The
// Linux bridge strips it too on egress to untagged ports.) A trunk has no native VLAN for it.
constexpr uint8_t kPriorityTagged = 0xfe;
static_assert(kDropReasons < kPriorityTagged);

// Access ports carry untagged frames of their VLAN, trunks tagged frames of theirs: the frame's
// VLAN, or a drop reason (or kPriorityTagged) in f.drop.
[[gnu::always_inline]] inline uint16_t admit(L2Frame &f, const PortSlot &port) noexcept {
    const uint16_t vlan = f.tagged ? f.vlan : port.access_vlan;
    // An untagged frame needs only the port's kind; a tagged one also the trunk's bitmap.
    // (Testing the bitmap for every frame, which an access port's own VLAN is in too, made
    // untagged traffic pay for it: BENCHMARKS.md, "Figures behind code comments".)
    if (f.drop == kNoDrop && (f.tagged != port.trunk || (f.tagged && !port.carries(vlan)))) [[unlikely]]
        f.drop = f.tagged && f.vlan == 0 && !port.trunk ? kPriorityTagged : static_cast<uint8_t>(DropReason::vlan_not_allowed);
    return vlan;
}

// A priority-tagged frame admitted to an untagged port: its tag removed in place, so that it
// is, from here on, an untagged frame of the port's VLAN. False (f.drop says why) when the
// frame's data is shared and cannot be written; RX frames are the caller's alone.
[[gnu::cold]] bool untag_priority(rte_mbuf *m, L2Frame &f) noexcept {
    if (rte_mbuf_refcnt_read(m) != 1 || RTE_MBUF_CLONED(m) ||
        (RTE_MBUF_HAS_EXTBUF(m) && rte_mbuf_ext_refcnt_read(m->shinfo) != 1)) {
        f.drop = static_cast<uint8_t>(DropReason::vlan_not_allowed);
        return false;
    }
    vlan_untag_in_place(m);   // tagged, so data_len >= 18
    f.tagged = false;
    f.l3_off = RTE_ETHER_HDR_LEN;
    f.drop = kNoDrop;
    return true;
}

// A frame the proxies let through: to the port its destination is behind, or flooded.
// (Inlined by force: out of line, it and count_learning slowed 2048-MAC traffic:
// BENCHMARKS.md, "Figures behind code comments".)
[[gnu::always_inline]] inline uint16_t forward(const MacTable &macs, uint8_t kind, int32_t dslot, uint16_t in_port) noexcept {
    if ((kind & kGroupDst) || dslot < 0) return kOutFlood;
    const uint16_t out = macs.entry(dslot).port.load(std::memory_order_relaxed);
    return out == in_port ? out_drop(DropReason::hairpin) : out;
}

}  // namespace

uint16_t SwitchPath::handle_nd(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port,
                               LcoreCounters &c) noexcept {
    NdFields nd;
    switch (parse_nd(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, l3_off, nd)) {
    case NdParse::not_nd: return 0;
    case NdParse::truncated: return out_drop(DropReason::nd_truncated);
    case NdParse::malformed: return out_drop(DropReason::nd_malformed);
    case NdParse::ok: break;
    }
    switch (nd_proxy(*arp_, m, nd, l3_off, vlan, port, c.sw)) {
    case NdVerdict::forward: return 0;
    case NdVerdict::reply: return kOutReply;
    case NdVerdict::drop: return out_drop(DropReason::no_mbufs);
    }
    return 0;
}

uint16_t SwitchPath::handle_arp(rte_mbuf *m, uint16_t l3_off, uint16_t vlan, uint16_t port,
                                SwitchCounters &c) noexcept {
    ArpFields req;
    const uint8_t drop = parse_arp(rte_pktmbuf_mtod(m, const uint8_t *), m->data_len, l3_off, req);
    if (drop != kNoDrop) return kOutDrop | drop;
    return arp_proxy(*arp_, m, req, l3_off, vlan, port, c) == ArpVerdict::reply ? kOutReply : 0;
}

// Most bursts of a bulk transfer are one flow, each frame with the same L2 header: one parse,
// one learn and one lookup decide them all. A new or moved source counts once (the frames after
// it would find it learned); a source that cannot be learned counts every frame. False, for the
// per-frame passes, when the proxies must see each frame.
// (Checking each frame against the one before in the passes instead slowed 2048-MAC traffic;
// comparing keys after the parse pass left a one-flow burst slower: BENCHMARKS.md,
// "Figures behind code comments".)
bool SwitchPath::classify_one_flow(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                                   LcoreCounters &c) noexcept {
    L2Frame f = parse_l2(pkts[0]);
    const uint16_t vlan = admit(f, *in.slot);
    const uint8_t kind = kind_of(f);
    if (f.drop == kNoDrop && (kind & (kArp | kIp6)) != 0 && arp_ != nullptr) return false;
    uint16_t out;
    if (f.drop != kNoDrop) {
        if (f.drop == kPriorityTagged) return false;   // every frame's tag comes off, in the per-frame passes
        out = kOutDrop | f.drop;
    } else {
        const MacKey skey = make_mac_key(f.src, vlan), dkey = make_mac_key(f.dst, vlan);
        count_learning(macs_.learn(skey, macs_.lookup(skey), in.port, now_s), n, c.sw);
        out = forward(macs_, kind, (kind & kGroupDst) ? -1 : macs_.lookup(dkey), in.port);
        if (out == kOutFlood) {
            const uint8_t flood = flood_kind(kind, dkey);
            for (uint16_t i = 0; i < n; ++i) d.flood_kind[i] = flood;
        }
    }
    for (uint16_t i = 0; i < n; ++i) {
        d.out[i] = out;
        d.vlan[i] = vlan;
    }
    d.same_decision = true;
    return true;
}

void SwitchPath::classify(rte_mbuf *const *pkts, uint16_t n, Ingress in, uint32_t now_s, BurstDecision &d,
                          LcoreCounters &c) noexcept {
    // Three passes. The first parses every frame and starts the fetch of the buckets of its
    // source and destination, so that the memory of all 64 lookups is in flight at once; the
    // second looks up; the third learns and decides, frame by frame. What passes between them is
    // kept to a few words per frame: on this path stores, not arithmetic, were the limit (the
    // older four-pass form wrote 14 words per frame into scratch arrays).
    // The VLAN check (admit) lets a frame through only if it is tagged exactly when the port is
    // a trunk: so the tag, and where L3 starts, are the port's.
    d.tagged = in.slot->trunk;
    d.same_decision = false;
    if (n > 1 && same_l2_header(pkts, n, d.rx_bytes) && classify_one_flow(pkts, n, in, now_s, d, c)) return;

    MacKey skey[kMaxBurst], dkey[kMaxBurst];
    uint32_t shash[kMaxBurst], dhash[kMaxBurst];
    uint8_t kind[kMaxBurst];
    const PortSlot &port = *in.slot;
    const uint16_t l3_off = port.trunk ? RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr) : RTE_ETHER_HDR_LEN;
    uint64_t bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
        if (i + kPrefetchAhead < n) rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchAhead], void *));
        bytes += pkts[i]->pkt_len;
        L2Frame f = parse_l2(pkts[i]);
        uint16_t vlan = admit(f, port);
        if (f.drop != kNoDrop) [[unlikely]] {
            if (f.drop == kPriorityTagged && untag_priority(pkts[i], f)) {
                vlan = port.access_vlan;
            } else {
                d.out[i] = kOutDrop | f.drop;
                kind[i] = kDropped;
                continue;
            }
        }
        d.vlan[i] = vlan;
        skey[i] = make_mac_key(f.src, vlan);
        shash[i] = macs_.hash_and_prefetch(skey[i]);
        // A group destination needs no lookup; doing one anyway keeps these loops straight.
        dkey[i] = make_mac_key(f.dst, vlan);
        dhash[i] = macs_.hash_and_prefetch(dkey[i]);
        kind[i] = kind_of(f);
    }
    d.rx_bytes = bytes;

    // Pass 2: the lookups, alone in their loops so that many are in flight at once (with learning
    // and the decision in the same loop, fewer fit in the core's window and 2048-MAC traffic
    // was slower); sources first, then destinations (interleaved, a new source's
    // bucket, a miss to DRAM, held up the destinations behind it and learning slowed). A run of
    // one flow repeats its keys: the previous result is reused, kept in a register (read back
    // from memory it would chain store-to-load forwards).
    // (A lambda: the same loop as a free helper, even forced inline, learned more slowly.)
    // (Figures: BENCHMARKS.md, "Figures behind code comments".)
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
    // inserts, and a destination learned meanwhile is flooded once more.
    for (uint16_t i = 0; i < n; ++i) {
        const uint8_t k = kind[i];
        if (k == kDropped) [[unlikely]]
            continue;
        const LearnResult learned = macs_.learn(skey[i], sslot[i], in.port, now_s);
        if (learned != LearnResult::refreshed) [[unlikely]]
            count_learning(learned, 1, c.sw);
        // One test covers both rare kinds, so IPv4 pays a single branch for the proxies.
        if ((k & (kArp | kIp6)) != 0 && arp_ != nullptr) [[unlikely]] {
            const uint16_t verdict = (k & kArp) ? handle_arp(pkts[i], l3_off, d.vlan[i], in.port, c.sw)
                                                : handle_nd(pkts[i], l3_off, d.vlan[i], in.port, c);
            if (verdict != 0) {
                d.out[i] = verdict;
                continue;
            }
        }
        const uint16_t out = forward(macs_, k, dslot[i], in.port);
        d.out[i] = out;
        if (out == kOutFlood) d.flood_kind[i] = flood_kind(k, dkey[i]);
    }
}

}  // namespace dsw
