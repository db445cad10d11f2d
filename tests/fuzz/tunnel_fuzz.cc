#include "tunnel_fuzz.h"

#include <cstring>
#include <vector>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "vnet_fuzz.h"

namespace dsw::fuzz {

namespace {

uint32_t ip_be(const uint8_t (&b)[4]) {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
}

// Built once: a VxlanView is too large to build per input.
const VxlanView &fuzz_vtep() {
    static VxlanView *vx = [] {
        auto *v = new VxlanView;
        v->enabled = true;
        v->local_ip_be = ip_be(kFuzzLocalIp);
        v->udp_port_be = rte_cpu_to_be_16(kFuzzVxlanPort);
        v->local_mac = 0x0200000000aaull;
        if (!v->map(10, 100) || !v->map(20, 200)) die("vxlan map");
        v->add_vtep(kFuzzVtepPortIndex, ip_be(kFuzzVtepIp));
        return v;
    }();
    return *vx;
}

// The chain's bytes, in order.
std::vector<uint8_t> chain_bytes(const rte_mbuf *m) {
    std::vector<uint8_t> b;
    for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
        const auto *p = rte_pktmbuf_mtod(s, const uint8_t *);
        b.insert(b.end(), p, p + s->data_len);
    }
    return b;
}

// What vxlan_decap must leave of the frame `before` it accepted: the inner frame up to where the
// outer IPv4 packet ends (Ethernet padding gone), with the VNI's VLAN as an outer tag when the
// inner frame is tagged itself.
void check_decapped(const rte_mbuf *m, const std::vector<uint8_t> &before, const DecapResult &r) {
    const uint8_t *b = before.data();
    const uint32_t ihl = (b[14] & 0x0f) * 4u;
    const uint32_t ip_len = be16(b + 16);
    const uint32_t inner_off = 14 + ihl + 8 + kVxlanHdrLen;
    FUZZ_CHECK(14 + ip_len <= before.size() && inner_off + 14 <= 14 + ip_len);
    const uint32_t vni = uint32_t{b[inner_off - 4]} << 16 | uint32_t{b[inner_off - 3]} << 8 | b[inner_off - 2];
    FUZZ_CHECK(vni == 100 || vni == 200);
    FUZZ_CHECK(r.vtep_port == kFuzzVtepPortIndex);
    const uint16_t vlan = vni == 100 ? 10 : 20;
    std::vector<uint8_t> want(b + inner_off, b + 14 + ip_len);
    const bool tagged = is_tag(be16(want.data() + 12));
    FUZZ_CHECK(r.vlan == (tagged ? kDecapTagged : vlan));
    if (tagged) {
        const uint8_t tag[4] = {0x81, 0x00, static_cast<uint8_t>(vlan >> 8), static_cast<uint8_t>(vlan)};
        want.insert(want.begin() + 12, tag, tag + 4);
    }
    FUZZ_CHECK(m->pkt_len == want.size());
    FUZZ_CHECK(chain_bytes(m) == want);
    // Only the checksum and segmentation requests survive, described against the inner headers.
    FUZZ_CHECK((m->ol_flags & ~kTxOffloadRequests & ~(RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6 |
                                                      RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IPV4 |
                                                      RTE_MBUF_F_TX_OUTER_IPV6)) == 0);
    check_offload_fields(m);
}

}  // namespace

void run_tunnel(World &w, const TunnelRecord &r, const Frame &f, bool trace) {
    rte_mbuf *m = make_mbuf(w.pool, f);
    if (m == nullptr) return;
    const uint8_t caps = r.arg & kCapTx;
    const uint16_t mtu = static_cast<uint16_t>(68 + 36 * r.aux);
    const uint64_t flags_before = m->ol_flags, tx_offload_before = m->tx_offload;
    const VnetParse parsed = vnet_tunnel_to_mbuf(r.h, m);
    FUZZ_CHECK(frame_equals(m, f));   // the header is read, the frame never written
    if (trace)
        std::fprintf(stderr, "frame_fuzzer: tunnel len %u gso_type %#x %s\n", f.len, r.h.hdr.gso_type,
                     parsed.ok ? "accepted" : drop_reason_name(parsed.reason));
    if (!parsed.ok) {
        FUZZ_CHECK(is_offload_reason(parsed.reason));
        FUZZ_CHECK(m->ol_flags == flags_before && m->tx_offload == tx_offload_before);
        free_chain(m);
        return;
    }
    check_offload_fields(m);
    if (r.h.hdr.gso_type & kVnetGsoUdpTunnel) {
        // Accepted tunnel GSO: the tunnel form, the inner L4 header where csum_start says, the
        // outer IP version the type says, and a segment to make.
        FUZZ_CHECK((m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_UDP);
        FUZZ_CHECK(m->l2_len + m->l3_len == rte_le_to_cpu_16(r.h.hdr.csum_start));
        FUZZ_CHECK(!!(m->ol_flags & RTE_MBUF_F_TX_OUTER_IPV6) ==
                   ((r.h.hdr.gso_type & kVnetGsoUdpTunnel) == kVnetGsoUdpTunnelIpv6));
        FUZZ_CHECK(m->ol_flags & kTxSegRequests);
    }
    if (r.arg & 8) {   // a vtap that is no underlay: switched as it is
        run_egress(w, m, caps, mtu, trace);
        return;
    }
    const std::vector<uint8_t> before = chain_bytes(m);
    const DecapResult d = vxlan_decap(m, fuzz_vtep());
    if (trace)
        std::fprintf(stderr, "frame_fuzzer: tunnel decap -> %s\n",
                     d.verdict == kDecapped       ? "decapped"
                     : d.verdict == kUnderlayArp ? "underlay arp"
                                                  : drop_reason_name(static_cast<DropReason>(d.verdict)));
    if (d.verdict == kUnderlayArp) {
        (void)vxlan_underlay_arp(m, fuzz_vtep(), 1);
        free_chain(m);
        return;
    }
    if (d.verdict != kDecapped) {
        FUZZ_CHECK(d.verdict < static_cast<uint32_t>(DropReason::count));
        free_chain(m);
        return;
    }
    check_decapped(m, before, d);
    run_egress(w, m, caps, mtu, trace);
}

}  // namespace dsw::fuzz
