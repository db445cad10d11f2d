// The overlay the switch-level VXLAN unit tests run: our VTEP kLocal on underlay port "u", host
// B's VTEP kVtepB, VLAN 10 <-> VNI 1010; B's frames to us built byte by byte (offload_frames.h).
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <cstring>

#include "dpdk_switch/control/config.h"
#include "offload_frames.h"

namespace dsw::test {

inline constexpr uint32_t kVni = 1010;
inline constexpr const char *kLocal = "192.168.9.1";
inline constexpr const char *kVtepB = "192.168.9.2";
inline constexpr size_t kOuter = 50;   // Ethernet, IPv4, UDP, VXLAN

inline void put_ip(Bytes &f, size_t at, const char *ip) {
    in_addr a{};
    inet_pton(AF_INET, ip, &a);
    std::memcpy(&f[at], &a, 4);
}

// Ethernet/IPv4/UDP/VXLAN around `inner` from B to dst_ip, as B's kernel sends it: the outer
// IPv4 checksum right, UDP's 0.
inline Bytes vxlan_around(const Bytes &inner, const char *dst_ip = kLocal) {
    Bytes f = hex("02aa0000000102bb00000002" "0800" "4500000000004000401100000000000000000000");
    put_ip(f, 26, kVtepB);
    put_ip(f, 30, dst_ip);
    put16(f, 16, static_cast<uint16_t>(36 + inner.size()));
    put16(f, 24, static_cast<uint16_t>(~fold(sum16(&f[14], 20))));
    const Bytes udp_vxlan = hex("c0010000" "00000000" "08000000" "0003f200");   // VNI 1010 = 0x3f2
    f.insert(f.end(), udp_vxlan.begin(), udp_vxlan.end());
    put16(f, 36, 4789);
    put16(f, 38, static_cast<uint16_t>(16 + inner.size()));
    f.insert(f.end(), inner.begin(), inner.end());
    return f;
}

// The switch's side of it: VTEP kLocal over port "u", VLAN 10 <-> VNI 1010 flooded to B.
inline VxlanConfig vxlan_to_b() {
    VxlanConfig v;
    v.enabled = true;
    v.local_ip = kLocal;
    v.underlay = "u";
    v.vni_map = {{10, kVni, {kVtepB}}};
    return v;
}

}  // namespace dsw::test
