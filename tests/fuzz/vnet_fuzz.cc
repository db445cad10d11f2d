#include "vnet_fuzz.h"

#include <vector>

#include <rte_ip.h>
#include <rte_udp.h>


namespace dsw::fuzz {

namespace {

constexpr uint16_t kMaxGsoOut = 64;

// A chain whose segment lengths add up and whose count is nb_segs.
void check_chain(const rte_mbuf *m) {
    uint32_t sum = 0;
    uint16_t segs = 0;
    for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
        sum += s->data_len;
        ++segs;
    }
    FUZZ_CHECK(sum == m->pkt_len && segs == m->nb_segs);
}

}  // namespace

bool is_offload_reason(DropReason r) {
    return r == DropReason::offload_bad_headers || r == DropReason::offload_bad_csum ||
           r == DropReason::offload_bad_gso || r == DropReason::offload_gso_mtu || r == DropReason::offload_bad_tunnel ||
           r == DropReason::offload_unsupported || r == DropReason::offload_no_mbufs;
}

void check_offload_fields(const rte_mbuf *m) {
    const uint64_t f = m->ol_flags;
    if (!(f & kTxOffloadRequests)) return;
    if (f & RTE_MBUF_F_TX_TUNNEL_MASK) {
        // A checksum inside a UDP payload (a tunnel's inner one): l3_len spans the outer IP and
        // UDP headers and at least an inner Ethernet header; the checksum field is in the packet.
        FUZZ_CHECK((f & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_UDP);
        const uint64_t outer = f & (RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_OUTER_IPV6);
        FUZZ_CHECK(outer == RTE_MBUF_F_TX_OUTER_IPV4 || outer == RTE_MBUF_F_TX_OUTER_IPV6);
        FUZZ_CHECK(m->l2_len >= RTE_ETHER_HDR_LEN && m->l4_len == 0);
        FUZZ_CHECK(m->l3_len >= sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + RTE_ETHER_HDR_LEN);
        FUZZ_CHECK(static_cast<uint32_t>(m->l2_len) + m->l3_len + sizeof(rte_udp_hdr) <= m->pkt_len);
        if (f & kTxSegRequests) FUZZ_CHECK(m->tso_segsz != 0);
        return;
    }
    const uint64_t ip = f & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6);
    FUZZ_CHECK(ip == RTE_MBUF_F_TX_IPV4 || ip == RTE_MBUF_F_TX_IPV6);
    FUZZ_CHECK(m->l2_len >= RTE_ETHER_HDR_LEN && m->l3_len >= sizeof(rte_ipv4_hdr) && m->l4_len >= 8);
    FUZZ_CHECK(static_cast<uint32_t>(m->l2_len) + m->l3_len + m->l4_len <= m->data_len);
    if (f & kTxSegRequests) FUZZ_CHECK(m->tso_segsz != 0);
}

bool check_parsed(rte_mbuf *m, const Frame &f, const VnetParse &parsed, const OffloadFields &before) {
    FUZZ_CHECK(frame_equals(m, f));   // the header is read, the frame never written
    if (!parsed.ok) {
        FUZZ_CHECK(is_offload_reason(parsed.reason));
        FUZZ_CHECK(m->ol_flags == before.ol_flags && m->tx_offload == before.tx_offload);
        free_chain(m);
        return false;
    }
    check_offload_fields(m);
    return true;
}

// One frame through a port's offload RX (vnet_to_mbuf, or virtio_rx_to_tx on RX flags) and the
// egress fallback (prepare_for_tx), checked as the header comment says.
void run_vnet(World &w, const VnetRecord &r, const Frame &f, bool trace) {
    rte_mbuf *m = make_mbuf(w.pool, f);
    if (m == nullptr) return;
    const uint8_t caps = r.arg & kCapTx;
    const uint16_t mtu = static_cast<uint16_t>(68 + 36 * r.aux);
    if (r.arg & 8) {
        m->ol_flags = ((r.h.flags & 1) ? RTE_MBUF_F_RX_LRO : 0) |
                      ((r.h.flags & 2) ? RTE_MBUF_F_RX_L4_CKSUM_NONE : (r.h.flags & 4) ? RTE_MBUF_F_RX_L4_CKSUM_GOOD : 0);
        m->tso_segsz = le16(reinterpret_cast<const uint8_t *>(&r.h.gso_size));
    }
    const OffloadFields fields = offload_fields(m);
    const VnetParse parsed = (r.arg & 8) ? virtio_rx_to_tx(m) : vnet_to_mbuf(r.h, m);
    if (trace)
        std::fprintf(stderr, "frame_fuzzer: vnet len %u %s %s\n", f.len, (r.arg & 8) ? "rx-flags" : "header",
                     parsed.ok ? "accepted" : drop_reason_name(parsed.reason));
    if (!check_parsed(m, f, parsed, fields)) return;
    run_egress(w, m, caps, mtu, trace);
}

void run_egress(World &w, rte_mbuf *m, uint8_t caps, uint16_t mtu, bool trace) {
    const bool seg = m->ol_flags & kTxSegRequests;
    // A UDP tunnel's GSO frame goes whole only to a port that takes tunnel GSO (a vtap), and is
    // split for any other, plain TSO or not; a plain one goes whole where its kind is taken.
    const uint64_t tunnel = m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK;
    const bool whole = tunnel ? (caps & kCapUdpTunnelTso) && tunnel == RTE_MBUF_F_TX_TUNNEL_UDP
                              : (caps & ((m->ol_flags & RTE_MBUF_F_TX_TCP_SEG) ? kCapTso : kCapUso));
    const bool split_here = seg && !whole;
    const uint16_t l2_len = m->l2_len;
    // prepare_for_tx may hand the buffers to indirect mbufs: they are unpoisoned once, below.
    std::vector<rte_mbuf *> originals;
    for (rte_mbuf *s = m; s != nullptr; s = s->next) originals.push_back(s);
    rte_mbuf *out[kMaxGsoOut];
    OffloadCounters oc{};
    DropReason drop = DropReason::count;
    const uint16_t n = prepare_for_tx(m, caps, GsoContext{w.gso_direct, w.gso_indirect, mtu}, out, kMaxGsoOut, oc, drop);
    if (n == 0) {
        FUZZ_CHECK(is_offload_reason(drop));
        if (trace) std::fprintf(stderr, "frame_fuzzer: vnet caps %u mtu %u -> %s\n", caps, mtu, drop_reason_name(drop));
        free_chain(m);
        return;
    }
    FUZZ_CHECK(n <= kMaxGsoOut);
    if (trace) std::fprintf(stderr, "frame_fuzzer: vnet caps %u mtu %u -> %u frames\n", caps, mtu, n);
    if (n > 1) FUZZ_CHECK(split_here);
    for (uint16_t i = 0; i < n; ++i) {
        check_chain(out[i]);
        if (!split_here) {
            check_offload_fields(out[i]);
        } else {
            // Each segment's IP packet fits the MTU, and asks for no segmentation any more.
            FUZZ_CHECK(out[i]->pkt_len <= static_cast<uint32_t>(mtu) + l2_len);
            FUZZ_CHECK(!(out[i]->ol_flags & kTxSegRequests));
        }
    }
    for (rte_mbuf *s : originals) ASAN_UNPOISON_MEMORY_REGION(s->buf_addr, s->buf_len);
    for (uint16_t i = 0; i < n; ++i) free_chain(out[i]);
}

}  // namespace dsw::fuzz
