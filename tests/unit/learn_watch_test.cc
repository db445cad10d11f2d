// The log lines of learning refusals: one at once, summaries no more than once per interval,
// one when they stop, nothing while all is quiet.
#include <gtest/gtest.h>

#include "dpdk_switch/control/learn_watch.h"

namespace dsw {
namespace {

LearnRefusals at(uint64_t full, uint64_t limit, std::vector<std::string> ports = {}) {
    LearnRefusals r;
    r.table_full = full;
    r.port_limit = limit;
    r.entries = 1024;
    r.capacity = 1024;
    r.ports_at_limit = std::move(ports);
    return r;
}

TEST(LearnWatch, QuietSwitchLogsNothing) {
    LearnWatch w(10);
    for (uint64_t s = 0; s < 100; ++s) EXPECT_TRUE(w.tick(s, at(7, 3)).empty()) << s;  // old counts are no news
}

TEST(LearnWatch, FirstRefusalAtOnceThenSummariesThenEnd) {
    LearnWatch w(10);
    EXPECT_TRUE(w.tick(0, at(0, 0)).empty());
    auto first = w.tick(1, at(500, 0));
    ASSERT_EQ(first.size(), 1u);
    EXPECT_NE(first[0].find("500 new source MACs not learned"), std::string::npos) << first[0];
    EXPECT_NE(first[0].find("MAC table full (1024/1024 entries)"), std::string::npos) << first[0];
    // A refusal every second: the next line comes 10 s after the first, with the sum.
    uint64_t full = 500;
    for (uint64_t s = 2; s < 11; ++s) EXPECT_TRUE(w.tick(s, at(full += 100, 0)).empty()) << s;
    auto summary = w.tick(11, at(full += 100, 0));
    ASSERT_EQ(summary.size(), 1u);
    EXPECT_NE(summary[0].find("1000 new source MACs not learned in the last 10 s"), std::string::npos) << summary[0];
    // Quiet from now: a line after a whole quiet interval, with the episode's total.
    for (uint64_t s = 12; s < 21; ++s) EXPECT_TRUE(w.tick(s, at(full, 0)).empty()) << s;
    auto end = w.tick(21, at(full, 0));
    ASSERT_EQ(end.size(), 1u);
    EXPECT_NE(end[0].find("stopped: 1500 new source MACs"), std::string::npos) << end[0];
    EXPECT_TRUE(w.tick(40, at(full, 0)).empty());
}

TEST(LearnWatch, PortLimitNamesThePort) {
    LearnWatch w(10);
    (void)w.tick(0, at(0, 0));
    auto lines = w.tick(1, at(0, 42, {"c1 (100/100)"}));
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_NE(lines[0].find("mac_limit reached on port c1 (100/100): 42"), std::string::npos) << lines[0];
    EXPECT_EQ(lines[0].find("table full"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace dsw
