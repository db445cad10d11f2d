#include "dpdk_switch/control/learn_watch.h"

namespace dsw {

namespace {

std::string join(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

std::string describe(uint64_t full, uint64_t limit, uint64_t secs, const LearnRefusals &now) {
    std::string line = std::to_string(full + limit) + " new source MACs not learned in the last " +
                       std::to_string(secs) + " s:";
    if (full != 0)
        line += " MAC table full (" + std::to_string(now.entries) + "/" + std::to_string(now.capacity) +
                " entries): " + std::to_string(full) + ";";
    if (limit != 0)
        line += " mac_limit reached on port " + (now.ports_at_limit.empty() ? std::string("?") : join(now.ports_at_limit)) +
                ": " + std::to_string(limit) + ";";
    return line + " known MACs keep forwarding, frames to the unlearned ones are flooded";
}

}  // namespace

std::vector<std::string> LearnWatch::tick(uint64_t now_s, const LearnRefusals &now) {
    std::vector<std::string> lines;
    if (!primed_) {
        primed_ = true;
        reported_ = now;
        return lines;
    }
    const bool refusing = now.table_full != reported_.table_full || now.port_limit != reported_.port_limit;
    if (refusing) last_refusal_s_ = now_s;
    if (refusing && !active_) {
        // The first refusal of an episode is logged at once.
        active_ = true;
        episode_start_ = reported_;
        lines.push_back(describe(now.table_full - reported_.table_full, now.port_limit - reported_.port_limit, 1, now));
        reported_ = now;
        last_report_s_ = now_s;
    } else if (active_ && refusing && now_s - last_report_s_ >= every_s_) {
        lines.push_back(describe(now.table_full - reported_.table_full, now.port_limit - reported_.port_limit,
                                 now_s - last_report_s_, now));
        reported_ = now;
        last_report_s_ = now_s;
    } else if (active_ && !refusing && now_s - last_refusal_s_ >= every_s_) {
        // Quiet for a whole interval: the episode is over; say what it cost in all.
        active_ = false;
        const uint64_t total = (now.table_full - episode_start_.table_full) + (now.port_limit - episode_start_.port_limit);
        lines.push_back("MAC learning refusals stopped: " + std::to_string(total) +
                        " new source MACs were not learned in all; the table holds " + std::to_string(now.entries) +
                        "/" + std::to_string(now.capacity) + " entries");
        reported_ = now;
        last_report_s_ = now_s;
    }
    return lines;
}

}  // namespace dsw
