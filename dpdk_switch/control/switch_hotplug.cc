// Hot-plug: opening a port (the config's at start, `port add` while the workers run) and
// deleting one, with the mbuf budget that keeps a new port from starving the others' RX refills.
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"

#include <algorithm>

#include <rte_cycles.h>
#include <rte_devargs.h>
#include <rte_lcore.h>

#include "dpdk_switch/control/mbuf_budget.h"
#include "dpdk_switch/log.h"

namespace dsw {

namespace {
constexpr unsigned kRingSize = 1024;   // per TX port hand-off ring, in mbufs
// Pool mbufs no port may count on: bursts in flight between RX and TX, the workers' TX batches,
// the per-lcore mempool caches.
constexpr unsigned kPoolHeadroom = 4096;
// Ports the pool is sized for beyond the config's, for `port add` (one queue, 1024 + 1024
// descriptors each: what af_packet, vhost, tap and virtio_user may hold; a memif port less).
constexpr unsigned kSparePorts = 4;
constexpr unsigned kSparePortMbufs = 1024 + 1024 + kRingSize;

// The most mbufs of the shared pool the port may hold: its RX/TX descriptors (or fill ring)
// and a full ring.
unsigned port_mbufs(const PortConfig &pc) {
    auto n = Port::mbuf_needs(pc);
    return (n ? n->shared : pc.queues * 2048u) + kRingSize;
}
}  // namespace

unsigned pool_size(const Config &cfg) {
    if (cfg.sw.mbufs != 0) return cfg.sw.mbufs;
    unsigned ports = kSparePorts * kSparePortMbufs;
    for (const auto &pc : cfg.ports) ports += port_mbufs(pc);
    return std::max(16383u, kPoolHeadroom + ports);
}

namespace {
// What a port attaches to, for telling two ports on the same thing apart; "" for none.
std::string attachment(const PortConfig &pc) {
    const PortKind &k = port_kind(pc.type);
    // A kind whose open refuses a shared attachment itself (rte_dev_probe, a device name twice) says so better.
    return k.attachment == nullptr || k.open_refuses_shared ? "" : k.attachment(pc).what;
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
        if (index_free(i)) {
            index = i;
            break;
        }
    if (index == kMaxPorts)
        return fail("port " + pc.name + ": the switch has " + std::to_string(kMaxPorts) +
                    " ports (remote VTEPs included) already");
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
        auto own = make_pktmbuf_pool("dsw_rx" + std::to_string(pools_made_++) + "_" + std::to_string(index),
                                     need->own_rx, static_cast<int>(rte_socket_id()),
                                     need->own_rx_data_room ? need->own_rx_data_room : RTE_MBUF_DEFAULT_BUF_SIZE);
        if (!own) return fail("port " + pc.name + ": " + own.error().message);
        rx_pool = own->get();
        sp->own_pool = rx_pool;
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
    if (vxlan_ && vxlan_->underlay == index && running_)
        return fail("port " + name + " is the VXLAN underlay (vxlan.underlay): the VTEP needs it");
    if (captures_[index]) (void)stop_capture(name);   // it exists: cannot fail
    std::unique_ptr<SwitchPort> gone = std::move(ports_[index]);
    // After this returns, every worker has finished the loop that may have used the old view:
    // none polls the port, none pushes to its ring. Their TX batches may still hold frames for
    // it (switch.tx_flush_us holds them across loops): those go at the worker's next view
    // change, dropped as port_gone, also when a port added meanwhile has the index
    // (TxStage::change_view, PortSlot::since).
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
    rte_mempool *own_pool = gone->own_pool;
    gone.reset();   // frees what its ring holds, stops and closes the device
    // Its own RX pool goes too once every mbuf is back (a veth port's: 38 MB, which repeated
    // port del/add would otherwise pile up). One whose mbufs are still out (in another port's
    // TX queue, or never given back by net_af_xdp) stays until the switch exits.
    if (own_pool != nullptr && rte_mempool_full(own_pool))
        std::erase_if(port_pools_, [own_pool](const MempoolPtr &p) { return p.get() == own_pool; });
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

}  // namespace dsw
