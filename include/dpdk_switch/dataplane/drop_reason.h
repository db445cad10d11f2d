// Every reason the data plane drops a frame, as one enum with its names generated from the same
// list. A drop nobody can see is a bug: each one is counted per port and shown by
// `show port stats` and `show switch stats`; port_gone, whose port is no more, by the second only
// (LcoreCounters::port_gone).
#pragma once

#include <cstdint>

namespace dsw {

// storm_broadcast, storm_multicast and storm_unknown_unicast follow each other in FloodKind
// order: the worker adds the kind to the first.

#define DSW_DROP_REASONS(X)                                                                       \
    X(runt)                  /* shorter than an Ethernet header */                               \
    X(truncated_vlan)        /* 802.1Q ethertype but no room for the tag */                      \
    X(double_tagged)         /* a second 802.1Q/802.1ad tag: QinQ is not switched */            \
    X(oversize)              /* longer than the largest frame a port carries */                  \
    X(arp_truncated)         /* ARP ethertype but no room for an IPv4-over-Ethernet ARP body */  \
    X(arp_malformed)         /* ARP not Eth/IPv4, or a group/zero sender MAC */                  \
    X(nd_truncated)          /* IPv6 NS/NA whose payload length runs past the frame */           \
    X(nd_malformed)          /* NS/NA: nonzero code, bad option length, group/zero link address */ \
    X(src_mac_multicast)     /* a group address as source: never valid, never learned */         \
    X(src_mac_zero)          /* 00:00:00:00:00:00 as source */                                   \
    X(vlan_not_allowed)      /* tagged frame on an access port, or a VLAN the trunk lacks */     \
    X(hairpin)               /* destination is behind the ingress port: not sent back */         \
    X(no_flood_target)       /* broadcast/unknown with no other port in the domain */            \
    X(tx_full)               /* the egress PMD did not take it */                                \
    X(tx_refused)            /* the egress port's kernel refused it outright (EINVAL, EMSGSIZE) */ \
    X(ring_full)             /* the hand-off ring to the egress port's worker was full */        \
    X(port_gone)             /* egress port removed while the frame was in flight */            \
    X(port_down)             /* egress port's kernel interface is gone (veth or netns deleted) */ \
    X(no_mbufs)              /* the pool was empty when a VLAN tag had to be added or removed */ \
    X(storm_broadcast)       /* over the port's storm-control broadcast rate */                 \
    X(storm_multicast)       /* over its multicast rate */                                       \
    X(storm_unknown_unicast) /* over its unknown-unicast (flooded) rate */                     \
    X(offload_bad_headers)   /* offload asked for, but the IP/TCP/UDP headers are cut short or lie */ \
    X(offload_bad_csum)      /* csum_start/offset past the frame, or not the L4 checksum field */ \
    X(offload_bad_gso)       /* gso_size 0, unknown GSO type bits, type not the frame's, hdr_len past it */ \
    X(offload_gso_mtu)       /* UDP GSO segment larger than the egress MTU: datagrams are not cut smaller */ \
    X(offload_bad_tunnel)    /* a vtap's UDP-tunnel GSO header: tunnel offsets, types or flags that lie */ \
    X(offload_unsupported)   /* headers the switch does not walk: IPv6 extensions, fragments, UFO */ \
    X(offload_no_mbufs)      /* the pool ran dry (or out of room) completing a checksum or segmenting */ \
    X(vxlan_bad_flags)       /* VXLAN header without the I (valid VNI) flag */                   \
    X(vxlan_short)           /* VXLAN to us cut short: IPv4/UDP/VXLAN/inner Ethernet, or an IP fragment */ \
    X(vxlan_unknown_vni)     /* a VNI no VLAN is mapped to */                                    \
    X(vxlan_unknown_vtep)    /* from a VTEP nobody listed (learn_vteps false, or not learned yet) */ \
    X(vxlan_bad_port)        /* UDP to our VTEP address on another port than vxlan.udp_port */   \
    X(vxlan_not_to_us)       /* underlay frame that is not UDP/ARP to our VTEP address */        \
    X(vxlan_mtu)             /* encapsulated, it would exceed the underlay's MTU */              \
    X(vxlan_unresolved)      /* the remote VTEP's MAC is not known (yet) on the underlay */

enum class DropReason : uint8_t {
#define DSW_X(name) name,
    DSW_DROP_REASONS(DSW_X)
#undef DSW_X
    count
};

inline constexpr unsigned kDropReasons = static_cast<unsigned>(DropReason::count);

inline constexpr const char *kDropReasonNames[kDropReasons] = {
#define DSW_X(name) #name,
    DSW_DROP_REASONS(DSW_X)
#undef DSW_X
};

inline const char *drop_reason_name(DropReason r) { return kDropReasonNames[static_cast<unsigned>(r)]; }

}  // namespace dsw
