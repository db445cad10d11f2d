// Turns a cumulative count of trouble the workers only count (source MACs not learned, frames
// lost for want of mbufs) into an operator's log lines: one at once when it starts, then at
// most one summary per `every_s` while it goes on, and one when a whole interval passed quietly.
// A log call per frame would be a flood of its own; silence would leave only counters.
#pragma once

#include <cstdint>

namespace dsw {

class EpisodeLog {
public:
    enum class Event : uint8_t { none, started, summary, ended };
    struct Step {
        Event event = Event::none;
        uint64_t secs = 0;            // started/summary: the seconds the line covers
        uint64_t episode_total = 0;   // ended: the count over the whole episode
    };

    explicit EpisodeLog(uint64_t every_s = 10) : every_s_(every_s) {}

    // `total` is the cumulative count now; now_s any monotonic clock in seconds. The first call
    // only takes the baseline. On started/summary the caller reports what grew since its last
    // line (it keeps its own snapshot, which may split the count by kind).
    bool active() const noexcept { return active_; }

    Step tick(uint64_t now_s, uint64_t total) noexcept {
        Step s;
        if (!primed_) {
            primed_ = true;
            last_total_ = total;
            return s;
        }
        const uint64_t before = last_total_;
        const bool growing = total != before;
        last_total_ = total;
        if (growing) last_growth_s_ = now_s;
        if (growing && !active_) {
            active_ = true;
            episode_start_ = before;
            last_report_s_ = now_s;
            s = {Event::started, 1, 0};
        } else if (active_ && growing && now_s - last_report_s_ >= every_s_) {
            s = {Event::summary, now_s - last_report_s_, 0};
            last_report_s_ = now_s;
        } else if (active_ && !growing && now_s - last_growth_s_ >= every_s_) {
            active_ = false;
            s = {Event::ended, 0, total - episode_start_};
        }
        return s;
    }

private:
    uint64_t every_s_;
    bool primed_ = false;
    bool active_ = false;
    uint64_t last_total_ = 0;      // at the previous tick
    uint64_t episode_start_ = 0;   // before the current episode's first growth
    uint64_t last_report_s_ = 0, last_growth_s_ = 0;
};

}  // namespace dsw
