// Switch's lifecycle: create (RCU, pool, tables, counters), start (the config's ports, static
// MACs and bindings, the first view, the workers), stop, publishing a view under RCU, and finding
// ports. Hot-plug and the mbuf budget are in switch_hotplug.cc, stats in switch_stats.cc,
// housekeeping's reports in switch_health.cc, capture in switch_capture.cc, the view's contents
// in view_builder.cc.
#include "dpdk_switch/control/switch.h"

#include <algorithm>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/control/mbuf_budget.h"
#include "dpdk_switch/control/view_builder.h"
#include "dpdk_switch/dataplane/switch_path.h"   // kMaxBurst
#include "dpdk_switch/log.h"

namespace dsw {

namespace {
constexpr unsigned kGsoHeaderMbufs = 4095, kGsoIndirectMbufs = 8191;
constexpr uint16_t kGsoHeaderRoom = RTE_MBUF_DEFAULT_DATAROOM;

// A config error found once EAL runs reads as one found before: "<file>: <key path>: <reason>",
// exit code 2.
Error config_error_at(const Config &cfg, const std::string &key, const std::string &reason) {
    return fail(cfg.source + ": " + key + ": " + reason, kExitConfigError);
}

// An error of the config's port i: open_port says "port <name>: [<key>: ]<reason>"; the key path
// ports[i] (and the key, when the reason names one) replaces the name.
Error config_port_error(const Config &cfg, size_t i, const Error &e) {
    const std::string own = "port " + cfg.ports[i].name + ": ";
    std::string reason = e.message.rfind(own, 0) == 0 ? e.message.substr(own.size()) : e.message;
    std::string key = "ports[" + std::to_string(i) + "]";
    for (const char *k : {"devargs", "iface", "path", "socket", "lcore", "type"}) {
        const std::string named = std::string(k) + ": ";
        if (reason.rfind(named, 0) == 0) {
            key += '.';   // (by append: GCC 12 warns falsely on `"." + std::string(k)`, PR 105329)
            key += k;
            reason.erase(0, named.size());
            break;
        }
    }
    return config_error_at(cfg, key, reason);
}

// The pool EAL could not give: how large it was, and how much memory EAL has, so that the user
// knows which of the two to change.
Error pool_error(const Config &cfg, unsigned mbufs) {
    const std::string why = rte_strerror(rte_errno);
    rte_malloc_socket_stats st{};
    std::string heap;
    if (rte_malloc_get_socket_stats(static_cast<int>(rte_socket_id()), &st) == 0)
        heap = std::to_string(st.heap_freesz_bytes >> 20) + " MB free of " +
               std::to_string(st.heap_totalsz_bytes >> 20) + " MB";
    const std::string sized = cfg.sw.mbufs != 0 ? "" : ", sized from the ports";
    return config_error_at(cfg, "switch.mbufs",
                           "cannot allocate a pool of " + std::to_string(mbufs) + " mbufs (about " +
                               std::to_string(mbuf_pool_mb(mbufs)) + " MB" + sized + ") in EAL's memory (" +
                               heap + "; eal.memory_mb or -m gives EAL more): " + why);
}
}  // namespace

void RcuFree::operator()(rte_rcu_qsbr *q) const { rte_free(q); }

SwitchPort::~SwitchPort() {
    // Frames another worker handed to this port but that were never sent.
    if (ring) {
        void *m;
        while (rte_ring_dequeue(ring.get(), &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
    }
}

Result<std::unique_ptr<Switch>> Switch::create(const Config &cfg) {
    std::unique_ptr<Switch> sw(new Switch(cfg));
    unsigned lc;
    RTE_LCORE_FOREACH_WORKER(lc) sw->workers_.push_back(lc);
    if (sw->workers_.empty())
        return fail("no worker lcore: give EAL at least two lcores (e.g. -l 0-1)", kExitConfigError);

    const size_t rcu_size = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
    sw->rcu_.reset(static_cast<rte_rcu_qsbr *>(rte_zmalloc("dsw_rcu", rcu_size, RTE_CACHE_LINE_SIZE)));
    if (!sw->rcu_ || rte_rcu_qsbr_init(sw->rcu_.get(), RTE_MAX_LCORE) != 0) return fail("cannot set up RCU");

    auto pool = make_pktmbuf_pool("dsw_mbufs", pool_size(cfg), static_cast<int>(rte_socket_id()));
    if (!pool) return pool_error(cfg, pool_size(cfg));
    sw->pool_ = std::move(pool.value());
    // A segment's headers, and room enough to copy its payload behind them for a port that
    // sends single mbufs only (kCapTxLinear); a payload reference needs no room. Sized for a few hundred 64 KB segments
    // in flight at once (TX batches, hand-off rings); beyond, a frame is dropped and counted
    // offload_no_mbufs, never waited for.
    auto gso_direct = make_pktmbuf_pool("dsw_gso_hdr", kGsoHeaderMbufs, static_cast<int>(rte_socket_id()),
                                        RTE_PKTMBUF_HEADROOM + kGsoHeaderRoom);
    if (!gso_direct) return fail(gso_direct.error().message);
    auto gso_indirect = make_pktmbuf_pool("dsw_gso_ind", kGsoIndirectMbufs, static_cast<int>(rte_socket_id()), 0);
    if (!gso_indirect) return fail(gso_indirect.error().message);
    sw->gso_direct_ = std::move(gso_direct.value());
    sw->gso_indirect_ = std::move(gso_indirect.value());

    auto macs = MacTable::create("dsw_macs", cfg.sw.mac_table_size, static_cast<int>(rte_socket_id()),
                                 sw->rcu_.get());
    if (!macs) return config_error_at(cfg, "switch.mac_table_size", macs.error().message);
    sw->macs_ = std::move(macs.value());

    if (cfg.sw.arp_proxy) {
        auto arp = ArpTable::create("dsw_arp", cfg.sw.mac_table_size, static_cast<int>(rte_socket_id()), sw->rcu_.get());
        if (!arp) return config_error_at(cfg, "switch.mac_table_size", arp.error().message);
        sw->arp_ = std::move(arp.value());
    }

    sw->counters_ = std::make_unique<LcoreCounters[]>(RTE_MAX_LCORE);
    sw->shared_.macs = sw->macs_.get();
    sw->shared_.arp = sw->arp_.get();
    sw->shared_.rcu = sw->rcu_.get();
    sw->shared_.counters = sw->counters_.get();
    sw->storm_ = std::make_unique<PortStorm[]>(kMaxPorts);
    sw->shared_.storm = sw->storm_.get();
    sw->shared_.gso_direct = sw->gso_direct_.get();
    sw->shared_.gso_indirect = sw->gso_indirect_.get();
    sw->shared_.burst = static_cast<uint16_t>(std::min<unsigned>(cfg.sw.burst, kMaxBurst));
    sw->shared_.idle_sleep_us = cfg.sw.idle_sleep_us;
    sw->shared_.tx_flush_us.store(cfg.sw.tx_flush_us, std::memory_order_relaxed);
    return sw;
}

Switch::~Switch() { stop(); }

Status Switch::start() {
    for (size_t i = 0; i < cfg_.ports.size(); ++i)
        if (auto index = open_port(cfg_.ports[i], false); !index) return config_port_error(cfg_, i, index.error());
    if (cfg_.vxlan.enabled)
        if (auto st = start_vxlan(); !st) return st;
    for (size_t i = 0; i < cfg_.static_macs.size(); ++i) {
        const StaticMac &sm = cfg_.static_macs[i];
        const std::string key = "static_macs[" + std::to_string(i) + "]";
        auto index = static_mac_index(sm);
        auto mac = mac_from_string(sm.mac);
        // load_config has refused an unknown port and a bad MAC; a Config built in code and not
        // loaded may still have them: an internal error, not one of the user's file.
        if (!mac || (!index && sm.vtep.empty()))
            return fail("internal error: " + key + " not validated: " + sm.mac + " " + sm.port);
        if (!index) return config_error_at(cfg_, key + ".vtep", index.error().message);   // no index left
        if (auto st = macs_->add_static(make_mac_key(*mac, sm.vlan), static_cast<uint16_t>(*index)); !st)
            return config_error_at(cfg_, key, st.error().message);
    }
    for (size_t i = 0; i < cfg_.arp.size(); ++i) {
        const StaticArp &sa = cfg_.arp[i];
        const std::string key = "arp[" + std::to_string(i) + "]";
        if (!arp_) break;   // arp_proxy: false: the bindings have nobody to serve
        auto ip = ipv4_from_string(sa.ip);
        auto mac = mac_from_string(sa.mac);
        if (!ip || !mac) return config_error_at(cfg_, key, "bad entry " + sa.ip + " " + sa.mac);
        // The binding lives in its VLAN as written, else in the VLAN where a static MAC puts its
        // owner, else in the default one.
        uint16_t vlan = 0;
        for (const auto &sm : cfg_.static_macs)
            if (mac_from_string(sm.mac) == mac) vlan = sm.vlan;
        if (sa.vlan) vlan = *sa.vlan;
        if (auto st = arp_->add_static(vlan, *ip, *mac); !st) return config_error_at(cfg_, key, st.error().message);
    }
    publish_view();
    shared_.stop.store(false);
    for (size_t i = 0; i < workers_.size(); ++i) {
        const int rc = rte_eal_remote_launch(worker_main, &shared_, workers_[i]);
        if (rc != 0) {
            // The workers launched so far would poll on until told to stop, into ports and
            // tables the caller is about to free.
            join_workers(i);
            return fail("cannot launch worker on lcore " + std::to_string(workers_[i]) + ": " + rte_strerror(-rc));
        }
    }
    running_ = true;
    DSW_LOG(INFO, main, "switching on %zu worker lcore(s), %zu port(s)", workers_.size(), cfg_.ports.size());
    return Ok{};
}

Result<unsigned> Switch::static_mac_index(const StaticMac &sm) {
    if (sm.vtep.empty()) {
        const SwitchPort *sp = port(sm.port);
        if (sp == nullptr) return fail("no port named '" + sm.port + "'");
        return sp->index;
    }
    const uint32_t ip = ipv4_from_string(sm.vtep).value_or(0);
    if (!vxlan_) return fail("no VTEP: the config has no vxlan: section");
    if (auto it = vxlan_->vteps.find(ip); it != vxlan_->vteps.end()) return it->second.index;
    // A VTEP no VNI lists as a remote: configured by this MAC (VtepOrigin::static_mac, whatever
    // learn_vteps says), for the MAC's VNI, so that the next save writes it the same way.
    const std::optional<uint32_t> vni = vxlan_->vni_of_vlan.count(sm.vlan)
                                            ? std::optional<uint32_t>(vxlan_->vni_of_vlan.at(sm.vlan))
                                            : std::nullopt;
    if (!vni) return fail("VLAN " + std::to_string(sm.vlan) + " is not mapped to a VNI (vxlan.vni_map)");
    return add_vtep(ip, vni, VtepOrigin::static_mac);
}

void Switch::stop() {
    if (!running_) return;
    join_workers(workers_.size());
    running_ = false;
}

void Switch::join_workers(size_t launched) {
    shared_.stop.store(true, std::memory_order_relaxed);
    for (size_t i = 0; i < launched; ++i) rte_eal_wait_lcore(workers_[i]);
}

void Switch::publish_view() {
    ViewInputs in;
    in.generation = ++view_generation_;
    in.tsc_hz = rte_get_tsc_hz();
    for (const auto &sp : ports_) {
        if (!sp) continue;
        const PortConfig &pc = sp->eth->config();
        ViewPort p;
        p.index = sp->index;
        p.port_id = sp->eth->id();
        p.io = sp->eth->io();
        p.name = pc.name;
        p.owner = sp->lcore;
        p.queue_lcores = sp->queue_lcores;
        p.ring = sp->ring.get();
        p.capture = captures_[sp->index] ? captures_[sp->index]->tap() : nullptr;
        p.vlan = pc.vlan;
        p.trunk = pc.trunk;
        p.storm_pps = {pc.storm_broadcast_pps, pc.storm_multicast_pps, pc.storm_unknown_unicast_pps};
        p.max_frame = sp->eth->max_frame();
        p.offload_caps = sp->eth->offload_caps();
        p.down = sp->iface_gone;
        in.ports.push_back(std::move(p));
    }
    std::unique_ptr<DataplaneView> v = build_view(in);
    if (vxlan_) vxlan_->fill_view(*v);
    // An index taken in the previous view keeps its port's `since`; one taken now starts it.
    // Every port del and VTEP del publishes the view without its index before the index can be
    // taken again, so a new occupant always starts anew.
    for (unsigned i = 0; i < kMaxPorts; ++i) {
        PortSlot &s = v->ports[i];
        if (s.present) s.since = view_ && view_->ports[i].present ? view_->ports[i].since : in.generation;
    }
    DataplaneView *old = view_.release();
    view_ = std::move(v);
    shared_.view.store(view_.get(), std::memory_order_release);
    // The old view may still be in a worker's hands until its next quiescent state.
    if (old != nullptr) {
        if (running_) rte_rcu_qsbr_synchronize(rcu_.get(), RTE_QSBR_THRID_INVALID);
        delete old;
    }
}

const SwitchPort *Switch::port(const std::string &name) const {
    for (const auto &sp : ports_)
        if (sp && sp->eth->config().name == name) return sp.get();
    return nullptr;
}

const SwitchPort *Switch::port(unsigned index) const { return index < kMaxPorts ? ports_[index].get() : nullptr; }

std::vector<const SwitchPort *> Switch::ports() const {
    std::vector<const SwitchPort *> out;
    for (const auto &sp : ports_)
        if (sp) out.push_back(sp.get());
    return out;
}

std::string Switch::port_name(unsigned index) const {
    const SwitchPort *sp = port(index);
    if (sp != nullptr) return sp->eth->config().name;
    if (vxlan_)
        if (const VtepState *t = vxlan_->vtep_at(index)) return "vtep:" + ipv4_to_string(t->ip);
    std::string gone = "#";   // a port deleted while a MAC still pointed at it
    gone += std::to_string(index);
    return gone;
}

}  // namespace dsw
