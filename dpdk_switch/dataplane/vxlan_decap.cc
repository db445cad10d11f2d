#include "dpdk_switch/dataplane/vxlan_decap.h"

#include <cstddef>
#include <cstring>

#ifdef __AVX2__
#include <immintrin.h>
#endif

#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_prefetch.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/arp_proxy.h"
#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dataplane/mbuf_trim.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "decapped_frame.h"

namespace dsw {

namespace {
constexpr DecapResult drop(DropReason r) { return {static_cast<uint16_t>(r), 0, {0}, 0}; }
// Frames ahead of the one decapsulated whose first line is fetched.
constexpr uint16_t kDecapPrefetchAhead = 4;
}  // namespace

DecapResult vxlan_decap(rte_mbuf *m, const VxlanView &vx) noexcept {
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint32_t len = m->data_len;
    if (len < RTE_ETHER_HDR_LEN) [[unlikely]]
        return drop(DropReason::vxlan_not_to_us);
    uint16_t et;
    std::memcpy(&et, p + 12, 2);
    if (et == rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP)) return {kUnderlayArp, 0, {0}, 0};
    if (et != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || len < RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr)) [[unlikely]]
        return drop(DropReason::vxlan_not_to_us);
    rte_ipv4_hdr ip;
    std::memcpy(&ip, p + RTE_ETHER_HDR_LEN, sizeof ip);
    const uint32_t ihl = (ip.version_ihl & 0x0f) * 4u;
    if ((ip.version_ihl >> 4) != 4 || ihl < sizeof(rte_ipv4_hdr) || ip.dst_addr != vx.local_ip_be ||
        ip.next_proto_id != IPPROTO_UDP) [[unlikely]]
        return drop(DropReason::vxlan_not_to_us);
    // A fragment's UDP header (or the rest of it) is elsewhere: the switch does not reassemble.
    if ((ip.fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0) [[unlikely]]
        return drop(DropReason::vxlan_short);
    const uint32_t udp_off = RTE_ETHER_HDR_LEN + ihl;
    if (len < udp_off + sizeof(rte_udp_hdr)) [[unlikely]]
        return drop(DropReason::vxlan_short);
    rte_udp_hdr udp;
    std::memcpy(&udp, p + udp_off, sizeof udp);
    if (udp.dst_port != vx.udp_port_be) [[unlikely]]
        return drop(DropReason::vxlan_bad_port);
    // The IPv4 length says where the packet ends (a short frame may carry Ethernet padding); the
    // inner frame needs its Ethernet header, in the first segment.
    const uint32_t ip_len = rte_be_to_cpu_16(ip.total_length);
    const uint32_t inner_off = udp_off + sizeof(rte_udp_hdr) + kVxlanHdrLen;
    if (len < inner_off + RTE_ETHER_HDR_LEN || ip_len < ihl + sizeof(rte_udp_hdr) + kVxlanHdrLen + RTE_ETHER_HDR_LEN ||
        RTE_ETHER_HDR_LEN + ip_len > m->pkt_len || rte_be_to_cpu_16(udp.dgram_len) + ihl > ip_len) [[unlikely]]
        return drop(DropReason::vxlan_short);
    const uint8_t *h = p + udp_off + sizeof(rte_udp_hdr);
    if (!(h[0] & kVxlanFlagI)) [[unlikely]]
        return drop(DropReason::vxlan_bad_flags);
    const uint32_t vni = (uint32_t{h[4]} << 16) | (uint32_t{h[5]} << 8) | h[6];
    const int vlan = vx.vlan_of(vni);
    if (vlan < 0) [[unlikely]]
        return drop(DropReason::vxlan_unknown_vni);
    const int vtep = vx.vtep_port(ip.src_addr);
    if (vtep < 0) [[unlikely]]
        return {static_cast<uint16_t>(DropReason::vxlan_unknown_vtep), 0, {ip.src_addr}, vni};
    // A checksum the sender left to finish inside the inner frame (vnet_to_mbuf's tunnel form):
    // where it starts in the inner frame.
    const uint64_t tunnel_csum = m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK;
    uint32_t inner_csum = 0;
    if (tunnel_csum) [[unlikely]] {
        if (static_cast<uint32_t>(m->l2_len + m->l3_len) <= inner_off) return drop(DropReason::offload_bad_csum);
        inner_csum = static_cast<uint32_t>(m->l2_len + m->l3_len) - inner_off;
    }
    pktmbuf_trim_to(m, RTE_ETHER_HDR_LEN + ip_len);
    rte_pktmbuf_adj(m, static_cast<uint16_t>(inner_off));
    // RX offload flags spoke of the outer packet; the inner frame carries none, but for the
    // inner checksum's (and segmentation's) request, which becomes its own, checked against its
    // headers as a vnet port's would be: the egress completes it, or hands it on to a port that
    // takes it.
    const uint64_t f = m->ol_flags;
    m->ol_flags = 0;
    m->packet_type = 0;
    uint16_t inner_et;
    std::memcpy(&inner_et, p + inner_off + 12, 2);
    const bool tagged = is_tag_tpid(inner_et);
    if (tagged) [[unlikely]] {
        vlan_tag_in_place(m, static_cast<uint16_t>(vlan));   // the headroom has the outer headers' 50 bytes
        inner_csum += sizeof(rte_vlan_hdr);
    }
    if (tunnel_csum) [[unlikely]] {
        virtio_net_hdr h{};
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(inner_csum));
        const bool tcp = (f & RTE_MBUF_F_TX_L4_MASK) == RTE_MBUF_F_TX_TCP_CKSUM;
        h.csum_offset = rte_cpu_to_le_16(tcp ? offsetof(rte_tcp_hdr, cksum) : offsetof(rte_udp_hdr, dgram_cksum));
        if (f & kTxSegRequests) {   // a whole inner TSO/USO segment: it stays one
            h.gso_type = !tcp ? kVnetGsoUdpL4 : (f & RTE_MBUF_F_TX_IPV6) ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
            h.gso_size = rte_cpu_to_le_16(m->tso_segsz);
        }
        if (const VnetParse r = vnet_to_mbuf(h, m); !r.ok) return drop(r.reason);
    }
    return {kDecapped, static_cast<uint32_t>(vtep), {tagged ? kDecapTagged : static_cast<uint32_t>(vlan)}, 0};
}

namespace {

// Bytes 12-43 of the outer headers (ethertype to the VXLAN flags) as four words: the bits that
// matter and their value in the common packet, IPv4 without options, not a fragment, UDP to our
// address and port, the I flag. One test instead of a branch a field; any other packet takes
// vxlan_decap's checks one by one.
struct OuterTemplate {
    uint64_t care[4];
    uint64_t want[4];
};

#ifdef __AVX2__
// The template as decap_common compares with it: in two registers (as words, GCC kept the
// template on the stack and reloaded it every frame).
struct OuterMatch {
    __m256i care, want;
    explicit OuterMatch(const OuterTemplate &t) noexcept
        : care(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(t.care))),
          want(_mm256_loadu_si256(reinterpret_cast<const __m256i *>(t.want))) {}
};
#else
using OuterMatch = OuterTemplate;
#endif

OuterTemplate outer_template(const VxlanView &vx) noexcept {
    uint8_t care[32] = {}, want[32] = {};
    auto at = [](unsigned off) { return off - 12; };
    care[at(12)] = care[at(13)] = care[at(14)] = 0xff;
    want[at(12)] = 0x08;   // IPv4
    want[at(14)] = 0x45;   // version 4, no options
    care[at(20)] = 0x3f;   // MF and the fragment offset: 0
    care[at(21)] = 0xff;
    care[at(23)] = 0xff;
    want[at(23)] = IPPROTO_UDP;
    std::memset(care + at(30), 0xff, 4);
    std::memcpy(want + at(30), &vx.local_ip_be, 4);
    care[at(36)] = care[at(37)] = 0xff;
    std::memcpy(want + at(36), &vx.udp_port_be, 2);
    care[at(42)] = want[at(42)] = kVxlanFlagI;
    OuterTemplate t;
    std::memcpy(t.care, care, sizeof care);
    std::memcpy(t.want, want, sizeof want);
    return t;
}

// The last VNI seen, and the VTEPs seen in this burst: a burst usually holds a few of each, and
// frames of several VTEPs come interleaved (a last-VTEP cache missed on every frame of such a
// burst and scanned the VTEPs each time). A VTEP's way is chosen by the last byte of its address
// (its host's own byte, different between the few VTEPs of a burst as a rule; a clash only costs
// the scan). An empty way holds an address that cannot be looked up in it (its last byte names
// another way), so that one compare tells a hit. Each way also counts its VTEP's frames of the
// burst, for its port's RX counters: (packets << 40) | bytes as received (32 frames of at most
// 4 GiB each fit in 40 bits), added once a burst (two counter updates a frame, at its VTEP's
// port, cost more than the way's one add).
struct DecapCache {
    static constexpr unsigned kVtepWays = 8;
    static constexpr unsigned kPacketShift = 40;
    // The way of address `ip_be`: its last byte's low bits (on this little-endian host, the top
    // byte of the word as loaded).
    static unsigned way_of(uint32_t ip_be) noexcept { return (ip_be >> 24) & (kVtepWays - 1); }
    static constexpr uint32_t empty(unsigned w) noexcept { return ((w + 1) & (kVtepWays - 1)) << 24; }
    uint32_t ip[kVtepWays] = {empty(0), empty(1), empty(2), empty(3), empty(4), empty(5), empty(6), empty(7)};
    uint16_t port[kVtepWays] = {};
    uint64_t rx[kVtepWays] = {};
};

// A way's count handed to the burst's list (when the burst ends, or another VTEP takes the way):
// its bytes as received less the outer headers, the inner frames'.
inline void flush_way(DecapBurst &out, unsigned &nrx, uint16_t port, uint64_t rx) noexcept {
    constexpr uint32_t kOuter = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + kVxlanHdrLen;
    const uint32_t packets = static_cast<uint32_t>(rx >> DecapCache::kPacketShift);
    out.vtep_rx[nrx++] = {port, packets, (rx & ((uint64_t{1} << DecapCache::kPacketShift) - 1)) - uint64_t{kOuter} * packets};
}

// vxlan_decap's verdict for the common packet (the template's, IPv4 lengths right and nothing
// past the outer packet to trim, a known VNI from a known VTEP, no offload request, an untagged
// inner frame): decapsulated, added to out.inner as frame k, counted in its VTEP's way; true.
// False for any other, untouched, for vxlan_decap to decide. The last VNI is the caller's
// (vni_word, the word the VNI is read from, masked; vlan): locals, not the cache's members.
[[gnu::always_inline]] inline bool decap_common(rte_mbuf *m, const VxlanView &vx, const OuterMatch &t,
                                                uint32_t &vni_word, uint16_t &vlan, DecapCache &cache,
                                                const MacTable &macs, DecapBurst &out, size_t k,
                                                unsigned &nrx) noexcept {
    constexpr uint32_t kInnerOff = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + kVxlanHdrLen;
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    if (m->data_len < kInnerOff + RTE_ETHER_HDR_LEN) [[unlikely]]
        return false;
#ifdef __AVX2__
    // One 32-byte compare.
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(p + 12));
    const __m256i x = _mm256_xor_si256(_mm256_and_si256(w, t.care), t.want);
    if (!_mm256_testz_si256(x, x)) [[unlikely]]
        return false;
#else
    uint64_t w[4];
    std::memcpy(w, p + 12, sizeof w);
    uint64_t diff = 0;
    for (unsigned j = 0; j < 4; ++j) diff |= (w[j] & t.care[j]) ^ t.want[j];
    if (diff) [[unlikely]]
        return false;
#endif
    // One test a condition, each its own branch: as one condition, GCC made a flag of each
    // and or-ed them. The byte swaps are GCC's own (a load with movbe, a compare with a swapped
    // constant): DPDK's rte_be_to_cpu_16 is inline assembly, which GCC cannot fold.
    // (The UDP length as the low half of a 32-bit word: read as 16 bits, GCC swapped it through
    // the stack.)
    uint16_t ip_len_be, inner_et;
    uint32_t udp_word_be;
    std::memcpy(&ip_len_be, p + 16, 2);
    std::memcpy(&udp_word_be, p + 36, 4);
    std::memcpy(&inner_et, p + kInnerOff + 12, 2);
    const uint32_t ip_len = __builtin_bswap16(ip_len_be);
    const uint32_t pkt_len = m->pkt_len;
    // The packet ends where IPv4 says. That makes ip_len at least the outer headers' and the inner
    // Ethernet header's (vxlan_decap's test): pkt_len >= data_len, tested above.
    if (RTE_ETHER_HDR_LEN + ip_len != pkt_len) [[unlikely]]
        return false;
    if ((__builtin_bswap32(udp_word_be) & 0xffff) + sizeof(rte_ipv4_hdr) > ip_len) [[unlikely]]
        return false;
    if (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) [[unlikely]]
        return false;
    // A tagged inner frame is vxlan_decap's: the two TPIDs, and the few ethertypes that differ
    // from 802.1Q's only in bits where it differs from QinQ's (MAC control's 0x8808, otherwise
    // unassigned ones: rare, and decided the same there), in one test instead of two compares
    // and an or.
    constexpr uint16_t kVlanBe = __builtin_bswap16(RTE_ETHER_TYPE_VLAN), kQinqBe = __builtin_bswap16(RTE_ETHER_TYPE_QINQ);
    if (((inner_et ^ kVlanBe) & ~(kVlanBe ^ kQinqBe)) == 0) [[unlikely]]
        return false;
    // The VNI's three bytes and the reserved one after them, as loaded: the VNI, masked, is
    // compared with the last one as it stands, and made a number only when it changes.
    uint32_t word;
    std::memcpy(&word, p + 46, 4);
    word &= rte_cpu_to_be_32(0xffffff00);
    if (word != vni_word) {
        const int v = vx.vlan_of(rte_be_to_cpu_32(word) >> 8);
        if (v < 0) [[unlikely]]
            return false;
        vni_word = word;
        vlan = static_cast<uint16_t>(v);
    }
    uint32_t src;
    std::memcpy(&src, p + 26, 4);
    const unsigned way = DecapCache::way_of(src);
    if (cache.ip[way] != src) [[unlikely]] {
        const int vtep = vx.vtep_port(src);
        if (vtep < 0) [[unlikely]]
            return false;
        if (cache.rx[way] != 0) flush_way(out, nrx, cache.port[way], cache.rx[way]);
        cache.rx[way] = 0;
        cache.ip[way] = src;
        cache.port[way] = static_cast<uint16_t>(vtep);
    }
    // rte_pktmbuf_adj by the outer headers, pkt_len and data_len (side by side) in one subtraction:
    // neither is below kInnerOff here.
    static_assert(offsetof(rte_mbuf, data_len) == offsetof(rte_mbuf, pkt_len) + 4);
    uint64_t lens;
    std::memcpy(&lens, &m->pkt_len, sizeof lens);
    lens -= (uint64_t{kInnerOff} << 32) | kInnerOff;
    std::memcpy(&m->pkt_len, &lens, sizeof lens);
    m->data_off = static_cast<uint16_t>(m->data_off + kInnerOff);
    m->ol_flags = 0;
    m->packet_type = 0;
    const uint32_t inner_len = pkt_len - kInnerOff;
    // The way counts the frame as received (its outer headers' bytes taken off when the way is
    // flushed): one add of what is at hand.
    cache.rx[way] += (uint64_t{1} << DecapCache::kPacketShift) + pkt_len;
    const uint16_t vtep = cache.port[way];
    // parse_decapped's reading of the inner header, which this packet's checks have made sure of
    // (in the first segment, untagged). Written out, not shared with parse_decapped: as one
    // inline helper the decap row ran 4 instructions a packet more (BENCHMARKS.md, "2026-12-07
    // (06:41-06:50)").
    const uint8_t *inner = p + kInnerOff;
    L2Frame f{};
    f.drop = kNoDrop;
    uint64_t w0, w1;
    std::memcpy(&w0, inner, 8);
    std::memcpy(&w1, inner + 6, 8);
    f.dst = w0 & kMacMask;
    f.src = w1 & kMacMask;
    f.l3_off = RTE_ETHER_HDR_LEN;
    f.ethertype = __builtin_bswap16(inner_et);
    if (mac_is_multicast(f.src)) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_multicast);
    else if (f.src == 0) [[unlikely]]
        f.drop = static_cast<uint8_t>(DropReason::src_mac_zero);
    else if (inner_len > kMaxFrameLen) [[unlikely]]   // no offload request: its wire length is itself
        f.drop = static_cast<uint8_t>(DropReason::oversize);
    add_decapped(out.inner, k, macs, m, f, vtep, vlan);
    return true;
}

// What a burst's frames share as it is decapsulated.
struct DecapState {
    OuterTemplate t;
    DecapCache cache;
    uint32_t vni_word = ~0u;   // the last VNI (decap_common's): none, a masked word has a zero byte
    uint16_t vlan = 0;
    unsigned k = 0;            // out.inner's frames
    unsigned nrx = 0;          // out.vtep_rx's
};

// decap_common for frames i, i + 1, ... up to the first that is not common, whose index it
// returns (n: none). A function that calls nothing, its burst's values in locals: in
// vxlan_decap_burst's loop, beside vxlan_decap's call, GCC kept most of them on the stack and
// reloaded them every frame. `out` and `s` are written only through themselves here: with
// __restrict, GCC need not read the MAC table's bucket base and mask again after each store.
[[gnu::noinline]] size_t decap_run(rte_mbuf *const *pkts, size_t i, size_t n, const VxlanView &vx,
                                     const MacTable &macs, DecapBurst &__restrict out, DecapState &__restrict s) noexcept {
    const OuterMatch t(s.t);
    uint32_t vni_word = s.vni_word;
    uint16_t vlan = s.vlan;
    // One index for the input and the output, k (out.inner's): frame i is src[k], i - k
    // being the frames before this run that vxlan_decap took (two indices, both incremented,
    // were a register more in a loop that has too few).
    size_t k = s.k;   // size_t: no zero extension of the index each frame
    rte_mbuf *const *src = pkts + (i - k);
    const size_t end = n - (i - k);
    unsigned nrx = s.nrx;
    // Frames with one kDecapPrefetchAhead frames behind them to fetch, then the last ones: a
    // loop each (one, with a test for the fetch, ran more instructions a frame).
    for (; k + kDecapPrefetchAhead < end; ++k) {
        rte_prefetch0(rte_pktmbuf_mtod(src[k + kDecapPrefetchAhead], void *));
        if (!decap_common(src[k], vx, t, vni_word, vlan, s.cache, macs, out, k, nrx)) [[unlikely]]
            goto done;
    }
    for (; k < end; ++k)
        if (!decap_common(src[k], vx, t, vni_word, vlan, s.cache, macs, out, k, nrx)) [[unlikely]]
            break;
done:
    s.vni_word = vni_word;
    s.vlan = vlan;
    i = static_cast<size_t>(src - pkts) + k;
    s.k = static_cast<unsigned>(k);
    s.nrx = nrx;
    return i;
}

}  // namespace

void vxlan_decap_burst(rte_mbuf *const *pkts, uint16_t n, const VxlanView &vx, const MacTable &macs,
                       DecapBurst &out) noexcept {
    constexpr uint32_t kInnerOff = RTE_ETHER_HDR_LEN + sizeof(rte_ipv4_hdr) + sizeof(rte_udp_hdr) + kVxlanHdrLen;
    DecapState s;
    s.t = outer_template(vx);
    // Frames vxlan_decap decided, and their bytes as received less those of the ones it
    // decapsulated into out.inner (in the ways' count): with the common frames' outer headers,
    // the underlay's RX bytes, counted at the end (not a sum in decap_run's loop).
    unsigned nslow = 0, nother = 0;
    uint64_t slow_bytes = 0;
    for (size_t i = decap_run(pkts, 0, n, vx, macs, out, s); i < n; i = decap_run(pkts, i, n, vx, macs, out, s)) {
        rte_mbuf *m = pkts[i++];
        ++nslow;
        slow_bytes += m->pkt_len;
        const DecapResult r = vxlan_decap(m, vx);
        if (r.verdict != kDecapped || r.vlan == kDecapTagged) {
            out.other[nother] = m;
            out.other_res[nother++] = r;
            continue;
        }
        slow_bytes -= m->pkt_len;
        out.vtep_rx[s.nrx++] = {static_cast<uint16_t>(r.vtep_port), 1, m->pkt_len};
        add_decapped(out.inner, s.k++, macs, m, parse_decapped(m),
                     static_cast<uint16_t>(r.vtep_port), static_cast<uint16_t>(r.vlan));
    }
    const unsigned k = s.k;
    unsigned nrx = s.nrx;
    for (unsigned w = 0; w < DecapCache::kVtepWays; ++w)
        if (s.cache.rx[w] != 0) flush_way(out, nrx, s.cache.port[w], s.cache.rx[w]);
    // The inner frames' bytes and whether they share a VTEP and VLAN, once a burst from what
    // the loop wrote anyway (kept in the loop, they were more values than registers).
    uint64_t inner_bytes = 0;
    for (unsigned j = 0; j < nrx; ++j) inner_bytes += out.vtep_rx[j].bytes;
    uint32_t mixed = 0;
    for (unsigned j = 1; j < k; ++j) mixed |= (out.inner.port[j] ^ out.inner.port[0]) | (out.inner.vlan[j] ^ out.inner.vlan[0]);
    out.inner.n = static_cast<uint16_t>(k);
    out.inner.bytes = inner_bytes;
    out.inner.mixed = mixed;
    out.n_vtep_rx = static_cast<uint16_t>(nrx);
    out.n_other = static_cast<uint16_t>(nother);
    out.rx_bytes = inner_bytes + slow_bytes + uint64_t{kInnerOff} * (n - nslow);
}

bool vxlan_underlay_arp(rte_mbuf *m, const VxlanView &vx, uint32_t now_s) noexcept {
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    ArpFields a;
    if (parse_arp(p, m->data_len, RTE_ETHER_HDR_LEN, a) != kNoDrop) return false;
    if (a.sha == 0 || mac_is_multicast(a.sha)) return false;
    // The sender is the next hop of every VTEP it resolves: itself, or all behind a gateway.
    const uint32_t spa_be = rte_cpu_to_be_32(a.spa);
    for (uint16_t i = 0; i < vx.n_vteps && vx.neigh != nullptr; ++i) {
        const uint16_t vtep = vx.vtep_ports[i];
        if (vx.vtep_next_hop_be[vtep] != spa_be) continue;
        VtepNeighbour &n = vx.neigh->by_port[vtep];
        const uint64_t word = VtepNeighbour::kResolved | a.sha;
        if (n.mac.load(std::memory_order_relaxed) != word) n.mac.store(word, std::memory_order_relaxed);
        n.seen_s.store(now_s, std::memory_order_relaxed);
    }
    if (a.op != 1 || rte_cpu_to_be_32(a.tpa) != vx.local_ip_be) return false;
    write_arp_reply(p, RTE_ETHER_HDR_LEN, a, vx.local_mac);
    return true;
}

}  // namespace dsw
