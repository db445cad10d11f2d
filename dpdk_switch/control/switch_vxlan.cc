// The switch as a VTEP, on the control plane: the underlay and the config's remote VTEPs at
// start, VTEPs added and deleted at run time (CLI, learn_vteps), and the underlay neighbours: an
// ARP request for each remote VTEP's next hop (the VTEP on the underlay's link, else the
// gateway) until the workers see its answer, again before the binding grows old, and the
// binding dropped when nobody answers (frames then counted vxlan_unresolved, never sent to a MAC
// that may have moved). A VTEP behind the gateway is one more user of the gateway's binding: the
// workers write the gateway's MAC into the entry of each VTEP whose next hop it is.
#include <set>

#include <rte_cycles.h>
#include <rte_ring.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/tables/arp_table.h"

namespace dsw {

namespace {
constexpr uint32_t kRefreshS = 30;   // a binding this old is asked for again
constexpr uint32_t kExpireS = 60;    // and one this old, unanswered, is dropped
constexpr unsigned kLearnRing = 256;
constexpr unsigned kLearnPerTurn = 32;

// A MAC for an underlay port that has none of its own (an own-I/O port): locally administered,
// from the VTEP address, the same at every start.
uint64_t mac_for(uint32_t ip) {
    const uint8_t b[6] = {0x02, 0xd5, static_cast<uint8_t>(ip >> 24), static_cast<uint8_t>(ip >> 16),
                          static_cast<uint8_t>(ip >> 8), static_cast<uint8_t>(ip)};
    return mac_from_bytes(b);
}
}  // namespace

bool Switch::index_free(unsigned index) const {
    return !ports_[index] && !(vxlan_ && vxlan_->vtep_at(index) != nullptr);
}

Status Switch::start_vxlan() {
    const VxlanConfig &c = cfg_.vxlan;
    auto st = std::make_unique<VxlanState>();
    st->cfg = c;
    st->local_ip = ipv4_from_string(c.local_ip).value_or(0);
    st->gateway = c.gateway.empty() ? 0 : ipv4_from_string(c.gateway).value_or(0);
    const SwitchPort *u = port(c.underlay);
    if (u == nullptr || st->local_ip == 0)
        return fail("internal error: vxlan: not validated: " + c.local_ip + " " + c.underlay);
    st->underlay = u->index;
    rte_ether_addr a{};
    if (u->eth->mac_addr(a) == 0 && !rte_is_zero_ether_addr(&a))
        st->local_mac = mac_from_bytes(a.addr_bytes);
    else
        st->local_mac = mac_for(st->local_ip);
    const uint32_t max_frame = u->eth->max_frame();
    st->mtu = static_cast<uint16_t>(max_frame > kFrameOverhead ? max_frame - kFrameOverhead : 1500);
    auto ring = make_ring("dsw_vxlearn_" + std::to_string(rte_rdtsc() & 0xffffff), kLearnRing,
                          static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (!ring) return ring.error();
    st->learn_ring = std::move(ring.value());
    for (const VniMapping &m : c.vni_map) st->vni_of_vlan[m.vlan] = m.vni;
    vxlan_ = std::move(st);
    for (size_t i = 0; i < c.vni_map.size(); ++i)
        for (const std::string &r : c.vni_map[i].remotes)
            if (auto idx = add_vtep(ipv4_from_string(r).value_or(0), c.vni_map[i].vni); !idx)
                return fail(cfg_.source + ": vxlan.vni_map[" + std::to_string(i) + "].remotes: " + idx.error().message,
                            kExitConfigError);
    DSW_LOG(INFO, main, "VTEP %s on port %s (MAC %s, MTU %u), %zu VNI(s), %zu remote VTEP(s)%s%s", c.local_ip.c_str(),
            c.underlay.c_str(), mac_to_string(vxlan_->local_mac).c_str(), vxlan_->mtu, vxlan_->vni_of_vlan.size(),
            vxlan_->vteps.size(), c.gateway.empty() ? "" : ", gateway ", c.gateway.c_str());
    return Ok{};
}

Result<unsigned> Switch::add_vtep(uint32_t ip, std::optional<uint32_t> vni, VtepOrigin origin) {
    if (!vxlan_) return fail("no VTEP: the config has no vxlan: section");
    const std::string name = ipv4_to_string(ip);
    if (ip == vxlan_->local_ip) return fail(name + " is this switch's own VTEP (vxlan.local_ip)");
    if (auto st = check_vtep_address(ip, vxlan_->local_ip, vxlan_->cfg.prefix_len); !st) return fail(st.error().message);
    if (vni && !vxlan_->vlan_of(*vni)) return fail("VNI " + std::to_string(*vni) + " is not mapped (vxlan.vni_map)");
    auto it = vxlan_->vteps.find(ip);
    const bool fresh = it == vxlan_->vteps.end();
    const bool via_gateway = !vxlan_->on_link(ip);
    if (fresh && via_gateway && vxlan_->gateway == 0)
        return fail("VTEP " + name + " is outside the underlay's link " + ipv4_prefix_text(vxlan_->local_ip, vxlan_->cfg.prefix_len.value_or(32)) +
                    " (vxlan.local_ip) and there is no vxlan.gateway to reach it by");
    if (fresh) {
        // From the top down: the ports take indexes from the bottom up.
        unsigned index = kMaxPorts;
        for (unsigned i = kMaxPorts; i-- > 0;)
            if (index_free(i)) {
                index = i;
                break;
            }
        if (index == kMaxPorts)
            return fail("VTEP " + name + ": the switch has " + std::to_string(kMaxPorts) +
                        " ports (remote VTEPs included) already");
        VtepState t;
        t.ip = ip;
        t.index = index;
        t.origin = origin;
        t.via_gateway = via_gateway;
        VtepNeighbour &n = vxlan_->neigh->by_port[index];
        n.mac.store(0, std::memory_order_relaxed);
        n.seen_s.store(0, std::memory_order_relaxed);
        // Behind a gateway already resolved for another VTEP: its binding, at once.
        if (via_gateway)
            for (const auto &[other_ip, o] : vxlan_->vteps) {
                const VtepNeighbour &g = vxlan_->neigh->by_port[o.index];
                if (!o.via_gateway || !(g.mac.load(std::memory_order_relaxed) & VtepNeighbour::kResolved)) continue;
                n.seen_s.store(g.seen_s.load(std::memory_order_relaxed), std::memory_order_relaxed);
                n.mac.store(g.mac.load(std::memory_order_relaxed), std::memory_order_relaxed);
                break;
            }
        vtep_baseline_[index] = raw_port_totals(index);
        storm_[index].reset();
        macs_->set_port_limit(static_cast<uint16_t>(index), 0);
        it = vxlan_->vteps.emplace(ip, t).first;
    }
    if (origin < it->second.origin) it->second.origin = origin;   // named by config or CLI: configured from now on
    if (vni)
        it->second.vnis.insert(*vni);
    else
        for (const auto &[vlan, v] : vxlan_->vni_of_vlan) it->second.vnis.insert(v);
    publish_view();
    if (fresh)
        DSW_LOG(INFO, main, "remote VTEP %s%s as port index %u%s", name.c_str(),
                origin == VtepOrigin::learned      ? " learned"
                : origin == VtepOrigin::static_mac ? " added for a static MAC"
                                                   : " added",
                it->second.index, via_gateway ? ", via the gateway" : "");
    return it->second.index;
}

Status Switch::del_vtep(uint32_t ip, std::optional<uint32_t> vni) {
    if (!vxlan_) return fail("no VTEP: the config has no vxlan: section");
    auto it = vxlan_->vteps.find(ip);
    if (it == vxlan_->vteps.end()) return fail("no remote VTEP " + ipv4_to_string(ip));
    if (vni) {
        if (it->second.vnis.erase(*vni) == 0)
            return fail("VTEP " + ipv4_to_string(ip) + " does not flood for VNI " + std::to_string(*vni));
        publish_view();
        return Ok{};
    }
    const unsigned index = it->second.index;
    vxlan_->vteps.erase(it);
    publish_view();   // no worker sends to it or learns behind it from here on
    const unsigned flushed = macs_->flush(static_cast<int>(index), true);
    if (arp_)
        arp_->remove_if(
            [](const ArpRecord &r, const void *ctx) {
                return !r.binding.is_static && r.binding.port == *static_cast<const unsigned *>(ctx);
            },
            &index);
    vxlan_->neigh->by_port[index].mac.store(0, std::memory_order_relaxed);
    DSW_LOG(INFO, main, "remote VTEP %s deleted (%u MAC entries flushed)", ipv4_to_string(ip).c_str(), flushed);
    return Ok{};
}

PortTotals Switch::vtep_totals(unsigned index) const {
    PortTotals t = raw_port_totals(index);
    t -= vtep_baseline_[index];
    return t;
}

void Switch::clear_vtep_stats(unsigned index) {
    if (index < kMaxPorts) vtep_baseline_[index] = raw_port_totals(index);
}

void Switch::poll_vxlan() {
    if (!vxlan_ || !vxlan_->learn_ring) return;
    void *objs[kLearnPerTurn];
    const unsigned n = rte_ring_sc_dequeue_burst(vxlan_->learn_ring.get(), objs, kLearnPerTurn, nullptr);
    for (unsigned i = 0; i < n; ++i) {
        const uint64_t v = reinterpret_cast<uint64_t>(objs[i]);
        const uint32_t ip = rte_be_to_cpu_32(static_cast<uint32_t>(v >> 24));
        const uint32_t vni = static_cast<uint32_t>(v & 0xffffff);
        auto it = vxlan_->vteps.find(ip);
        if (it != vxlan_->vteps.end() && it->second.vnis.count(vni)) continue;   // reported twice
        if (auto idx = add_vtep(ip, vni, VtepOrigin::learned); !idx && vxlan_->refused.insert(ip).second)   // said once
            DSW_LOG(WARNING, main, "VTEP %s (VNI %u) not learned: %s", ipv4_to_string(ip).c_str(), vni,
                    idx.error().message.c_str());
    }
}

void Switch::vxlan_housekeeping() {
    if (!vxlan_) return;
    const uint32_t now = macs_->now_s();
    rte_ring *ring = ports_[vxlan_->underlay] ? ports_[vxlan_->underlay]->ring.get() : nullptr;
    std::set<uint32_t> asked;   // next hops asked for this turn: the gateway once for all its VTEPs
    for (auto &[ip, t] : vxlan_->vteps) {
        VtepNeighbour &n = vxlan_->neigh->by_port[t.index];
        bool resolved = n.mac.load(std::memory_order_relaxed) & VtepNeighbour::kResolved;
        const uint32_t age = now - n.seen_s.load(std::memory_order_relaxed);
        if (resolved && age > kExpireS) {
            n.mac.store(0, std::memory_order_relaxed);
            resolved = false;
            DSW_LOG(WARNING, main, "remote VTEP %s: no ARP answer from %s for %u s, unresolved",
                    ipv4_to_string(ip).c_str(), t.via_gateway ? "its gateway" : "it", age);
        }
        if (resolved && age < kRefreshS) continue;
        // Unresolved: ask every second; resolved but old: every 5 s until it answers.
        if (t.arp_sent && now - t.arp_sent_s < (resolved ? 5u : 1u)) continue;
        const uint32_t next_hop = vxlan_->next_hop(t);
        if (!asked.insert(next_hop).second) {   // the same request went for another VTEP
            t.arp_sent = true;
            t.arp_sent_s = now;
            continue;
        }
        rte_mbuf *m = vxlan_arp_request(pool_.get(), *vxlan_, next_hop);
        if (m == nullptr) continue;
        // The underlay's owner sends it with its next batch (the ring is multi-producer).
        if (ring == nullptr || rte_ring_mp_enqueue(ring, m) != 0) {
            rte_pktmbuf_free(m);
            continue;
        }
        t.arp_sent = true;
        t.arp_sent_s = now;
    }
}

}  // namespace dsw
