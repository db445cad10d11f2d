// Encapsulation of one frame for a remote VTEP: outer Ethernet, IPv4 (DF set, TTL 64, checksum
// computed), UDP (source port from a hash of the inner flow, for the underlay's ECMP; checksum 0,
// as RFC 7348 allows over IPv4) and VXLAN (I flag, the VNI). No payload copy: the headers go in
// the headroom of a frame the caller owns alone, or in a header segment chained to an indirect
// reference of the payload when the frame is shared (a flood's copies for several VTEPs).
#pragma once

#include <cstdint>
#include <cstring>

#include <netinet/in.h>

#ifdef __SSE4_2__
#include <nmmintrin.h>
#endif
#ifdef __AVX__
#include <immintrin.h>
#endif

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dataplane/vxlan_view.h"

namespace dsw {

// The inner frame's offload requests, which the underlay is never given: a frame with any of
// them is completed in software before encapsulation (TxStage::flush_vtep).
inline constexpr uint64_t kVxlanInnerOffloads = RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_UDP_SEG |
                                                RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IP_CKSUM;

struct VxlanTarget {
    uint32_t vni;
    uint32_t dst_ip_be;
    uint64_t dst_mac;   // the VTEP's (resolved) underlay MAC, mac_key.h's wire order
};

// The 50 outer bytes to one VTEP in one VNI, made once for a batch of frames (vxlan_outer_init).
// Each frame's copy differs only in the IPv4 total length and checksum and the UDP source port
// and length, which vxlan_outer_write stores over the copy. (Assembling the IPv4 header per frame
// on the stack and reading it back stalled store forwarding twice a frame: BENCHMARKS.md,
// "2026-12-06 (evening) VXLAN cycles".)
struct VxlanOuter {
    uint8_t hdr[kVxlanOuterLen];
    // The IPv4 header's 16-bit words summed and folded (rte_raw_cksum's), its total length and
    // checksum 0: at most 0xffff, so that adding a length (at most 0xffff) needs one fold only.
    uint16_t ip_sum = 0;
};

void vxlan_outer_init(VxlanOuter &o, const VxlanTarget &to, const VxlanView &vx) noexcept;

// Writes the outer headers at `hdr` for an inner frame of `inner_len` bytes.
inline void vxlan_outer_write(uint8_t *hdr, const VxlanOuter &o, uint32_t inner_len, uint16_t sport) noexcept {
    // GCC's byte swaps, not DPDK's rte_cpu_to_be_16 (inline assembly, an xchg of two byte
    // registers GCC can neither fold nor turn into a rotate or a swapping store). The length,
    // which the checksum adds too, as a 32-bit swap: as a 16-bit one, GCC swapped it through
    // the stack (a store and a movbe load back).
    const uint16_t ip_len = static_cast<uint16_t>(__builtin_bswap32(inner_len + kVxlanOuterLen - 14) >> 16);
    // In the words' memory order, as the checksum is stored. Both terms are at most 0xffff, so
    // the sum is at most 0x1fffe and one fold is exact: a carry (sum >> 16 == 1) leaves at most
    // 0xfffe below it, and 0xfffe + 1 does not carry again. (Read before the copy: the stores
    // to `hdr` may alias `o` as far as the compiler knows.)
    uint32_t sum = uint32_t{o.ip_sum} + ip_len;
    sum = (sum & 0xffff) + (sum >> 16);
    const uint16_t csum = static_cast<uint16_t>(~sum);
    const uint16_t sp = __builtin_bswap16(sport), udp_len = __builtin_bswap16(static_cast<uint16_t>(inner_len + 16));
    // Two overlapping 32-byte moves (bytes 0-31 and 18-49): half the instructions of 16-byte
    // moves and a 2-byte tail.
    static_assert(kVxlanOuterLen > 32 && kVxlanOuterLen <= 64);
#ifdef __AVX__   // (memcpy of 32 bytes is two 16-byte moves under GCC's tuning for AMD's Zen)
    const __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(o.hdr));
    const __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(o.hdr + kVxlanOuterLen - 32));
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(hdr), a);
    _mm256_storeu_si256(reinterpret_cast<__m256i *>(hdr + kVxlanOuterLen - 32), b);
#else
    std::memcpy(hdr, o.hdr, 32);
    std::memcpy(hdr + kVxlanOuterLen - 32, o.hdr + kVxlanOuterLen - 32, 32);
#endif
    std::memcpy(hdr + 14 + 2, &ip_len, 2);
    std::memcpy(hdr + 14 + 10, &csum, 2);
    std::memcpy(hdr + 34, &sp, 2);
    std::memcpy(hdr + 34 + 4, &udp_len, 2);
}

// `m` is the inner frame; `tagged`: it carries an 802.1Q tag after its MACs (as every frame
// staged for a VTEP's trunk slot does), which encapsulation removes. Returns the frame to send on
// the underlay (m, or a header segment owning m's reference), or null with `drop` set and m
// still the caller's to free.
rte_mbuf *vxlan_encap(rte_mbuf *m, bool tagged, const VxlanOuter &outer, const VxlanView &vx, DropReason &drop) noexcept;

// The outer UDP source port for an inner frame: 49152-65535 (RFC 7348), the same for every frame
// of a flow (MACs, IPv4 addresses and TCP/UDP ports). `ethertype_off` is where the inner
// ethertype is (12, or 16 after a tag).
uint16_t vxlan_source_port(const rte_mbuf *m, uint32_t ethertype_off) noexcept;

// CRC32-C steps as rte_hash_crc_8byte/_4byte compute them, without their per-call test of the
// CPU's instruction set where the build already assumes SSE4.2.
inline uint32_t vxlan_crc8(uint64_t v, uint32_t h) noexcept {
#ifdef __SSE4_2__
    return static_cast<uint32_t>(_mm_crc32_u64(h, v));
#else
    return rte_hash_crc_8byte(v, h);
#endif
}
inline uint32_t vxlan_crc4(uint32_t v, uint32_t h) noexcept {
#ifdef __SSE4_2__
    return _mm_crc32_u32(h, v);
#else
    return rte_hash_crc_4byte(v, h);
#endif
}

// The flow hash both ways below compute: a CRC-32C of the MACs (`macs`: bytes 0-7, `src_tail`:
// bytes 8-11), of the IPv4 addresses (`ip`: an IPv4 header without options) and of the source
// MAC's tail with the TCP/UDP ports beside it (`l4`: the 4 bytes after the IPv4 header, 0 for
// other protocols and for fragments), in three 8-byte steps (not four of 8 and 4 bytes). A CRC
// is linear: frames that differ in a few bits of these fields, as the hosts and ports of one
// subnet do, get different ports, not a random draw's collisions. Its halves are folded before
// the port's 14 bits are taken: its low 14 bits alone gave 1024 flows whose MACs and addresses
// all count up together (gen_pcap.py's p1024) 513 ports, half of them shared by two flows.
inline uint16_t vxlan_flow_port(uint64_t macs, uint32_t src_tail, bool ip, uint64_t addrs, uint32_t l4) noexcept {
    uint32_t h = vxlan_crc8(macs, 0x9e3779b9);
    const uint32_t ha = vxlan_crc8(addrs, h);   // made either way, then selected: no branch
    h = ip ? ha : h;
    h = vxlan_crc8(src_tail | (uint64_t{l4} << 32), h);
    return static_cast<uint16_t>(0xc000 | ((h ^ (h >> 16)) & 0x3fff));
}

// Whether the IPv4 header at `ip` (without options) is followed by TCP or UDP ports: not a
// fragment after the first, nor the first of several (its ports would be other fragments'
// too, but their own frames have none).
inline bool vxlan_has_ports(const uint8_t *ip) noexcept {
    return (ip[9] == IPPROTO_TCP || ip[9] == IPPROTO_UDP) && (ip[6] & 0x3f) == 0 && ip[7] == 0;
}

// The same port for an untagged frame, read straight from its first segment when that holds
// the MACs, an IPv4 header without options and the ports (vxlan_source_port's reads into a
// buffer and its calls were a tenth of encapsulation's cycles: BENCHMARKS.md, "2026-12-06 late
// evening"). The same hash of the same bytes: a flow keeps its port whichever way it goes.
// vxlan_has_ports' test here is one masked word, without branches (the unit tests compare the
// two ways' ports).
// `data_len` is m's, as the caller loaded it (encap_pending_now reads it with pkt_len as one word).
inline uint16_t vxlan_source_port_untagged(const rte_mbuf *m, uint32_t data_len) noexcept {
    constexpr uint32_t kPortsEnd = 14 + 20 + 4;
    if (data_len < kPortsEnd) [[unlikely]]
        return vxlan_source_port(m, 12);
    const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
    uint64_t macs, addrs;
    uint32_t src_tail, et_ver, frag_proto, l4;
    std::memcpy(&macs, p, 8);
    std::memcpy(&src_tail, p + 8, 4);
    std::memcpy(&et_ver, p + 12, 4);
    std::memcpy(&frag_proto, p + 14 + 6, 4);   // IPv4 bytes 6-9: flags and offset, TTL, protocol
    std::memcpy(&addrs, p + 14 + 12, 8);
    std::memcpy(&l4, p + 14 + 20, 4);
    const bool ip = (et_ver & 0xffffff) == 0x450008;   // bytes 08 00 45: IPv4, no options
    // Byte 6's MF flag and offset bits, byte 7, the protocol (the TTL left out): 0 and 0 and TCP or UDP.
    const uint32_t fp = frag_proto & 0xff00ff3f;
    const uint32_t ports = ip & ((fp == uint32_t{IPPROTO_TCP} << 24) | (fp == uint32_t{IPPROTO_UDP} << 24));
    return vxlan_flow_port(macs, src_tail, ip, addrs, l4 & -ports);
}
inline uint16_t vxlan_source_port_untagged(const rte_mbuf *m) noexcept {
    return vxlan_source_port_untagged(m, m->data_len);
}

}  // namespace dsw

namespace dsw {

// For an underlay that takes UDP-tunnel GSO (kCapUdpTunnelTso): `m`, asking for its inner
// checksum or TSO/USO, encapsulated whole with those requests kept, in DPDK's tunnel form
// (RTE_MBUF_F_TX_TUNNEL_VXLAN | TX_OUTER_IPV4, outer_l2_len/outer_l3_len the outer Ethernet and
// IPv4 headers, l2_len the outer UDP and VXLAN headers and the inner Ethernet header, the inner
// l3_len/l4_len as they were), the outer IPv4 length and checksum those of the whole packet and
// the outer UDP checksum 0: the kernel segments it, each segment fitting the underlay's MTU.
// Returns the frame to send, or null and m untouched but for its tag: `drop` is a reason to
// count, or DropReason::count when m cannot go whole (shared, its headers not in its first
// segment, an outer packet past 65535 bytes, segments too long for the underlay, already a
// tunnel's) and must be done in software as for any underlay.
rte_mbuf *vxlan_encap_offloaded(rte_mbuf *m, bool tagged, const VxlanOuter &outer, const VxlanView &vx,
                                DropReason &drop) noexcept;

}  // namespace dsw
