// The switch's counters as `show switch stats` reports them (every counter of the one list,
// DSW_SWITCH_COUNTERS, in JSON and in text alike) and a port's snapshot as `show port stats` does.
#include <optional>
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

TEST_F(SwitchTest, APortSnapshotHasTheSwitchAndPmdCountersAndShowPortStatsReportsThem) {
    std::optional<Switch::PortSnapshot> snap;
    before_stop_ = [&](Switch &sw) { snap = sw.port_snapshot(0); };
    run({{eth_frame(kB, kA), eth_frame(kB, kA), eth_frame(kB, kA)}, {}}, {"show port stats p0"});
    ASSERT_TRUE(snap.has_value());
    EXPECT_EQ(snap->name, "p0");
    EXPECT_EQ(snap->totals.rx_packets, 3u);
    EXPECT_EQ(snap->totals.rx_bytes, 3u * 60u);
    ASSERT_TRUE(snap->pmd.has_value()) << "net_pcap has ethdev stats";
    EXPECT_EQ(snap->pmd->imissed, 0u);
    EXPECT_FALSE(snap->kernel.has_value()) << "a dpdk port has no kernel interface";
    EXPECT_FALSE(snap->rx_ring_full.has_value()) << "nor a socket ring";
    const nlohmann::json &p = replies_.at(0).json["ports"][0];
    EXPECT_EQ(p["rx_packets"], snap->totals.rx_packets);
    EXPECT_EQ(p["rx_bytes"], snap->totals.rx_bytes);
    EXPECT_EQ(p["pmd"]["imissed"], snap->pmd->imissed);
    EXPECT_EQ(p["pmd"]["rx_nombuf"], snap->pmd->rx_nombuf);
    EXPECT_FALSE(p.contains("kernel"));
}

}  // namespace
}  // namespace dsw
