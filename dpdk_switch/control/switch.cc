#include "dpdk_switch/control/switch.h"

#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/log.h"

namespace dsw {

namespace {
constexpr unsigned kRingSize = 1024;   // per TX port hand-off ring, in mbufs

unsigned pool_size(const Config &cfg) {
    if (cfg.sw.mbufs != 0) return cfg.sw.mbufs;
    // Per port: RX and TX descriptors plus a full hand-off ring; room for ports added later.
    const unsigned per_port = 1024 + 1024 + kRingSize;
    const unsigned ports = static_cast<unsigned>(cfg.ports.size()) + 4;
    return std::max(16383u, 4096 + ports * per_port);
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
    if (!pool) return pool.error();
    sw->pool_ = std::move(pool.value());

    auto macs = MacTable::create("dsw_macs", cfg.sw.mac_table_size, static_cast<int>(rte_socket_id()),
                                 sw->rcu_.get());
    if (!macs) return macs.error();
    sw->macs_ = std::move(macs.value());

    sw->counters_ = std::make_unique<LcoreCounters[]>(RTE_MAX_LCORE);
    sw->shared_.macs = sw->macs_.get();
    sw->shared_.rcu = sw->rcu_.get();
    sw->shared_.counters = sw->counters_.get();
    sw->shared_.burst = static_cast<uint16_t>(std::min<unsigned>(cfg.sw.burst, 32));
    return sw;
}

Switch::~Switch() { stop(); }

Status Switch::add_port(const PortConfig &pc) {
    unsigned index = kMaxPorts;
    for (unsigned i = 0; i < kMaxPorts; ++i)
        if (!ports_[i]) {
            index = i;
            break;
        }
    if (index == kMaxPorts) return fail("port " + pc.name + ": the switch has " + std::to_string(kMaxPorts) + " ports already");
    auto sp = std::make_unique<SwitchPort>();
    sp->index = index;
    sp->lcore = pc.lcore ? *pc.lcore : workers_[next_rr_++ % workers_.size()];
    auto ring = make_ring("dsw_tx_" + std::to_string(index) + "_" + std::to_string(rte_rdtsc() & 0xffffff), kRingSize,
                          static_cast<int>(rte_socket_id()), RING_F_SC_DEQ);
    if (!ring) return ring.error();
    sp->ring = std::move(ring.value());
    auto eth = EthPort::open(pc, pool_.get());
    if (!eth) return eth.error();
    sp->eth.emplace(std::move(eth.value()));
    sp->baseline = raw_port_totals(index);   // counters of a former port at this index
    ports_[index] = std::move(sp);
    return Ok{};
}

void Switch::publish_view() {
    auto v = std::make_unique<DataplaneView>();
    for (const auto &sp : ports_) {
        if (!sp) continue;
        PortSlot &slot = v->ports[sp->index];
        slot.present = true;
        slot.port_id = sp->eth->id();
        slot.owner = sp->lcore;
        slot.ring = sp->ring.get();
        slot.access_vlan = sp->eth->config().vlan;
        WorkerPorts &w = v->workers[sp->lcore];
        w.index[w.n++] = static_cast<uint16_t>(sp->index);
        FloodDomain *dom = const_cast<FloodDomain *>(v->domain(slot.access_vlan));
        if (dom == nullptr) {
            dom = &v->domains[v->n_domains++];
            dom->vlan = slot.access_vlan;
        }
        dom->members[dom->n++] = static_cast<uint16_t>(sp->index);
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
    for (const auto &pc : cfg_.ports)
        if (auto st = add_port(pc); !st) return st;
    for (const auto &sm : cfg_.static_macs) {
        const SwitchPort *sp = port(sm.port);
        auto mac = mac_from_string(sm.mac);
        if (sp == nullptr || !mac) return fail("static_macs: bad entry " + sm.mac + " " + sm.port, kExitConfigError);
        if (auto st = macs_->add_static(make_mac_key(*mac, sm.vlan), static_cast<uint16_t>(sp->index)); !st) return st;
    }
    publish_view();
    shared_.stop.store(false);
    for (unsigned lc : workers_) {
        const int rc = rte_eal_remote_launch(worker_main, &shared_, lc);
        if (rc != 0) {
            stop();
            return fail("cannot launch worker on lcore " + std::to_string(lc) + ": " + rte_strerror(-rc));
        }
    }
    running_ = true;
    DSW_LOG(INFO, main, "switching on %zu worker lcore(s), %zu port(s)", workers_.size(), cfg_.ports.size());
    return Ok{};
}

void Switch::stop() {
    if (!running_) return;
    shared_.stop.store(true, std::memory_order_relaxed);
    rte_eal_mp_wait_lcore();
    running_ = false;
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
    if (index < kMaxPorts && ports_[index]) ports_[index]->baseline = raw_port_totals(index);
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
        LcoreTotals t{lc, c.busy_cycles.get(), c.idle_cycles.get(), c.polls.get(), c.packets.get(), {}};
        for (const auto &sp : ports_)
            if (sp && sp->lcore == lc) t.ports.push_back(sp->eth->config().name);
        out.push_back(std::move(t));
    }
    return out;
}

void Switch::housekeeping() {
    if (aging_s_ != 0) macs_->age(aging_s_);
}

}  // namespace dsw
