// IPv6 ND proxy: the IPv6 twin of the ARP proxy. Bindings are learned from Neighbor
// Solicitations (source address + source link-layer option) and Advertisements (target +
// target link-layer option); a solicitation for a known binding is answered by the switch with
// the Advertisement the owner would send, and not flooded. Duplicate Address Detection (source
// ::) teaches nothing and is never answered. Only IPv6 frames come here.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/tables/arp_table.h"

namespace dsw {

inline constexpr uint8_t kIcmp6NeighborSolicit = 135;
inline constexpr uint8_t kIcmp6NeighborAdvert = 136;

struct NdFields {
    uint8_t type;           // 135 or 136
    const uint8_t *src;     // IPv6 source (16 bytes, inside the frame)
    const uint8_t *target;  // ND target (16 bytes, inside the frame)
    uint64_t lladdr;        // link-layer address option (source for NS, target for NA), 0 if none
    bool src_unspecified;   // :: (DAD)
};

enum class NdParse : uint8_t { not_nd, ok, truncated, malformed };

// Parses an ICMPv6 NS/NA at l3_off. Anything else IPv6 (other ICMPv6, TCP, extension headers,
// a hop limit other than 255, which RFC 4861 receivers ignore) is `not_nd` and is switched.
NdParse parse_nd(const uint8_t *frame, uint16_t len, uint16_t l3_off, NdFields &out) noexcept;

enum class NdVerdict : uint8_t { forward, reply, drop };

// Learns and decides; on `reply` the mbuf holds the Advertisement (resized as needed);
// on `drop` there was no room to build it (counted by the caller as no_mbufs).
NdVerdict nd_proxy(ArpTable &table, rte_mbuf *m, const NdFields &nd, uint16_t l3_off, uint16_t vlan, uint16_t port,
                   SwitchCounters &c) noexcept;

}  // namespace dsw
