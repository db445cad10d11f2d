// Health: housekeeping's once-a-second work (MAC aging, the learning refusals, mbuf shortage and
// RX ring overruns logged as episodes) and the watch on links and kernel interfaces.
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"

#include <net/if.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dpdk_switch/log.h"

namespace dsw {

void Switch::housekeeping() {
    vxlan_housekeeping();
    watch_interfaces();
    report_learn_refusals();
    report_mbuf_shortage();
    report_ring_overruns();
    if (aging_s_ != 0) macs_->age(aging_s_);
    // A learned binding lives as long as its MAC: once the MAC ages out (or is flushed), the
    // switch no longer vouches for the address.
    if (arp_)
        arp_->remove_if(
            [](const ArpRecord &r, const void *ctx) {
                const auto *macs = static_cast<const MacTable *>(ctx);
                return !r.binding.is_static && !macs->find_record(make_mac_key(r.binding.mac, r.vlan));
            },
            macs_.get());
}

void Switch::report_learn_refusals() {
    const SwitchTotals t = switch_totals();
    LearnRefusals now;
    now.table_full = t.learn_table_full;
    now.port_limit = t.learn_port_limit;
    now.entries = macs_->size();
    now.capacity = macs_->capacity();
    for (const auto &sp : ports_) {
        if (!sp) continue;
        const unsigned limit = sp->eth->config().mac_limit;
        const unsigned held = macs_->port_size(static_cast<uint16_t>(sp->index));
        if (limit != 0 && held >= limit)
            now.ports_at_limit.push_back(sp->eth->config().name + " (" + std::to_string(held) + "/" + std::to_string(limit) + ")");
    }
    for (const auto &line : learn_watch_.tick(rte_get_tsc_cycles() / rte_get_tsc_hz(), now))
        DSW_LOG(WARNING, table, "%s", line.c_str());
}

// Frames lost for want of mbufs: the switch's own no_mbufs drops (tagging, proxy replies) and
// the PMDs' rx_nombuf (RX found the pool empty).
void Switch::report_mbuf_shortage() {
    uint64_t ours = 0, pmd = 0;
    for (const auto &sp : ports_) {
        if (!sp) continue;
        ours += raw_port_totals(sp->index).drops[static_cast<unsigned>(DropReason::no_mbufs)];
        rte_eth_stats st{};
        if (sp->eth->stats(st) == 0) pmd += st.rx_nombuf;
    }
    const EpisodeLog::Step step = mbuf_episode_.tick(rte_get_tsc_cycles() / rte_get_tsc_hz(), ours + pmd);
    const std::string pool = std::to_string(rte_mempool_avail_count(pool_.get())) + " of " + std::to_string(pool_mbufs());
    switch (step.event) {
    case EpisodeLog::Event::none: break;
    case EpisodeLog::Event::started:
    case EpisodeLog::Event::summary:
        DSW_LOG(WARNING, main, "mbuf pool short: frames are being lost for want of mbufs (in the last %lu s; so far: "
                "switch no_mbufs %lu, PMD rx_nombuf %lu); the pool has %s free. Give switch.mbufs more",
                static_cast<unsigned long>(step.secs), static_cast<unsigned long>(ours), static_cast<unsigned long>(pmd),
                pool.c_str());
        break;
    case EpisodeLog::Event::ended:
        DSW_LOG(WARNING, main, "mbuf pool shortage over: %lu frames lost for want of mbufs in all; the pool has %s free",
                static_cast<unsigned long>(step.episode_total), pool.c_str());
        break;
    }
}

// Frames dropped at a full RX ring, which no worker read in time: the PMD's imissed, and the
// frames the kernel dropped at an af_packet or af_xdp socket's full ring, which the PMDs count
// nowhere (`show port stats` has both per port).
void Switch::report_ring_overruns() {
    std::string by_port;
    for (const auto &sp : ports_) {
        if (!sp || !sp->eth) continue;
        rte_eth_stats st{};
        const uint64_t d = sp->eth->ring_drops().value_or(0) +
                           (sp->eth->stats(st) == 0 ? st.imissed : 0);
        if (d == 0) continue;
        if (d > sp->ring_drops_seen) ring_drops_total_ += d - sp->ring_drops_seen;
        sp->ring_drops_seen = d;
        by_port += (by_port.empty() ? "" : ", ") + sp->eth->config().name + " " + std::to_string(d);
    }
    const EpisodeLog::Step step = ring_episode_.tick(rte_get_tsc_cycles() / rte_get_tsc_hz(), ring_drops_total_);
    switch (step.event) {
    case EpisodeLog::Event::none: break;
    case EpisodeLog::Event::started:
    case EpisodeLog::Event::summary:
        DSW_LOG(WARNING, main, "RX ring full: frames are being dropped that no worker read in time (in the last %lu s; "
                "so far: %s; imissed + rx_ring_full in show port stats). The workers are short of CPU (show lcores)",
                static_cast<unsigned long>(step.secs), by_port.c_str());
        break;
    case EpisodeLog::Event::ended:
        DSW_LOG(WARNING, main, "RX ring overruns over: %lu frames dropped in all",
                static_cast<unsigned long>(step.episode_total));
        break;
    }
}

// A link that goes down or comes back is said once (a vhost or memif peer leaving or
// returning, a veth peer going down). A port whose offloads are its peer's to say (a vhost
// guest's negotiated features) gets them into the workers' view here: until then, within a
// second of the peer's arrival, the worker does in software what the view does not grant.
void Switch::watch_links() {
    bool caps_changed = false;
    for (const auto &sp : ports_) {
        if (!sp) continue;
        if (view_ != nullptr) {
            const uint8_t caps = sp->eth->offload_caps();
            if (caps != view_->ports[sp->index].offload_caps) {
                caps_changed = true;
                DSW_LOG(INFO, port, "port %s: TX offloads now%s%s%s", sp->eth->config().name.c_str(),
                        caps & kCapCsum ? " csum" : "", caps & kCapTso ? " tso" : "",
                        caps & kCapTx ? "" : " none (done in software)");
            }
        }
        rte_eth_link link{};
        if (sp->eth->link(link) != 0) continue;
        const int8_t up = link.link_status == RTE_ETH_LINK_UP ? 1 : 0;
        int8_t &was = link_up_[sp->index];
        if (was == up) continue;
        const bool first = was < 0;
        was = up;
        if (first) continue;   // a new port: its state is news only when it changes
        const PortConfig &pc = sp->eth->config();
        const bool peer = port_kind(pc.type).peer;
        if (up)
            DSW_LOG(INFO, port, "port %s: link up%s", pc.name.c_str(), peer ? " (peer connected)" : "");
        else
            DSW_LOG(WARNING, port, "port %s: link down%s", pc.name.c_str(),
                    peer ? " (peer gone: frames to it are dropped until it comes back)" : "");
    }
    if (caps_changed) publish_view();
}

void Switch::watch_interfaces() {
    bool changed = false;
    for (auto &sp : ports_) {
        if (!sp) continue;
        const PortConfig &pc = sp->eth->config();
        if (!port_kind(pc.type).iface_outlives_port) continue;
        const bool gone = if_nametoindex(pc.iface.c_str()) == 0;
        if (gone == sp->iface_gone) continue;
        sp->iface_gone = gone;
        changed = true;
        if (gone)
            DSW_LOG(WARNING, port, "port %s: interface %s is gone (veth or namespace deleted): frames to it are "
                    "dropped as port_down; `port del %s` removes the port", pc.name.c_str(), pc.iface.c_str(), pc.name.c_str());
        else
            DSW_LOG(INFO, port, "port %s: interface %s is back", pc.name.c_str(), pc.iface.c_str());
    }
    if (changed) publish_view();
}

}  // namespace dsw
