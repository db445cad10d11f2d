#include "dpdk_switch/control/switch.h"

#include <algorithm>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

#include <net/if.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/dataplane/switch_path.h"   // kMaxBurst
#include "dpdk_switch/log.h"

namespace dsw {

namespace {
constexpr unsigned kRingSize = 1024;   // per TX port hand-off ring, in mbufs
// Pool mbufs no port may count on: bursts in flight between RX and TX, the workers' TX batches,
// the per-lcore mempool caches.
constexpr unsigned kPoolHeadroom = 4096;
// Ports the pool is sized for beyond the config's, for `port add` (one queue, 1024 + 1024
// descriptors each: what af_packet, vhost, memif, tap and virtio_user may hold).
constexpr unsigned kSparePorts = 4;
constexpr unsigned kSparePortMbufs = 1024 + 1024 + kRingSize;

// The most mbufs of the shared pool the port may hold: its RX/TX descriptors (or fill ring)
// and a full ring.
unsigned port_mbufs(const PortConfig &pc) {
    auto n = Port::mbuf_needs(pc);
    return (n ? n->shared : pc.queues * 2048u) + kRingSize;
}

unsigned pool_size(const Config &cfg) {
    if (cfg.sw.mbufs != 0) return cfg.sw.mbufs;
    unsigned ports = kSparePorts * kSparePortMbufs;
    for (const auto &pc : cfg.ports) ports += port_mbufs(pc);
    return std::max(16383u, kPoolHeadroom + ports);
}

// What a port attaches to, for telling two ports on the same thing apart; "" for none.
std::string attachment(const PortConfig &pc) {
    const PortKind &k = port_kind(pc.type);
    // A kind whose open refuses a shared attachment itself (rte_dev_probe, a device name twice) says so better.
    return k.attachment == nullptr || k.open_refuses_shared ? "" : k.attachment(pc).what;
}

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
            key += "." + std::string(k);
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

// A devargs naming no driver fails deep in the probe with "Bad address": say what it is.
Status check_driver(const PortConfig &pc) {
    if (pc.type != PortType::dpdk) return Ok{};
    rte_devargs da{};
    const int rc = rte_devargs_parse(&da, pc.devargs.c_str());
    rte_devargs_reset(&da);
    if (rc == 0) return Ok{};
    return fail("port " + pc.name + ": devargs: no DPDK driver for device '" +
                pc.devargs.substr(0, pc.devargs.find(',')) + "'");
}
}  // namespace

void RcuFree::operator()(rte_rcu_qsbr *q) const { rte_free(q); }

PortTotals &PortTotals::operator-=(const PortTotals &o) {
    rx_packets -= o.rx_packets;
    rx_bytes -= o.rx_bytes;
    tx_packets -= o.tx_packets;
    tx_bytes -= o.tx_bytes;
    for (unsigned r = 0; r < kDropReasons; ++r) drops[r] -= o.drops[r];
    return *this;
}

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
    sw->shared_.burst = static_cast<uint16_t>(std::min<unsigned>(cfg.sw.burst, kMaxBurst));
    sw->shared_.idle_sleep_us = cfg.sw.idle_sleep_us;
    sw->shared_.tx_flush_us.store(cfg.sw.tx_flush_us, std::memory_order_relaxed);
    return sw;
}

Switch::~Switch() { stop(); }

Status Switch::check_new_port(const PortConfig &pc) const {
    if (port(pc.name) != nullptr) return fail("port " + pc.name + ": a port of that name exists already");
    const std::string what = attachment(pc);
    for (const auto &sp : ports_) {
        if (!sp || what.empty()) continue;
        if (attachment(sp->eth->config()) == what)
            return fail("port " + pc.name + ": " + what + " is port " + sp->eth->config().name + " already");
    }
    if (pc.lcore && std::find(workers_.begin(), workers_.end(), *pc.lcore) == workers_.end())
        return fail("port " + pc.name + ": lcore " + std::to_string(*pc.lcore) + " is not a worker lcore");
    return Ok{};
}

Result<unsigned> Switch::open_port(const PortConfig &pc, bool check_mbufs) {
    if (auto st = check_new_port(pc); !st) return st.error();
    unsigned index = kMaxPorts;
    for (unsigned i = 0; i < kMaxPorts; ++i)
        if (!ports_[i]) {
            index = i;
            break;
        }
    if (index == kMaxPorts) return fail("port " + pc.name + ": the switch has " + std::to_string(kMaxPorts) + " ports already");
    if (auto st = check_driver(pc); !st) return st.error();
    auto need = Port::mbuf_needs(pc);   // also the type's own refusals (af_xdp without hugepages)
    if (!need) return need.error();
    const unsigned mbufs = need->shared + kRingSize;
    if (check_mbufs) {
        // The pool was sized for the config's ports and kSparePorts more. A port that does not
        // fit beside what the others may hold would starve their RX refills: refuse it.
        const unsigned pool = pool_mbufs(), committed = mbufs_committed();
        const unsigned room = pool > kPoolHeadroom + committed ? pool - kPoolHeadroom - committed : 0;
        const unsigned avail = rte_mempool_avail_count(pool_.get());
        if (mbufs > room || mbufs > avail)
            return fail("port " + pc.name + ": not enough mbufs: it may hold " + std::to_string(mbufs) +
                        " (descriptors and ring), the pool of " + std::to_string(pool) + " has " +
                        std::to_string(std::min(room, avail)) + " left beside the other ports' " +
                        std::to_string(committed) + " (raise switch.mbufs)");
    }
    auto sp = std::make_unique<SwitchPort>();
    sp->index = index;
    sp->mbufs = mbufs;
    sp->lcore = pc.lcore ? *pc.lcore : workers_[next_rr_++ % workers_.size()];
    // Queue q on the q-th worker after queue 0's: each queue is its own pinned unit, spread
    // over the workers (with one worker, it polls them all).
    const size_t first = static_cast<size_t>(std::find(workers_.begin(), workers_.end(), sp->lcore) - workers_.begin());
    for (unsigned q = 0; q < pc.queues; ++q) sp->queue_lcores.push_back(workers_[(first + q) % workers_.size()]);
    auto ring = make_ring("dsw_tx_" + std::to_string(index) + "_" + std::to_string(rte_rdtsc() & 0xffffff), kRingSize,
                          static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (!ring) return ring.error();
    sp->ring = std::move(ring.value());
    rte_mempool *rx_pool = pool_.get();
    if (need->own_rx != 0) {
        // Kept until the switch exits: its mbufs travel to other ports, and the PMD may never
        // return some of them (see DeviceSpec::own_rx_pool).
        auto own = make_pktmbuf_pool("dsw_rx" + std::to_string(port_pools_.size()) + "_" + std::to_string(index),
                                     need->own_rx, static_cast<int>(rte_socket_id()),
                                     need->own_rx_data_room ? need->own_rx_data_room : RTE_MBUF_DEFAULT_BUF_SIZE);
        if (!own) return fail("port " + pc.name + ": " + own.error().message);
        rx_pool = own->get();
        port_pools_.push_back(std::move(own.value()));
    }
    auto eth = Port::open(pc, rx_pool);
    if (!eth) {
        // The device is closed and none of the pool's mbufs left it: the pool can go.
        if (need->own_rx != 0) port_pools_.pop_back();
        return eth.error();
    }
    sp->eth.emplace(std::move(eth.value()));
    // Counters of a former port at this index: nothing adds to them any more (no view has the
    // index, no MAC entry points at it), so they are the new port's zero.
    sp->baseline = raw_port_totals(index);
    macs_->set_port_limit(static_cast<uint16_t>(index), pc.mac_limit);
    storm_[index].reset();   // a former port's limiter state would throttle the new one for up to 100 ms
    link_up_[index] = -1;    // not known yet: watch_links() takes the first state without a log line
    rate_samples_[index] = {rte_get_tsc_cycles(), raw_port_totals(index)};
    ports_[index] = std::move(sp);
    return index;
}

Result<unsigned> Switch::add_port(const PortConfig &pc) {
    auto index = open_port(pc, true);
    if (!index) return index;
    publish_view();
    DSW_LOG(INFO, main, "port %s added as index %u on lcore %u", pc.name.c_str(), index.value(),
            ports_[index.value()]->lcore);
    return index;
}

Status Switch::del_port(const std::string &name) {
    const SwitchPort *found = port(name);
    if (found == nullptr) return fail("no port named '" + name + "'");
    const unsigned index = found->index;
    if (captures_[index]) (void)stop_capture(name);   // it exists: cannot fail
    std::unique_ptr<SwitchPort> gone = std::move(ports_[index]);
    // After this returns, every worker has finished the loop that may have used the old view:
    // none polls the port, none pushes to its ring, and their TX batches (flushed every loop
    // before the quiescent report) hold nothing for it.
    publish_view();
    // Frames to its MACs are counted as port_gone until these entries are gone.
    const unsigned flushed = macs_->flush(static_cast<int>(index), true);
    // The switch no longer vouches for addresses (IPv4 and IPv6) learned behind it; static
    // bindings stay.
    unsigned unbound = 0;
    if (arp_)
        unbound = arp_->remove_if(
            [](const ArpRecord &r, const void *ctx) {
                return !r.binding.is_static && r.binding.port == *static_cast<const unsigned *>(ctx);
            },
            &index);
    gone.reset();   // frees what its ring holds, stops and closes the device
    DSW_LOG(INFO, main, "port %s deleted (index %u; %u MAC entries, %u ARP/ND bindings flushed)", name.c_str(), index,
            flushed, unbound);
    return Ok{};
}

unsigned Switch::pool_mbufs() const { return pool_->size; }

unsigned Switch::mbufs_committed() const {
    unsigned n = 0;
    for (const auto &sp : ports_)
        if (sp) n += sp->mbufs;
    return n;
}

void Switch::publish_view() {
    auto v = std::make_unique<DataplaneView>();
    v->generation = ++view_generation_;
    for (const auto &sp : ports_) {
        if (!sp) continue;
        PortSlot &slot = v->ports[sp->index];
        slot.present = true;
        slot.port_id = sp->eth->id();
        slot.io = sp->eth->io();
        slot.owner = sp->lcore;
        slot.ring = sp->ring.get();
        slot.capture = captures_[sp->index] ? captures_[sp->index]->tap() : nullptr;
        const PortConfig &pc = sp->eth->config();
        for (uint16_t q = 0; q < sp->queue_lcores.size(); ++q) {
            const unsigned lc = sp->queue_lcores[q];
            WorkerPorts &w = v->workers[lc];
            if (w.n == kMaxUnits) {
                DSW_LOG(ERR, main, "lcore %u polls %u queues already: port %s queue %u left out", lc, kMaxUnits,
                        sp->eth->config().name.c_str(), q);
                continue;
            }
            w.unit[w.n++] = {static_cast<uint16_t>(sp->index), q};
            if (slot.txq[lc] < 0) slot.txq[lc] = static_cast<int8_t>(q);   // an lcore sends on the first queue it polls
        }
        slot.trunk = !pc.trunk.empty();
        slot.max_frame = sp->eth->max_frame();
        slot.down = sp->iface_gone;
        const uint64_t hz = rte_get_tsc_hz();
        slot.storm[kFloodBroadcast] = StormRate::of(pc.storm_broadcast_pps, hz, kMaxBurst);
        slot.storm[kFloodMulticast] = StormRate::of(pc.storm_multicast_pps, hz, kMaxBurst);
        slot.storm[kFloodUnknownUnicast] = StormRate::of(pc.storm_unknown_unicast_pps, hz, kMaxBurst);
        slot.access_vlan = pc.vlan;
        if (!slot.trunk) {
            v->add_member(pc.vlan, static_cast<uint16_t>(sp->index));
            slot.allowed[pc.vlan >> 6] |= 1ULL << (pc.vlan & 63);
        }
        for (uint16_t vid : pc.trunk) {
            slot.allowed[vid >> 6] |= 1ULL << (vid & 63);
            v->add_member(vid, static_cast<uint16_t>(sp->index));
        }
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

Status Switch::start() {
    for (size_t i = 0; i < cfg_.ports.size(); ++i)
        if (auto index = open_port(cfg_.ports[i], false); !index) return config_port_error(cfg_, i, index.error());
    for (size_t i = 0; i < cfg_.static_macs.size(); ++i) {
        const StaticMac &sm = cfg_.static_macs[i];
        const std::string key = "static_macs[" + std::to_string(i) + "]";
        const SwitchPort *sp = port(sm.port);
        auto mac = mac_from_string(sm.mac);
        if (sp == nullptr || !mac) return config_error_at(cfg_, key, "bad entry " + sm.mac + " " + sm.port);
        if (auto st = macs_->add_static(make_mac_key(*mac, sm.vlan), static_cast<uint16_t>(sp->index)); !st)
            return config_error_at(cfg_, key, st.error().message);
    }
    for (size_t i = 0; i < cfg_.arp.size(); ++i) {
        const StaticArp &sa = cfg_.arp[i];
        const std::string key = "arp[" + std::to_string(i) + "]";
        if (!arp_) break;   // arp_proxy: false: the bindings have nobody to serve
        auto ip = ipv4_from_string(sa.ip);
        auto mac = mac_from_string(sa.mac);
        if (!ip || !mac) return config_error_at(cfg_, key, "bad entry " + sa.ip + " " + sa.mac);
        // The binding lives in the VLAN where a static MAC puts its owner, else the default one.
        uint16_t vlan = 0;
        for (const auto &sm : cfg_.static_macs)
            if (mac_from_string(sm.mac) == mac) vlan = sm.vlan;
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

void Switch::stop() {
    if (!running_) return;
    join_workers(workers_.size());
    running_ = false;
}

void Switch::join_workers(size_t launched) {
    shared_.stop.store(true, std::memory_order_relaxed);
    for (size_t i = 0; i < launched; ++i) rte_eal_wait_lcore(workers_[i]);
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
    std::string gone = "#";   // a port deleted while a MAC still pointed at it
    gone += std::to_string(index);
    return gone;
}

PortTotals Switch::raw_port_totals(unsigned index) const {
    PortTotals t;
    for (unsigned lc = 0; lc < RTE_MAX_LCORE; ++lc) {
        const PortCounters &c = counters_[lc].port[index];
        t.rx_packets += c.rx_packets.get();
        t.rx_bytes += c.rx_bytes.get();
        t.tx_packets += c.tx_packets.get();
        t.tx_bytes += c.tx_bytes.get();
        for (unsigned r = 0; r < kDropReasons; ++r) t.drops[r] += c.drops[r].get();
    }
    return t;
}

PortTotals Switch::port_totals(unsigned index) const {
    PortTotals t = raw_port_totals(index);
    if (const SwitchPort *sp = port(index)) t -= sp->baseline;
    return t;
}

void Switch::clear_port_stats(unsigned index) {
    if (index >= kMaxPorts || !ports_[index]) return;
    SwitchPort &sp = *ports_[index];
    sp.baseline = raw_port_totals(index);
    if (sp.eth) sp.ring_drops_baseline = sp.eth->ring_drops().value_or(0);
}

std::optional<uint64_t> Switch::port_ring_drops(unsigned index) {
    if (index >= kMaxPorts || !ports_[index] || !ports_[index]->eth) return std::nullopt;
    SwitchPort &sp = *ports_[index];
    const std::optional<uint64_t> d = sp.eth->ring_drops();
    if (!d) return std::nullopt;
    return *d - sp.ring_drops_baseline;
}

SwitchTotals Switch::switch_totals() const {
    SwitchTotals t;
    for (unsigned lc = 0; lc < RTE_MAX_LCORE; ++lc) {
        const SwitchCounters &c = counters_[lc].sw;
        t.learned += c.learned.get();
        t.moves += c.moves.get();
        t.flooded += c.flooded.get();
        t.learn_table_full += c.learn_table_full.get();
        t.static_conflicts += c.static_conflicts.get();
        t.learn_port_limit += c.learn_port_limit.get();
        t.arp_proxy_replies += c.arp_proxy_replies.get();
        t.arp_learned += c.arp_learned.get();
        t.arp_moves += c.arp_moves.get();
        t.nd_proxy_replies += c.nd_proxy_replies.get();
        t.nd_learned += c.nd_learned.get();
        t.nd_moves += c.nd_moves.get();
    }
    for (unsigned i = 0; i < kMaxPorts; ++i) {
        const PortTotals p = raw_port_totals(i);
        for (unsigned r = 0; r < kDropReasons; ++r) t.drops[r] += p.drops[r];
    }
    return t;
}

std::vector<LcoreTotals> Switch::lcore_totals() const {
    std::vector<LcoreTotals> out;
    for (unsigned lc : workers_) {
        const LcoreCounters &c = counters_[lc];
        LcoreTotals t{lc, c.busy_cycles.get(), c.idle_cycles.get(), c.polls.get(), c.packets.get(),
                      c.tx_bursts.get(), c.tx_offered.get(), {}};
        for (const auto &sp : ports_)
            if (sp)
                for (size_t q = 0; q < sp->queue_lcores.size(); ++q)
                    if (sp->queue_lcores[q] == lc)
                        t.ports.push_back(sp->queue_lcores.size() == 1 ? sp->eth->config().name
                                                                       : sp->eth->config().name + ":" + std::to_string(q));
        out.push_back(std::move(t));
    }
    return out;
}

void Switch::housekeeping() {
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
// returning, a veth peer going down).
void Switch::watch_links() {
    for (const auto &sp : ports_) {
        if (!sp) continue;
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
}

Status Switch::start_capture(const std::string &name, const std::string &path, uint64_t count, uint8_t dirs,
                             bool overwrite) {
    const SwitchPort *sp = port(name);
    if (sp == nullptr) return fail("no port named '" + name + "'");
    if (captures_[sp->index]) return fail("port " + name + " is being captured already (capture stop " + name + ")");
    auto session = CaptureSession::open(name, path, count, dirs, overwrite);
    if (!session) return session.error();
    captures_[sp->index] = std::move(session.value());
    publish_view();   // the workers start copying from their next loop
    DSW_LOG(INFO, main, "capturing port %s into %s", name.c_str(), path.c_str());
    return Ok{};
}

Status Switch::stop_capture(const std::string &name) {
    const SwitchPort *sp = port(name);
    if (sp == nullptr) return fail("no port named '" + name + "'");
    std::unique_ptr<CaptureSession> session = std::move(captures_[sp->index]);
    if (!session) return fail("port " + name + " is not being captured");
    publish_view();    // after this no worker holds the tap
    session->drain();  // what was queued before the switch-over
    DSW_LOG(INFO, main, "capture of port %s ended: %lu frames in %s, %lu dropped", name.c_str(),
            static_cast<unsigned long>(session->written()), session->path().c_str(),
            static_cast<unsigned long>(session->dropped()));
    return Ok{};
}

void Switch::poll_captures() {
    for (unsigned i = 0; i < kMaxPorts; ++i)
        if (captures_[i] && captures_[i]->drain() && ports_[i]) (void)stop_capture(ports_[i]->eth->config().name);
}

Switch::PortRates Switch::port_rates(unsigned index) {
    RateSample now{rte_get_tsc_cycles(), raw_port_totals(index)};
    RateSample &last = rate_samples_[index];
    const double secs = static_cast<double>(now.tsc - last.tsc) / static_cast<double>(rte_get_tsc_hz());
    PortRates r{};
    if (secs > 0) {
        r.rx_pps = static_cast<double>(now.totals.rx_packets - last.totals.rx_packets) / secs;
        r.tx_pps = static_cast<double>(now.totals.tx_packets - last.totals.tx_packets) / secs;
        r.rx_bps = 8.0 * static_cast<double>(now.totals.rx_bytes - last.totals.rx_bytes) / secs;
        r.tx_bps = 8.0 * static_cast<double>(now.totals.tx_bytes - last.totals.tx_bytes) / secs;
    }
    last = now;
    return r;
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
