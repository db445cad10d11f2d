#include "dpdk_switch/dataplane/nd_proxy.h"

#include <cstring>

#include <rte_byteorder.h>
#include <rte_ip.h>

#include "dpdk_switch/tables/mac_key.h"

namespace dsw {

namespace {
constexpr uint16_t kIp6Len = 40;
constexpr uint16_t kNdLen = 24;          // type, code, checksum, flags/reserved, target
constexpr uint8_t kProtoIcmp6 = 58;
constexpr uint8_t kOptSourceLl = 1, kOptTargetLl = 2;
constexpr uint16_t kNaLen = kNdLen + 8;  // with one target link-layer option

bool unspecified(const uint8_t *a) {
    static constexpr uint8_t zero[16] = {};
    return std::memcmp(a, zero, 16) == 0;
}
}  // namespace

NdParse parse_nd(const uint8_t *frame, uint16_t len, uint16_t l3_off, NdFields &out) noexcept {
    if (len < l3_off || len - l3_off < kIp6Len) return NdParse::not_nd;   // not even an IPv6 header: switch it
    const uint8_t *ip = frame + l3_off;
    if ((ip[0] >> 4) != 6 || ip[6] != kProtoIcmp6 || ip[7] != 255) return NdParse::not_nd;
    uint16_t plen_be;
    std::memcpy(&plen_be, ip + 4, 2);
    const uint16_t plen = rte_be_to_cpu_16(plen_be);
    const uint8_t *icmp = ip + kIp6Len;
    const uint16_t avail = static_cast<uint16_t>(len - l3_off - kIp6Len);
    if (avail < 1 || (icmp[0] != kIcmp6NeighborSolicit && icmp[0] != kIcmp6NeighborAdvert)) return NdParse::not_nd;
    if (plen > avail || plen < kNdLen) return NdParse::truncated;
    if (icmp[1] != 0) return NdParse::malformed;
    out.type = icmp[0];
    out.src = ip + 8;
    out.target = icmp + 8;
    out.src_unspecified = unspecified(out.src);
    out.lladdr = 0;
    const uint8_t wanted = out.type == kIcmp6NeighborSolicit ? kOptSourceLl : kOptTargetLl;
    // Options: type, length in 8-byte units (0 is invalid, RFC 4861 4.6), all inside plen.
    for (uint16_t off = kNdLen; off < plen;) {
        if (plen - off < 2) return NdParse::malformed;
        const uint8_t opt_len = icmp[off + 1];
        if (opt_len == 0 || off + opt_len * 8u > plen) return NdParse::malformed;
        if (icmp[off] == wanted && opt_len == 1) {
            out.lladdr = mac_from_bytes(icmp + off + 2);
            // As for ARP: a group or zero link-layer address is never a host's.
            if (mac_is_multicast(out.lladdr) || out.lladdr == 0) return NdParse::malformed;
        }
        off = static_cast<uint16_t>(off + opt_len * 8u);
    }
    return NdParse::ok;
}

namespace {

// Rewrites the frame into the Advertisement `owner` would send for `target` to the soliciting
// host: Ethernet to the requester, IPv6 from the target to the requester, Solicited+Override,
// with a target link-layer option. The frame is resized to exactly that.
bool write_na(rte_mbuf *m, uint16_t l3_off, const uint8_t *src_in, const uint8_t *target_in, uint64_t owner) {
    uint8_t src[16], target[16];
    std::memcpy(src, src_in, 16);   // copies: the rewrite overwrites where they point
    std::memcpy(target, target_in, 16);
    const uint32_t want = l3_off + kIp6Len + kNaLen;
    if (m->nb_segs != 1) return false;
    if (m->data_len < want) {
        if (rte_pktmbuf_append(m, static_cast<uint16_t>(want - m->data_len)) == nullptr) return false;
    } else if (m->data_len > want) {
        rte_pktmbuf_trim(m, static_cast<uint16_t>(m->data_len - want));
    }
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    std::memcpy(f, f + 6, 6);   // Ethernet destination: the requester
    mac_to_bytes(owner, f + 6);
    uint8_t *ip = f + l3_off;
    const uint8_t ip_hdr[8] = {0x60, 0, 0, 0, 0, kNaLen, kProtoIcmp6, 255};
    std::memcpy(ip, ip_hdr, 8);
    std::memcpy(ip + 8, target, 16);
    std::memcpy(ip + 24, src, 16);
    uint8_t *na = ip + kIp6Len;
    std::memset(na, 0, kNaLen);
    na[0] = kIcmp6NeighborAdvert;
    na[4] = 0x60;   // Solicited, Override
    std::memcpy(na + 8, target, 16);
    na[24] = kOptTargetLl;
    na[25] = 1;
    mac_to_bytes(owner, na + 26);
    const uint16_t sum = rte_ipv6_udptcp_cksum(reinterpret_cast<const rte_ipv6_hdr *>(ip), na);
    std::memcpy(na + 2, &sum, 2);
    return true;
}

}  // namespace

NdVerdict nd_proxy(ArpTable &table, rte_mbuf *m, const NdFields &nd, uint16_t l3_off, uint16_t vlan, uint16_t port,
                   SwitchCounters &c) noexcept {
    const uint64_t eth_src = mac_from_bytes(rte_pktmbuf_mtod(m, const uint8_t *) + 6);
    // Who claims which address: an NS vouches for its source, an NA for its target.
    const uint8_t *claimed = nd.type == kIcmp6NeighborSolicit ? nd.src : nd.target;
    if (!nd.src_unspecified) {
        switch (table.learn6(vlan, claimed, nd.lladdr ? nd.lladdr : eth_src, port)) {
        case ArpLearn::learned: c.nd_learned.inc(); break;
        case ArpLearn::moved: c.nd_moves.inc(); break;
        default: break;
        }
    }
    if (nd.type != kIcmp6NeighborSolicit || nd.src_unspecified) return NdVerdict::forward;
    const auto owner = table.lookup6(vlan, nd.target);
    if (!owner || owner->mac == eth_src) return NdVerdict::forward;
    if (!write_na(m, l3_off, nd.src, nd.target, owner->mac)) return NdVerdict::drop;
    c.nd_proxy_replies.inc();
    return NdVerdict::reply;
}

}  // namespace dsw
