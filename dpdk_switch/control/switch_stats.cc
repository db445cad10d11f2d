// Stats: the switch's counters summed over the lcores, per port (since `clear port stats`, and
// rates) and for the switch as a whole.
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"

#include <fstream>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>

namespace dsw {

namespace {
// The kernel's own counters of a kernel-backed port's interface (the veth host end), beside the
// switch's: the frames the interface passed up that the switch never read.
std::optional<Switch::KernelCounters> kernel_counters(const Port &port) {
    const PortConfig &pc = port.config();
    if (!port_kind(pc.type).kernel_iface) return std::nullopt;
    // Where the port follows its interface (a vtap's, moved into a container): its name here now.
    const std::string iface = port.iface_here().value_or(pc.iface);
    if (iface.empty()) return std::nullopt;
    Switch::KernelCounters k;
    for (auto [name, field] : {std::pair{"rx_packets", &k.rx_packets}, std::pair{"rx_dropped", &k.rx_dropped},
                               std::pair{"tx_packets", &k.tx_packets}, std::pair{"tx_dropped", &k.tx_dropped}}) {
        std::ifstream in("/sys/class/net/" + iface + "/statistics/" + name);
        if (!(in >> *field)) return std::nullopt;   // the interface is gone
    }
    return k;
}
}  // namespace

PortTotals &PortTotals::operator-=(const PortTotals &o) {
    rx_packets -= o.rx_packets;
    rx_bytes -= o.rx_bytes;
    tx_packets -= o.tx_packets;
    tx_bytes -= o.tx_bytes;
    for (unsigned r = 0; r < kDropReasons; ++r) drops[r] -= o.drops[r];
    csum_completed -= o.csum_completed;
    gso_segmented -= o.gso_segmented;
    return *this;
}

PortTotals sum_port_counters(const LcoreCounters *counters, unsigned index) {
    PortTotals t;
    for (unsigned lc = 0; lc < RTE_MAX_LCORE; ++lc) {
        const PortCounters &c = counters[lc].port[index];
        t.rx_packets += c.rx_packets.get();
        t.rx_bytes += c.rx_bytes.get();
        t.tx_packets += c.tx_packets.get();
        t.tx_bytes += c.tx_bytes.get();
        for (unsigned r = 0; r < kDropReasons; ++r) t.drops[r] += c.drops[r].get();
        t.csum_completed += c.offload.csum_completed.get();
        t.gso_segmented += c.offload.gso_segmented.get();
    }
    return t;
}

SwitchTotals sum_switch_counters(const LcoreCounters *counters) {
    SwitchTotals t;
    for (unsigned lc = 0; lc < RTE_MAX_LCORE; ++lc) {
        const SwitchCounters &c = counters[lc].sw;
#define DSW_X(name, group) t.name += c.name.get();
        DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
        t.drops[static_cast<unsigned>(DropReason::port_gone)] += counters[lc].port_gone.get();
    }
    for (unsigned i = 0; i < kMaxPorts; ++i) {
        const PortTotals p = sum_port_counters(counters, i);
        for (unsigned r = 0; r < kDropReasons; ++r) t.drops[r] += p.drops[r];
    }
    return t;
}

PortTotals Switch::raw_port_totals(unsigned index) const { return sum_port_counters(counters_.get(), index); }

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

SwitchTotals Switch::switch_totals() const { return sum_switch_counters(counters_.get()); }

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

Switch::PortSnapshot Switch::port_snapshot(unsigned index, bool with_rates) {
    PortSnapshot s;
    s.name = port_name(index);
    s.totals = port_totals(index);
    if (with_rates) s.rates = port_rates(index);
    const SwitchPort *sp = port(index);
    if (sp == nullptr || !sp->eth) return s;
    rte_eth_stats es{};
    if (sp->eth->stats(es) == 0) s.pmd = PmdCounters{es.imissed, es.ierrors, es.rx_nombuf, es.oerrors};
    s.kernel = kernel_counters(*sp->eth);
    s.rx_ring_full = port_ring_drops(index);
    return s;
}

}  // namespace dsw
