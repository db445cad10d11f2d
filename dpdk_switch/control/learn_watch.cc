#include "dpdk_switch/control/learn_watch.h"

namespace dsw {

namespace {

std::string join(const std::vector<std::string> &v) {
    std::string out;
    for (const auto &s : v) out += (out.empty() ? "" : ", ") + s;
    return out;
}

}  // namespace

std::vector<std::string> LearnWatch::tick(uint64_t now_s, const LearnRefusals &now) {
    std::vector<std::string> lines;
    const EpisodeLog::Step step = episode_.tick(now_s, now.table_full + now.port_limit);
    switch (step.event) {
    case EpisodeLog::Event::none: break;
    case EpisodeLog::Event::started:
    case EpisodeLog::Event::summary: {
        // What grew since the last line, by kind (the baseline is the last line's snapshot, or
        // the quiet state just before this episode).
        const uint64_t full = now.table_full - reported_.table_full, limit = now.port_limit - reported_.port_limit;
        std::string line = std::to_string(full + limit) + " new source MACs not learned in the last " +
                           std::to_string(step.secs) + " s:";
        if (full != 0)
            line += " MAC table full (" + std::to_string(now.entries) + "/" + std::to_string(now.capacity) +
                    " entries): " + std::to_string(full) + ";";
        if (limit != 0)
            line += " mac_limit reached on port " +
                    (now.ports_at_limit.empty() ? std::string("?") : join(now.ports_at_limit)) + ": " +
                    std::to_string(limit) + ";";
        lines.push_back(line + " known MACs keep forwarding, frames to the unlearned ones are flooded");
        break;
    }
    case EpisodeLog::Event::ended:
        lines.push_back("MAC learning refusals stopped: " + std::to_string(step.episode_total) +
                        " new source MACs were not learned in all; the table holds " + std::to_string(now.entries) +
                        "/" + std::to_string(now.capacity) + " entries");
        break;
    }
    // While quiet the snapshot follows the counters, so an episode's first line counts only itself.
    if (step.event != EpisodeLog::Event::none || !episode_.active()) reported_ = now;
    return lines;
}

}  // namespace dsw
