// The VTEP's control-plane state: the config's VNI map, the remote VTEPs (each on a switch port
// index of its own, with the VNIs it floods for), the neighbour MACs the workers fill in, and the
// ring on which they report unknown VTEPs. Owned by Switch, on the main lcore only; the workers
// see it through the DataplaneView it fills (fill_view) and VtepNeighbours.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/tables/vtep_neighbours.h"

namespace dsw {

// How a remote VTEP came to be, the most configured first: a remote of the config's vni_map or
// of `vxlan vtep add`; named by a static MAC behind it only (`static_macs:` with `vtep:`, or a
// learned VTEP given one by `mac add <MAC> vtep <IP>`): configured too, as OVS's tunnel port or
// VPP's tunnel a static l2fib entry points at, so it is there whatever learn_vteps says, and comes
// back with its MAC rather than as a remote; added by learn_vteps. Named again in a more
// configured way, a VTEP takes that origin.
enum class VtepOrigin : uint8_t { listed, static_mac, learned };
const char *vtep_origin_name(VtepOrigin o);

struct VtepState {
    uint32_t ip = 0;               // host order
    unsigned index = 0;            // its switch port index
    std::set<uint32_t> vnis;       // the VNIs it takes floods for (head-end replication)
    VtepOrigin origin = VtepOrigin::listed;
    bool via_gateway = false;      // off the underlay's link: its neighbour entry is the gateway's
    uint32_t arp_sent_s = 0;       // when the last ARP request for it left (MacTable::now_s)
    bool arp_sent = false;
};

struct VxlanState {
    VxlanConfig cfg;
    uint32_t local_ip = 0;         // host order
    uint32_t gateway = 0;          // host order; 0: none
    unsigned underlay = 0;         // port index
    uint64_t local_mac = 0;        // mac_key.h form
    uint16_t mtu = 1500;           // the underlay's
    std::map<uint16_t, uint32_t> vni_of_vlan;
    std::map<uint32_t, VtepState> vteps;   // by IP
    std::set<uint32_t> refused;            // VTEPs learn_vteps could not add (logged once each)
    std::unique_ptr<VtepNeighbours> neigh = std::make_unique<VtepNeighbours>();
    RingPtr learn_ring;

    std::optional<uint16_t> vlan_of(uint32_t vni) const;
    bool on_link(uint32_t ip) const { return vxlan_on_link(local_ip, cfg.prefix_len, ip); }
    // The address whose ARP gives the VTEP's underlay MAC: its own, or the gateway's.
    uint32_t next_hop(const VtepState &t) const { return t.via_gateway ? gateway : t.ip; }
    const VtepState *vtep_at(unsigned index) const;
    // Makes the view's underlay port and remote VTEPs what this state says (after build_view
    // made the local ports' part).
    void fill_view(DataplaneView &v) const;
};

// An ARP request for `target_ip` from our VTEP, ready for the underlay (null: the pool is empty).
struct rte_mbuf *vxlan_arp_request(struct rte_mempool *pool, const VxlanState &vx, uint32_t target_ip);

}  // namespace dsw
