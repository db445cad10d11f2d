// The fuzz target's UDP-tunnel path (control op 7): one frame with a vtap's 24-byte virtio-net
// header (vnet_tunnel_to_mbuf), then either decapsulated as the VTEP's underlay does
// (vxlan_decap, its tunnel-form checksum and segmentation requests carried to the inner frame)
// or switched as it is, and through the egress fallback; checked as frame_fuzzer.cc's header
// comment says.
#pragma once

#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "fuzz_mbufs.h"

namespace dsw::fuzz {

struct TunnelRecord {
    VnetTunnelHdr h;
    uint8_t arg, aux;   // arg bits0-2: the egress port's OffloadCaps, bit3: not decapsulated; aux: MTU
};

// The fuzzer's VTEP (tunnel_fuzz.cc): what a seed must say to be decapsulated.
inline constexpr uint8_t kFuzzLocalIp[4] = {192, 168, 0, 1};
inline constexpr uint8_t kFuzzVtepIp[4] = {192, 168, 0, 2};
inline constexpr uint16_t kFuzzVxlanPort = 4789;
inline constexpr uint16_t kFuzzVtepPortIndex = 3;
// VNI 100 is VLAN 10, VNI 200 VLAN 20.

void run_tunnel(World &w, const TunnelRecord &r, const Frame &f, bool trace);

}  // namespace dsw::fuzz
