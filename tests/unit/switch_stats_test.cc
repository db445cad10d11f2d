// The switch's counters as `show switch stats` reports them: every counter of the one list
// (DSW_SWITCH_COUNTERS), in JSON and in text alike.
#include <string>

#include "switch_fixture.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::Frame;
using test::SwitchTest;
using test::kA;
using test::kB;
using test::kC;

TEST_F(SwitchTest, ShowSwitchStatsNamesEveryCounterInJsonAndText) {
    // p0 may hold one MAC, filled by a static one: frames from A count as learn_port_limit, so
    // a counter the text once left out is nonzero.
    run({{eth_frame(kB, kA), eth_frame(kB, kA)}, {}}, {"show switch stats"},
        {StaticMac{mac_to_string(kC), "p0", 0}}, [](size_t i, PortConfig &pc) { if (i == 0) pc.mac_limit = 1; });
    const Reply &r = replies_.at(0);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.json["learn_port_limit"], 2);
    for (unsigned i = 0; i < kSwitchCounters; ++i) {
        const char *name = kSwitchCounterNames[i];
        ASSERT_TRUE(r.json.contains(name)) << name;
        const std::string shown = std::string(name) + ": " + std::to_string(r.json[name].get<uint64_t>());
        EXPECT_NE(r.text.find(shown), std::string::npos) << "text lacks '" << shown << "':\n" << r.text;
    }
}

}  // namespace
}  // namespace dsw
