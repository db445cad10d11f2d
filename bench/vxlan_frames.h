// The frames of the VXLAN benches (vxlan_path_bench.cc, vxlan_floor_bench.cc): 1024 host pairs
// L_i (local) and R_i (remote, behind VTEP i % 4), 60-byte Eth/IPv4/UDP frames between them, and
// the same frames as a remote VTEP sends them. One definition, so that the floor rows time the
// same bytes as the worker's rows.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "dpdk_switch/dataplane/vxlan_view.h"
#include "dpdk_switch/tables/mac_key.h"

namespace dsw::bench {

inline constexpr uint16_t kVlan = 10;
inline constexpr uint32_t kVni = 1010;
inline constexpr unsigned kPairs = 1024;   // L_i and R_i: 2048 MACs
inline constexpr unsigned kVteps = 4;
inline constexpr uint32_t kLocalIp = 0xc0a80901;   // 192.168.9.1; VTEP k is 192.168.9.(2 + k)
inline constexpr uint64_t kLocalMac = 0x010000bb0002ULL;   // 02:00:bb:00:00:01 in mac_key.h's order

inline uint64_t host_mac(unsigned i, bool remote) {
    const uint8_t b[6] = {0x02, 0, static_cast<uint8_t>(remote), 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)};
    return mac_from_bytes(b);
}
inline uint64_t vtep_mac(unsigned k) {
    const uint8_t b[6] = {0x02, 0xcc, 0, 0, 0, static_cast<uint8_t>(k)};
    return mac_from_bytes(b);
}
inline uint32_t vtep_ip(unsigned k) { return kLocalIp + 1 + k; }

inline void put16(uint8_t *p, uint16_t v) {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t *p, uint32_t v) {
    put16(p, static_cast<uint16_t>(v >> 16));
    put16(p + 2, static_cast<uint16_t>(v));
}

// A 60-byte Eth/IPv4/UDP frame of pair i (as scripts/gen_pcap.py's p1024), L_i -> R_i or back.
inline std::vector<uint8_t> inner_frame(unsigned i, bool to_remote) {
    std::vector<uint8_t> f(60, 0);
    mac_to_bytes(host_mac(i, to_remote), f.data());
    mac_to_bytes(host_mac(i, !to_remote), f.data() + 6);
    put16(&f[12], 0x0800);
    uint8_t *ip = &f[14];
    ip[0] = 0x45;
    put16(ip + 2, 46);
    ip[8] = 64;
    ip[9] = 17;
    const uint32_t l = 0x0a000000 | (i & 0xffff), r = 0x0a010000 | (i & 0xffff);
    put32(ip + 12, to_remote ? l : r);
    put32(ip + 16, to_remote ? r : l);
    put16(ip + 20, 1024);
    put16(ip + 22, 1024);
    put16(ip + 24, 26);
    return f;
}

// `inner` as VTEP k sends it to us (RFC 7348's layout; the switch checks no outer checksum).
inline std::vector<uint8_t> encapsulated(const std::vector<uint8_t> &inner, unsigned k, uint16_t sport) {
    // Sized whole at once (not the inner frame inserted after: GCC 12 warns of a false -Warray-bounds).
    std::vector<uint8_t> f(kVxlanOuterLen + inner.size(), 0);
    mac_to_bytes(kLocalMac, f.data());
    mac_to_bytes(vtep_mac(k), f.data() + 6);
    put16(&f[12], 0x0800);
    f[14] = 0x45;
    put16(&f[16], static_cast<uint16_t>(36 + inner.size()));
    put16(&f[20], 0x4000);
    f[22] = 64;
    f[23] = 17;
    put32(&f[26], vtep_ip(k));
    put32(&f[30], kLocalIp);
    put16(&f[34], sport);
    put16(&f[36], 4789);
    put16(&f[38], static_cast<uint16_t>(16 + inner.size()));
    f[42] = kVxlanFlagI;
    put32(&f[46], kVni << 8);
    std::copy(inner.begin(), inner.end(), f.begin() + kVxlanOuterLen);
    return f;
}

}  // namespace dsw::bench
