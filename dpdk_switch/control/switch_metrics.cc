// switch_metrics: one family per figure, every port / lcore / drop reason a sample of it. A drop
// reason is exposed even at zero: a series that appears only once it moves cannot be rated.
#include "dpdk_switch/control/switch_metrics.h"

#include <string>

#include <rte_mempool.h>

#include "dpdk_switch/control/switch.h"

namespace dsw {
namespace {

using Labels = std::vector<std::pair<std::string, std::string>>;

MetricFamily family(std::string name, std::string help, MetricType type) {
    return MetricFamily{std::move(name), std::move(help), type, {}};
}

MetricFamily gauge(std::string name, std::string help, uint64_t value) {
    MetricFamily f = family(std::move(name), std::move(help), MetricType::gauge);
    f.samples.push_back({{}, value});
    return f;
}

void add_ports(Switch &sw, std::vector<MetricFamily> &out) {
    MetricFamily rx_packets = family("dsw_port_rx_packets_total", "Frames received on the port (since clear port stats)", MetricType::counter);
    MetricFamily tx_packets = family("dsw_port_tx_packets_total", "Frames sent on the port (since clear port stats)", MetricType::counter);
    MetricFamily rx_bytes = family("dsw_port_rx_bytes_total", "Bytes received on the port (since clear port stats)", MetricType::counter);
    MetricFamily tx_bytes = family("dsw_port_tx_bytes_total", "Bytes sent on the port (since clear port stats)", MetricType::counter);
    MetricFamily drops = family("dsw_port_drops_total", "Frames the switch dropped on the port, by reason", MetricType::counter);
    MetricFamily imissed = family("dsw_port_pmd_imissed_total", "Frames the PMD missed (RX ring full)", MetricType::counter);
    MetricFamily rx_nombuf = family("dsw_port_pmd_rx_nombuf_total", "RX mbuf allocations the PMD failed", MetricType::counter);
    MetricFamily ierrors = family("dsw_port_pmd_ierrors_total", "Erroneous frames the PMD received", MetricType::counter);
    MetricFamily oerrors = family("dsw_port_pmd_oerrors_total", "Frames the PMD failed to send", MetricType::counter);
    MetricFamily ring_full = family("dsw_port_rx_ring_full_total", "Frames the kernel dropped at the port's full af_packet/af_xdp RX ring",
                                    MetricType::counter);
    for (const SwitchPort *sp : sw.ports()) {
        const Switch::PortSnapshot s = sw.port_snapshot(sp->index, false);
        const Labels port{{"port", s.name}};
        rx_packets.samples.push_back({port, s.totals.rx_packets});
        tx_packets.samples.push_back({port, s.totals.tx_packets});
        rx_bytes.samples.push_back({port, s.totals.rx_bytes});
        tx_bytes.samples.push_back({port, s.totals.tx_bytes});
        for (unsigned r = 0; r < kDropReasons; ++r)
            drops.samples.push_back({{{"port", s.name}, {"reason", kDropReasonNames[r]}}, s.totals.drops[r]});
        if (s.pmd) {
            imissed.samples.push_back({port, s.pmd->imissed});
            rx_nombuf.samples.push_back({port, s.pmd->rx_nombuf});
            ierrors.samples.push_back({port, s.pmd->ierrors});
            oerrors.samples.push_back({port, s.pmd->oerrors});
        }
        if (s.rx_ring_full) ring_full.samples.push_back({port, *s.rx_ring_full});
    }
    for (MetricFamily *f : {&rx_packets, &tx_packets, &rx_bytes, &tx_bytes, &drops, &imissed, &rx_nombuf, &ierrors, &oerrors, &ring_full})
        out.push_back(std::move(*f));
    out.push_back(gauge("dsw_ports", "Ports the switch runs", sw.ports().size()));
}

void add_switch(Switch &sw, std::vector<MetricFamily> &out) {
    const SwitchTotals t = sw.switch_totals();
    // The learning and proxy counters of `show switch stats`, one family each, by their names there.
    t.for_each([&](SwitchCounter c, uint64_t v) {
        const unsigned i = static_cast<unsigned>(c);
        MetricFamily f = family(std::string("dsw_") + kSwitchCounterNames[i] + "_total",
                                std::string("show switch stats ") + kSwitchCounterNames[i] + " (" + kSwitchCounterGroups[i] + ")",
                                MetricType::counter);
        f.samples.push_back({{}, v});
        out.push_back(std::move(f));
    });
    MetricFamily drops = family("dsw_drops_total", "Frames dropped by reason, over every port there has been", MetricType::counter);
    for (unsigned r = 0; r < kDropReasons; ++r) drops.samples.push_back({{{"reason", kDropReasonNames[r]}}, t.drops[r]});
    out.push_back(std::move(drops));
    out.push_back(gauge("dsw_mac_entries", "Entries in the MAC table", sw.macs().size()));
    out.push_back(gauge("dsw_mac_capacity", "Entries the MAC table holds at most", sw.macs().capacity()));
    out.push_back(gauge("dsw_mac_aging_seconds", "MAC aging time (0: never)", sw.mac_aging_s()));
    const unsigned pool = sw.pool_mbufs(), free = rte_mempool_avail_count(sw.pool());
    out.push_back(gauge("dsw_mbufs_pool_size", "Mbufs in the shared pool", pool));
    out.push_back(gauge("dsw_mbufs_free", "Mbufs free in the shared pool", free));
    out.push_back(gauge("dsw_mbufs_in_use", "Mbufs of the shared pool in use (held by ports, rings, bursts)", pool > free ? pool - free : 0));
    out.push_back(gauge("dsw_mbufs_committed", "Mbufs the ports may hold (descriptors and rings)", sw.mbufs_committed()));
}

void add_lcores(Switch &sw, std::vector<MetricFamily> &out) {
    MetricFamily busy = family("dsw_lcore_busy_cycles_total", "TSC cycles a worker spent on polls that found frames", MetricType::counter);
    MetricFamily idle = family("dsw_lcore_idle_cycles_total", "TSC cycles a worker spent on empty polls", MetricType::counter);
    MetricFamily packets = family("dsw_lcore_packets_total", "Frames a worker received", MetricType::counter);
    MetricFamily polls = family("dsw_lcore_polls_total", "Poll loops of a worker", MetricType::counter);
    MetricFamily bursts = family("dsw_lcore_tx_bursts_total", "TX bursts a worker sent", MetricType::counter);
    MetricFamily offered = family("dsw_lcore_tx_offered_total", "Frames a worker offered to TX bursts", MetricType::counter);
    for (const LcoreTotals &l : sw.lcore_totals()) {
        const Labels lcore{{"lcore", std::to_string(l.lcore)}};
        busy.samples.push_back({lcore, l.busy_cycles});
        idle.samples.push_back({lcore, l.idle_cycles});
        packets.samples.push_back({lcore, l.packets});
        polls.samples.push_back({lcore, l.polls});
        bursts.samples.push_back({lcore, l.tx_bursts});
        offered.samples.push_back({lcore, l.tx_offered});
    }
    for (MetricFamily *f : {&busy, &idle, &packets, &polls, &bursts, &offered}) out.push_back(std::move(*f));
}

}  // namespace

std::vector<MetricFamily> switch_metrics(Switch &sw) {
    std::vector<MetricFamily> out;
    add_ports(sw, out);
    add_switch(sw, out);
    add_lcores(sw, out);
    return out;
}

}  // namespace dsw
