#include "tunnel_fuzz.h"

#include <cstring>
#include <vector>

#include <rte_byteorder.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/tables/mac_key.h"
#include "vnet_fuzz.h"

namespace dsw::fuzz {

namespace {

uint32_t ip_be(const uint8_t (&b)[4]) {
    uint32_t v;
    std::memcpy(&v, b, 4);
    return v;
}

uint32_t g_now_s = 0;   // the clock vxlan_underlay_arp stamps a neighbour with

// Built once: a VxlanView is too large to build per input. Its neighbour table is what the
// workers write (reset_tunnel clears it).
const VxlanView &fuzz_vtep() {
    static VxlanView *vx = [] {
        auto *v = new VxlanView;
        v->enabled = true;
        v->local_ip_be = ip_be(kFuzzLocalIp);
        v->udp_port_be = rte_cpu_to_be_16(kFuzzVxlanPort);
        v->local_mac = 0x0200000000aaull;
        if (!v->map(10, 100) || !v->map(20, 200)) die("vxlan map");
        v->add_vtep(3, ip_be(kFuzzVtepIp));
        v->add_vtep(4, ip_be(kFuzzFarVtepIp), ip_be(kFuzzGatewayIp));
        v->add_vtep(5, ip_be(kFuzzFarVtep2Ip), ip_be(kFuzzGatewayIp));
        v->neigh = new VtepNeighbours;
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
    uint32_t src_be;
    std::memcpy(&src_be, b + 26, 4);
    FUZZ_CHECK(fuzz_vtep().vtep_port(src_be) >= 0 && r.vtep_port == static_cast<uint32_t>(fuzz_vtep().vtep_port(src_be)));
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

// vxlan_underlay_arp on `m`, whose bytes are `before`: an ARP body in the first segment from a
// unicast sender resolves every VTEP whose next hop (itself, or its gateway) sent it, to the
// sender's MAC stamped now, and no other entry changes; a request for our VTEP address becomes
// our reply in place, anything else is left as it was.
void check_underlay_arp(rte_mbuf *m, const std::vector<uint8_t> &before, bool trace) {
    const VxlanView &vx = fuzz_vtep();
    VtepNeighbours &nb = *vx.neigh;
    uint64_t mac_before[kMaxPorts];
    uint32_t seen_before[kMaxPorts];
    for (unsigned p = 0; p < kMaxPorts; ++p) {
        mac_before[p] = nb.by_port[p].mac.load(std::memory_order_relaxed);
        seen_before[p] = nb.by_port[p].seen_s.load(std::memory_order_relaxed);
    }
    const uint32_t now_s = ++g_now_s;
    const uint16_t first_len = m->data_len;
    const bool replied = vxlan_underlay_arp(m, vx, now_s);

    const uint8_t *b = before.data();
    const uint8_t *a = b + RTE_ETHER_HDR_LEN;
    const bool well_formed = first_len >= RTE_ETHER_HDR_LEN + 28 && be16(a) == 1 && be16(a + 2) == RTE_ETHER_TYPE_IPV4 &&
                             a[4] == 6 && a[5] == 4;
    const uint64_t sha = well_formed ? mac_from_bytes(a + 8) : 0;
    const bool learnable = sha != 0 && !(a[8] & 1);
    uint32_t spa_be = 0;
    if (well_formed) std::memcpy(&spa_be, a + 14, 4);
    bool is_vtep[kMaxPorts] = {};
    for (uint16_t i = 0; i < vx.n_vteps; ++i) is_vtep[vx.vtep_ports[i]] = true;
    unsigned resolved = 0;
    for (unsigned p = 0; p < kMaxPorts; ++p) {
        const uint64_t mac = nb.by_port[p].mac.load(std::memory_order_relaxed);
        const uint32_t seen = nb.by_port[p].seen_s.load(std::memory_order_relaxed);
        if (learnable && is_vtep[p] && vx.vtep_next_hop_be[p] == spa_be) {
            FUZZ_CHECK(mac == (VtepNeighbour::kResolved | sha) && seen == now_s);
            ++resolved;
        } else {
            FUZZ_CHECK(mac == mac_before[p] && seen == seen_before[p]);
        }
    }
    const bool asked = learnable && be16(a + 6) == 1 && std::memcmp(a + 24, kFuzzLocalIp, 4) == 0;
    if (trace)
        std::fprintf(stderr, "frame_fuzzer: underlay arp resolved %u VTEPs%s\n", resolved, replied ? ", replied" : "");
    FUZZ_CHECK(replied == asked);
    const std::vector<uint8_t> after = chain_bytes(m);
    FUZZ_CHECK(after.size() == before.size() && m->data_len == first_len);
    if (!replied) {
        FUZZ_CHECK(after == before);
        return;
    }
    // From our underlay MAC to the asker; the reply's sender is us, its target the asker.
    uint8_t local_mac[6];
    mac_to_bytes(vx.local_mac, local_mac);
    const uint8_t *r = after.data(), *ra = r + RTE_ETHER_HDR_LEN;
    FUZZ_CHECK(std::memcmp(r, a + 8, 6) == 0 && std::memcmp(r + 6, local_mac, 6) == 0);
    FUZZ_CHECK(std::memcmp(r + 12, b + 12, 8) == 0 && be16(ra + 6) == 2);
    FUZZ_CHECK(std::memcmp(ra + 8, local_mac, 6) == 0 && std::memcmp(ra + 14, kFuzzLocalIp, 4) == 0);
    FUZZ_CHECK(std::memcmp(ra + 18, a + 8, 6) == 0 && std::memcmp(ra + 24, a + 14, 4) == 0);
    FUZZ_CHECK(std::equal(after.begin() + RTE_ETHER_HDR_LEN + 28, after.end(), before.begin() + RTE_ETHER_HDR_LEN + 28));
}

}  // namespace

void reset_tunnel() {
    for (VtepNeighbour &n : fuzz_vtep().neigh->by_port) {
        n.mac.store(0, std::memory_order_relaxed);
        n.seen_s.store(0, std::memory_order_relaxed);
    }
    g_now_s = 0;
}

void run_tunnel(World &w, const TunnelRecord &r, const Frame &f, bool trace) {
    rte_mbuf *m = make_mbuf(w.pool, f);
    if (m == nullptr) return;
    const uint8_t caps = r.arg & kCapTx;
    const uint16_t mtu = static_cast<uint16_t>(68 + 36 * r.aux);
    const OffloadFields fields = offload_fields(m);
    const VnetParse parsed = vnet_tunnel_to_mbuf(r.h, m);
    if (trace)
        std::fprintf(stderr, "frame_fuzzer: tunnel len %u gso_type %#x %s\n", f.len, r.h.hdr.gso_type,
                     parsed.ok ? "accepted" : drop_reason_name(parsed.reason));
    if (!check_parsed(m, f, parsed, fields)) return;
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
        check_underlay_arp(m, before, trace);
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
