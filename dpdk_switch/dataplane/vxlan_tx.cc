// A remote VTEP's TX: the frames the worker staged for the VTEP's port (tagged, the slot being a
// trunk of the mapped VLANs) are encapsulated here and staged again for the underlay port, which
// sends them as any port's batch (on this lcore's queue or its hand-off ring). The VTEP's port
// counters count the inner frames (what `show vxlan` gives per VTEP), the underlay's the outer.
#include <algorithm>
#include <cstddef>
#include <cstring>

#include <rte_ether.h>

#include "dpdk_switch/dataplane/tx_stage.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dataplane/vxlan_encap.h"

namespace dsw {

namespace {
constexpr uint64_t kOffloadFlags = kVxlanInnerOffloads;
constexpr unsigned kMaxSegments = 64;   // of one TSO frame completed before encapsulation
}  // namespace

bool TxStage::refresh_outer(uint16_t port, uint64_t mac, uint32_t vni) noexcept {
    if (!(mac & VtepNeighbour::kResolved) || vni == 0) return false;
    encap_pending();   // queued frames are encapsulated with the headers they were checked against
    const VxlanView &vx = view_->vxlan;
    VtepOuter &o = vtep_outer_[port];
    vxlan_outer_init(o.outer, VxlanTarget{vni, vx.vtep_ip_be[port], mac & ~VtepNeighbour::kResolved}, vx);
    o.mac = mac;
    o.vni = vni;
    o.generation = view_->generation;
    return true;
}

bool TxStage::push_vteps(rte_mbuf *const *pkts, uint16_t n, const uint16_t *out, const uint16_t *vlan) noexcept {
    static_assert(kMaxPorts <= 64, "one bit per port");
    const uint16_t vlan0 = vlan[0];
    // Reductions without an exit, which the compiler makes in vector registers.
    uint16_t top = 0, vlans = 0;
    for (uint16_t i = 0; i < n; ++i) {
        top = std::max(top, out[i]);
        vlans |= static_cast<uint16_t>(vlan[i] ^ vlan0);
    }
    if (top >= kMaxPorts) return false;   // a flood, a drop, a reply
    const bool one_vlan = vlans == 0;
    uint64_t ports = 0;
    for (uint16_t i = 0; i < n; ++i) ports |= uint64_t{1} << out[i];
    const auto vtep_of = [&](uint16_t p, uint16_t vl) {
        const PortSlot &s = view_->ports[p];
        return s.vtep && s.trunk && s.carries(vl);
    };
    if (one_vlan) {
        for (uint64_t m = ports; m != 0; m &= m - 1)
            if (!vtep_of(static_cast<uint16_t>(__builtin_ctzll(m)), vlan0)) return false;
    } else {
        for (uint16_t i = 0; i < n; ++i)
            if (!vtep_of(out[i], vlan[i])) return false;
    }
    // The VTEPs whose frames of vlan0 may be queued without their per-VTEP checks.
    uint64_t ready = 0;
    if (one_vlan)
        for (uint64_t m = ports; m != 0; m &= m - 1) {
            const uint16_t p = static_cast<uint16_t>(__builtin_ctzll(m));
            if (vtep_ready(p, vlan0)) ready |= uint64_t{1} << p;
        }
    // Every VTEP ready and room for the burst: the frames queued at once, vtep_frame_ok's tests
    // made for the burst as a whole on what the frames' fields add up to (without a branch per
    // frame); if any frame fails them, the loop below takes the burst frame by frame.
    if (ready == ports && npending_ + n <= kBatch) [[likely]] {
        const uint16_t at = npending_;
        uint64_t flags = 0;
        uint32_t room = 0, first = 0, len = 0;
        for (uint16_t i = 0; i < n; ++i) {
            const rte_mbuf *m = pkts[i];
            flags |= m->ol_flags;
            // data_off and refcnt in one word: refcnt 1 and data_off >= kVxlanOuterLen exactly
            // when it is 0x10000 + kVxlanOuterLen .. 0x1ffff, i.e. this is at most 0xffff - kVxlanOuterLen.
            uint32_t off_ref;
            static_assert(offsetof(rte_mbuf, refcnt) == offsetof(rte_mbuf, data_off) + 2);
            std::memcpy(&off_ref, &m->data_off, 4);
            room = std::max(room, off_ref - (0x10000 + kVxlanOuterLen));
            // The outer headers' line, which encap_pending_now writes, asked for here (as
            // queue_vtep does), from the fields at hand.
            rte_prefetch0_write(static_cast<uint8_t *>(m->buf_addr) + (off_ref & 0xffff) - kVxlanOuterLen);
            first |= uint32_t{m->data_len} - RTE_ETHER_HDR_LEN;   // a borrow sets its high bits
            len = std::max(len, m->pkt_len);
            pending_[at + i] = pkts[i];
            pending_port_[at + i] = static_cast<uint8_t>(out[i]);
        }
        if (!(flags & kVtepSlowFlags) && room <= 0xffff - kVxlanOuterLen && first <= 0xffff &&
            uint64_t{len} + (kVxlanOuterLen - RTE_ETHER_HDR_LEN) <= view_->vxlan.max_ip_len) [[likely]] {
            npending_ = static_cast<uint16_t>(at + n);
            pending_ports_ |= ports;
            return true;
        }
    }
    for (uint16_t i = 0; i < n; ++i) {
        const uint16_t p = out[i];
        if ((ready >> p) & 1 && vtep_frame_ok(pkts[i])) [[likely]] {
            queue_vtep(p, pkts[i]);
            continue;
        }
        ready &= ~(uint64_t{1} << p);   // its batch may hold this frame now: the next ones follow it
        push_vtep(p, pkts[i], vlan[i]);
    }
    return true;
}

void TxStage::encap_pending_now() noexcept {
    static_assert(kMaxPorts <= 64, "one bit per VTEP port");
    const uint16_t n = npending_;
    npending_ = 0;
    // Each frame's outer header line, new to the cache, was asked for when the frame was queued
    // (push_vteps, queue_vtep): before any is written (BENCHMARKS.md, "2026-12-07 encapsulation
    // per loop"), and earlier than a pass of its own here, which loaded each address again.
    uint64_t touched = pending_ports_;
    pending_ports_ = 0;
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf *m = pending_[i];
        const unsigned port = pending_port_[i];
        const VxlanOuter &outer = vtep_outer_[port].outer;   // its address made once, not per use
        // pkt_len and data_len, side by side, read and written as one word (not data_len's
        // load and 16-bit add in memory besides pkt_len's). No carry leaves either field:
        // pkt_len is bounded by the underlay's MTU (push_vtep's checks), and data_len +
        // data_off by the buffer's 16-bit length, with data_off >= kVxlanOuterLen.
        static_assert(offsetof(rte_mbuf, data_len) == offsetof(rte_mbuf, pkt_len) + 4);
        uint64_t lens;
        std::memcpy(&lens, &m->pkt_len, sizeof lens);
        const uint32_t inner_len = static_cast<uint32_t>(lens);
        const uint16_t sport = vxlan_source_port_untagged(m, static_cast<uint16_t>(lens >> 32));
        // The headers before the mbuf's fields: stores to those (uint16_t, as VxlanOuter's
        // checksum) would make the compiler read the outer headers' address again.
        vxlan_outer_write(rte_pktmbuf_mtod(m, uint8_t *) - kVxlanOuterLen, outer, inner_len, sport);
        m->data_off = static_cast<uint16_t>(m->data_off - kVxlanOuterLen);
        lens += (uint64_t{kVxlanOuterLen} << 32) | kVxlanOuterLen;
        std::memcpy(&m->pkt_len, &lens, sizeof lens);
        m->ol_flags = 0;
        vtep_sum_[port] += (uint64_t{1} << 32) + inner_len;
    }
    // The VTEPs' counters once per VTEP, not per frame (a burst to 4 VTEPs wrote 4 lines a frame),
    // and the outer bytes from their inner bytes.
    uint64_t bytes = uint64_t{n} * kVxlanOuterLen;
    for (; touched != 0; touched &= touched - 1) {
        const unsigned p = static_cast<unsigned>(__builtin_ctzll(touched));
        PortCounters &pc = c_.port[p];
        pc.tx_packets.add(vtep_sum_[p] >> 32);
        pc.tx_bytes.add(vtep_sum_[p] & 0xffffffff);
        bytes += vtep_sum_[p] & 0xffffffff;
        vtep_sum_[p] = 0;
    }
    const uint16_t underlay = view_->vxlan.underlay;
    for (uint16_t j = 0; j < n; j = static_cast<uint16_t>(j + kMaxBurst)) {
        const uint16_t k = static_cast<uint16_t>(std::min<unsigned>(kMaxBurst, n - j));
        uint64_t b = bytes;
        if (k != n) {   // more than a burst: each part's own sum
            b = 0;
            for (uint16_t x = j; x < j + k; ++x) b += pending_[x]->pkt_len;
        }
        push_burst(underlay, pending_ + j, k, b);
    }
}

void TxStage::stage_encapsulated(uint16_t port, rte_mbuf *m, bool tagged, const VxlanOuter &outer) noexcept {
    PortCounters &pc = c_.port[port];
    const uint32_t inner_len = m->pkt_len - (tagged ? sizeof(rte_vlan_hdr) : 0);
    DropReason why = DropReason::no_mbufs;
    rte_mbuf *e = vxlan_encap(m, tagged, outer, view_->vxlan, why);
    if (e == nullptr) [[unlikely]] {
        pc.drops[static_cast<unsigned>(why)].inc();
        rte_pktmbuf_free(m);
        return;
    }
    pc.tx_packets.inc();
    pc.tx_bytes.add(inner_len);
    push(view_->vxlan.underlay, e);
}

void TxStage::flush_vtep(uint16_t port, rte_mbuf **pkts, uint16_t n) noexcept {
    const VxlanView &vx = view_->vxlan;
    PortCounters &pc = c_.port[port];
    const uint64_t mac = vx.neigh->by_port[port].mac.load(std::memory_order_relaxed);
    // Never to a wrong MAC: until an ARP reply says where the VTEP is, its frames are counted.
    if (!(mac & VtepNeighbour::kResolved)) [[unlikely]] {
        rte_pktmbuf_free_bulk(pkts, n);
        pc.drops[static_cast<unsigned>(DropReason::vxlan_unresolved)].add(n);
        return;
    }
    VxlanTarget to{0, vx.vtep_ip_be[port], mac & ~VtepNeighbour::kResolved};
    VxlanOuter outer;   // for to.vni; made again when a frame of another VNI comes (rare: one per batch)
    // Encapsulated frames wait here and join the underlay's batch together, their counts added
    // once: staged one by one, the batch's and the counters' loads and stores were a tenth of the
    // encapsulation's cycles (BENCHMARKS.md, "2026-12-06 (evening) VXLAN cycles").
    rte_mbuf *out[kBatch];
    uint16_t nout = 0;
    uint64_t inner_bytes = 0, sent = 0;
    const auto stage_out = [&] {
        for (uint16_t j = 0; j < nout; j = static_cast<uint16_t>(j + kMaxBurst)) {
            const uint16_t k = static_cast<uint16_t>(std::min<unsigned>(kMaxBurst, nout - j));
            uint64_t b = 0;
            for (uint16_t x = j; x < j + k; ++x) b += out[x]->pkt_len;
            push_burst(vx.underlay, out + j, k, b);
        }
        sent += nout;
        nout = 0;
    };
    for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf *m = pkts[i];
        // The frame's VLAN: in the mbuf (TX_VLAN: the worker staged an untagged frame it owns),
        // or in its tag (a trunk's frame, a flood's shared copy).
        const bool tagged = !(m->ol_flags & RTE_MBUF_F_TX_VLAN);
        uint32_t vni;
        if (!tagged) {
            vni = vx.vni_of[m->vlan_tci & (kVxlanVlans - 1)];
            m->ol_flags &= ~RTE_MBUF_F_TX_VLAN;
        } else {
            uint8_t l2[RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr)];
            const auto *h = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, sizeof l2, l2));
            vni = h == nullptr ? 0 : vx.vni_of[((h[14] << 8) | h[15]) & (kVxlanVlans - 1)];
        }
        if (vni == 0) [[unlikely]] {   // not a mapped VLAN's frame: a static MAC behind a VTEP, say
            pc.drops[static_cast<unsigned>(DropReason::vlan_not_allowed)].inc();
            rte_pktmbuf_free(m);
            continue;
        }
        if (vni != to.vni) [[unlikely]] {
            to.vni = vni;
            vxlan_outer_init(outer, to, vx);
        }
        if (!(m->ol_flags & kOffloadFlags)) [[likely]] {
            const uint32_t inner_len = m->pkt_len - (tagged ? sizeof(rte_vlan_hdr) : 0);
            DropReason why = DropReason::no_mbufs;
            rte_mbuf *e = vxlan_encap(m, tagged, outer, vx, why);
            if (e == nullptr) [[unlikely]] {
                pc.drops[static_cast<unsigned>(why)].inc();
                rte_pktmbuf_free(m);
                continue;
            }
            out[nout++] = e;
            inner_bytes += inner_len;
            continue;
        }
        stage_out();   // what came before this frame leaves before its segments
        // Checksum or TSO still asked of the egress. An underlay that takes UDP-tunnel GSO (a
        // vtap; the VTEP's slot then says it takes the inner offloads, so push_offloaded left
        // them) gets the frame whole with its requests, when it can go so.
        if (view_->ports[port].offload_caps & kCapTso) {
            const uint32_t inner_len = m->pkt_len - (tagged ? sizeof(rte_vlan_hdr) : 0);
            DropReason why = DropReason::count;
            if (rte_mbuf *e = vxlan_encap_offloaded(m, tagged, outer, vx, why)) {
                pc.tx_packets.inc();
                pc.tx_bytes.add(inner_len);
                push(vx.underlay, e);
                continue;
            }
            if (why != DropReason::count) {
                pc.drops[static_cast<unsigned>(why)].inc();
                rte_pktmbuf_free(m);
                continue;
            }
        }
        // Otherwise the worker stages frames of ports that may carry such requests through
        // push_offloaded, which completes them for this slot (offload_caps none, gso_mtu the
        // inner MTU) before they get here: this is the safety net for a frame staged otherwise,
        // and the way for one that cannot go whole. The underlay takes none of the inner frame's
        // offloads, so they are completed here, on the untagged frame (a shared one is copied
        // first: its headers are written).
        if (tagged && !(rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m) && m->data_len >= 18)) {
            rte_mbuf *copy = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
            rte_pktmbuf_free(m);
            if (copy == nullptr) {
                pc.drops[static_cast<unsigned>(DropReason::no_mbufs)].inc();
                continue;
            }
            m = copy;
        }
        if (tagged) vlan_untag_in_place(m);
        m->l2_len = RTE_ETHER_HDR_LEN;
        const GsoContext gso{m->pool, m->pool, static_cast<uint16_t>(vx.max_ip_len - kVxlanOuterLen)};
        rte_mbuf *segs[kMaxSegments];
        DropReason why = DropReason::offload_unsupported;
        const uint16_t k = prepare_for_tx(m, 0, gso, segs, kMaxSegments, vxlan_offload_, why);
        if (k == 0) {
            pc.drops[static_cast<unsigned>(why)].inc();
            rte_pktmbuf_free(m);
            continue;
        }
        for (uint16_t j = 0; j < k; ++j) stage_encapsulated(port, segs[j], false, outer);
    }
    stage_out();
    pc.tx_packets.add(sent);
    pc.tx_bytes.add(inner_bytes);
}

}  // namespace dsw
