// Says in the log when the switch refuses to learn source MACs (table full, port at its
// mac_limit). Once a second the main lcore hands the workers' totals here.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dpdk_switch/control/episode_log.h"

namespace dsw {

struct LearnRefusals {
    uint64_t table_full = 0;   // cumulative: new MACs not learned because the table was full
    uint64_t port_limit = 0;   // cumulative: new MACs not learned because their port hit mac_limit
    unsigned entries = 0, capacity = 0;        // the MAC table now
    std::vector<std::string> ports_at_limit;   // "c1 (100/100)"
};

// The lines for source MACs the workers did not learn (EpisodeLog says when).
class LearnWatch {
public:
    explicit LearnWatch(uint64_t every_s = 10) : episode_(every_s) {}

    // The lines to log for this second (none most of the time). now_s is any monotonic clock
    // in seconds; the first call only takes the baseline.
    std::vector<std::string> tick(uint64_t now_s, const LearnRefusals &now);

private:
    EpisodeLog episode_;
    LearnRefusals reported_;   // counters as of the last line (or the last quiet second)
};

}  // namespace dsw
