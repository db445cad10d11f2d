// Commands on the switch as a whole: show switch stats, show lcores, set tx flush, set log level.
#include <algorithm>

#include <rte_log.h>
#include <rte_mempool.h>

#include "dpdk_switch/control/grammar.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/limits.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

Answer show_switch_stats(Switch &sw, const Args &) {
    const SwitchTotals s = sw.switch_totals();
    json r = {{"mac_entries", sw.macs().size()},
              {"mac_capacity", sw.macs().capacity()},
              {"mac_aging_s", sw.mac_aging_s()},
              {"mbufs", {{"pool", sw.pool_mbufs()},
                         {"free", rte_mempool_avail_count(sw.pool())},
                         {"committed", sw.mbufs_committed()}}},
              {"drops", drops_json(s.drops)}};
    // The learning and proxy counters, every one of DSW_SWITCH_COUNTERS.
    s.for_each([&](SwitchCounter c, uint64_t v) { r[kSwitchCounterNames[static_cast<unsigned>(c)]] = v; });
    return r;
}

Answer set_tx_flush(Switch &sw, const Args &a) {
    auto us = parse_uint(a[3], kMaxTxFlushUs);
    if (!us)
        return fail("bad TX hold '" + a[3] + "' (microseconds, 0.." + std::to_string(kMaxTxFlushUs) +
                            ", 0 = send every loop)");
    sw.set_tx_flush_us(static_cast<unsigned>(*us));
    json r = {{"ok", true}, {"tx_flush_us", *us}};
    return r;
}

Answer show_lcores(Switch &sw, const Args &) {
    json r;
    r["lcores"] = json::array();
    r["tx_flush_us"] = sw.tx_flush_us();
    for (const LcoreTotals &l : sw.lcore_totals()) {
        const uint64_t total = l.busy_cycles + l.idle_cycles;
        const double busy_pct = total ? 100.0 * static_cast<double>(l.busy_cycles) / static_cast<double>(total) : 0.0;
        const double cpp = l.packets ? static_cast<double>(l.busy_cycles) / static_cast<double>(l.packets) : 0.0;
        const double per_send = l.tx_bursts ? static_cast<double>(l.tx_offered) / static_cast<double>(l.tx_bursts) : 0.0;
        r["lcores"].push_back({{"lcore", l.lcore},
                                    {"role", "worker"},
                                    {"ports", l.ports},
                                    {"packets", l.packets},
                                    {"polls", l.polls},
                                    {"busy_cycles", l.busy_cycles},
                                    {"idle_cycles", l.idle_cycles},
                                    {"busy_pct", busy_pct},
                                    {"cycles_per_packet", cpp},
                                    {"tx_bursts", l.tx_bursts},
                                    {"frames_per_tx_burst", per_send}});
    }
    return r;
}

// set log level <emerg|alert|crit|err|warning|notice|info|debug> [<logtype pattern>, default dsw.*]
Answer set_log_level(Switch &, const Args &a) {
    const std::vector<std::string> &names = log_level_names();
    auto it = std::find(names.begin(), names.end(), a[3]);
    if (it == names.end()) return fail("bad level '" + a[3] + "' (emerg alert crit err warning notice info debug)");
    const uint32_t level = static_cast<uint32_t>(it - names.begin()) + 1;   // RTE_LOG_EMERG is 1
    const std::string pattern = a.size() > 4 ? a[4] : "dsw.*";
    if (rte_log_set_level_pattern(pattern.c_str(), level) != 0) return fail("bad logtype pattern '" + pattern + "'");
    json r = {{"ok", true}, {"pattern", pattern}, {"level", a[3]}};
    return r;
}

}  // namespace dsw::cmd
