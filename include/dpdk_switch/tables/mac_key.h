// MacKey: (vlan, MAC) packed in one 64-bit word, the MAC table's key. The MAC's six bytes sit
// in the low 48 bits in wire order (little-endian load), the VLAN id in the top 16.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace dsw {

using MacKey = uint64_t;
inline constexpr uint64_t kMacMask = 0x0000ffffffffffffULL;

inline MacKey make_mac_key(uint64_t mac48, uint16_t vlan) { return (mac48 & kMacMask) | (uint64_t{vlan} << 48); }
inline uint64_t key_mac(MacKey k) { return k & kMacMask; }
inline uint16_t key_vlan(MacKey k) { return static_cast<uint16_t>(k >> 48); }
// The group bit is the lowest bit of the first byte on the wire.
inline bool mac_is_multicast(uint64_t mac48) { return (mac48 & 1) != 0; }

inline uint64_t mac_from_bytes(const uint8_t *b) {
    uint64_t v = 0;
    std::memcpy(&v, b, 6);
    return v;
}
inline void mac_to_bytes(uint64_t mac48, uint8_t *out) { std::memcpy(out, &mac48, 6); }

// The one MAC formatter and parser (tables/addr_text.cc, on DPDK's): "xx:xx:xx:xx:xx:xx", lower
// case out, either case in; nothing else parses (no xxxx:xxxx:xxxx, no '-', no spaces).
std::string mac_to_string(uint64_t mac48);
std::optional<uint64_t> mac_from_string(const std::string &s);

}  // namespace dsw
