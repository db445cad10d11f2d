// Says in the log when the switch refuses to learn source MACs. The workers only count a
// refusal (table full, port at its mac_limit): a log call per frame would be a flood of its
// own. Once a second the main lcore hands the totals here, and this turns them into lines: at
// once when refusals start, then at most one summary per `every_s` while they go on, and one
// line when they stop, as OVS does for its "MAC table full" and VPP for its learn-limit events.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace dsw {

struct LearnRefusals {
    uint64_t table_full = 0;   // cumulative: new MACs not learned because the table was full
    uint64_t port_limit = 0;   // cumulative: new MACs not learned because their port hit mac_limit
    unsigned entries = 0, capacity = 0;        // the MAC table now
    std::vector<std::string> ports_at_limit;   // "c1 (100/100)"
};

class LearnWatch {
public:
    explicit LearnWatch(uint64_t every_s = 10) : every_s_(every_s) {}

    // The lines to log for this second (none most of the time). now_s is any monotonic clock
    // in seconds; the first call only takes the baseline.
    std::vector<std::string> tick(uint64_t now_s, const LearnRefusals &now);

private:
    uint64_t every_s_;
    bool primed_ = false;
    bool active_ = false;             // refusals were seen in the current episode
    uint64_t last_report_s_ = 0;      // when the last line was logged
    uint64_t last_refusal_s_ = 0;     // the last second that saw a refusal
    LearnRefusals reported_;          // counters as of the last line (or the baseline)
    LearnRefusals episode_start_;     // counters when the episode began
};

}  // namespace dsw
