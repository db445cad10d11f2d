// Private to the decapsulation (vxlan_decap.cc): classify_decapped's first pass for one frame,
// taken while the decapsulation holds the frame's first line. The inner Ethernet header sits in
// the line the outer headers were read from; the MAC table's buckets are fetched from here on
// while the next frames are decapsulated.
#pragma once

#include <cstring>

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "switch_path_kinds.h"

namespace dsw {
namespace {

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

// Frame m, parsed as `f`, is out's frame k, received on port `vtep` in `vlan`: as an untagged
// frame of an access port of that VLAN (a tagged one is not admitted: vxlan_decap gave every
// tagged inner frame the trunk's way, kDecapTagged, so none comes here), its keys hashed and
// their buckets' fetch started.
// (k and the byte count are the caller's, kept in registers: out's byte stores may alias them;
// k a size_t, as the caller's index: no zero extension a frame.)
[[gnu::always_inline]] inline void add_decapped(DecappedFrames &out, size_t k, const MacTable &macs, rte_mbuf *m,
                                                L2Frame f, uint16_t vtep, uint16_t vlan) noexcept {
    out.pkts[k] = m;
    out.port[k] = vtep;
    out.vlan[k] = vlan;
    if (f.drop == kNoDrop && f.tagged) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::vlan_not_allowed);
    if (f.drop != kNoDrop) [[unlikely]] {
        out.kind[k] = kDropped;
        out.drop[k] = f.drop;
        return;
    }
    out.skey[k] = make_mac_key(f.src, vlan);
    out.shash[k] = macs.hash_and_prefetch(out.skey[k]);
    // A group destination needs no lookup; doing one anyway keeps classify's loops straight.
    out.dkey[k] = make_mac_key(f.dst, vlan);
    out.dhash[k] = macs.hash_and_prefetch(out.dkey[k]);
    out.kind[k] = kind_of(f);
}

}  // namespace
}  // namespace dsw
