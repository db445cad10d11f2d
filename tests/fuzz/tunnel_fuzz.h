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

// The fuzzer's VTEP (tunnel_fuzz.cc): what a seed must say to be decapsulated, and whose ARP
// resolves a remote VTEP: the one on the underlay's link by its own ARP, the two off the link
// by their gateway's.
inline constexpr uint8_t kFuzzLocalIp[4] = {192, 168, 0, 1};
inline constexpr uint8_t kFuzzVtepIp[4] = {192, 168, 0, 2};      // on the link, port index 3
inline constexpr uint8_t kFuzzFarVtepIp[4] = {10, 9, 0, 2};      // behind the gateway, port index 4
inline constexpr uint8_t kFuzzFarVtep2Ip[4] = {10, 9, 0, 3};     // behind the gateway, port index 5
inline constexpr uint8_t kFuzzGatewayIp[4] = {192, 168, 0, 254};
inline constexpr uint16_t kFuzzVxlanPort = 4789;
// VNI 100 is VLAN 10, VNI 200 VLAN 20.

void run_tunnel(World &w, const TunnelRecord &r, const Frame &f, bool trace);
// Forgets the VTEPs' underlay MACs (every input starts from none) and restarts the clock.
void reset_tunnel();

}  // namespace dsw::fuzz
