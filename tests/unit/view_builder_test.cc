// build_view on plain inputs, no switch and no device: who polls what, which TX queue each lcore
// sends on, the VLAN flood domains, the allowed-VLAN bits and the storm-control rates.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dpdk_switch/control/view_builder.h"

namespace dsw {
namespace {

ViewPort access_port(unsigned index, std::vector<unsigned> lcores, uint16_t vlan = 0) {
    ViewPort p;
    p.index = index;
    p.port_id = static_cast<uint16_t>(10 + index);
    std::string name("p");   // (built apart: GCC 12 warns falsely on `"p" + std::to_string(i)`, PR 105329)
    name += std::to_string(index);
    p.name = std::move(name);
    p.owner = lcores.front();
    p.queue_lcores = std::move(lcores);
    p.vlan = vlan;
    return p;
}

std::vector<uint16_t> members(const DataplaneView &v, uint16_t vlan) {
    const FloodDomain *d = v.domain(vlan);
    if (d == nullptr) return {};
    return {d->members, d->members + d->n};
}

TEST(ViewBuilder, EachQueueIsPolledByItsLcoreWhichSendsOnTheFirstQueueItPolls) {
    ViewInputs in;
    in.generation = 7;
    in.ports = {access_port(0, {1, 2}), access_port(3, {2})};
    const auto v = build_view(in);
    EXPECT_EQ(v->generation, 7u);
    ASSERT_EQ(v->workers[1].n, 1u);
    EXPECT_EQ(v->workers[1].unit[0].port, 0u);
    EXPECT_EQ(v->workers[1].unit[0].queue, 0u);
    ASSERT_EQ(v->workers[2].n, 2u);
    EXPECT_EQ(v->workers[2].unit[0].port, 0u);
    EXPECT_EQ(v->workers[2].unit[0].queue, 1u);
    EXPECT_EQ(v->workers[2].unit[1].port, 3u);
    EXPECT_EQ(v->workers[2].unit[1].queue, 0u);
    EXPECT_EQ(v->workers[0].n, 0u);
    // Port 0: lcore 1 sends on queue 0, lcore 2 on queue 1; any other lcore hands off on the ring.
    EXPECT_EQ(v->ports[0].txq[1], 0);
    EXPECT_EQ(v->ports[0].txq[2], 1);
    EXPECT_EQ(v->ports[0].txq[3], -1);
    EXPECT_EQ(v->ports[3].txq[2], 0);
    EXPECT_EQ(v->ports[3].txq[1], -1);
}

TEST(ViewBuilder, AnLcorePollingTwoQueuesOfAPortSendsOnTheFirst) {
    ViewInputs in;
    in.ports = {access_port(0, {1, 2, 1, 2})};
    const auto v = build_view(in);
    EXPECT_EQ(v->workers[1].n, 2u);
    EXPECT_EQ(v->workers[2].n, 2u);
    EXPECT_EQ(v->ports[0].txq[1], 0);
    EXPECT_EQ(v->ports[0].txq[2], 1);
}

TEST(ViewBuilder, APortsOwnValuesAreCarriedAndOnlyGivenPortsArePresent) {
    rte_ring *ring = reinterpret_cast<rte_ring *>(0x1000);
    CaptureTap *tap = reinterpret_cast<CaptureTap *>(0x2000);
    ViewPort p = access_port(5, {2, 1});
    p.ring = ring;
    p.capture = tap;
    p.max_frame = 1518;
    p.down = true;
    ViewInputs in;
    in.ports = {p};
    const auto v = build_view(in);
    for (unsigned i = 0; i < kMaxPorts; ++i) EXPECT_EQ(v->ports[i].present, i == 5) << i;
    const PortSlot &s = v->ports[5];
    EXPECT_EQ(s.port_id, 15u);
    EXPECT_EQ(s.owner, 2u);
    EXPECT_EQ(s.ring, ring);
    EXPECT_EQ(s.capture, tap);
    EXPECT_EQ(s.max_frame, 1518u);
    EXPECT_TRUE(s.down);
    EXPECT_FALSE(s.trunk);
}

TEST(ViewBuilder, FloodDomainsAndAllowedVlansFollowAccessAndTrunkPorts) {
    ViewPort untagged = access_port(0, {1});
    ViewPort access10 = access_port(1, {1}, 10);
    ViewPort trunk = access_port(2, {1});
    trunk.trunk = {10, 20, 4094};
    ViewInputs in;
    in.ports = {untagged, access10, trunk};
    const auto v = build_view(in);
    EXPECT_EQ(members(*v, 0), (std::vector<uint16_t>{0}));
    EXPECT_EQ(members(*v, 10), (std::vector<uint16_t>{1, 2}));
    EXPECT_EQ(members(*v, 20), (std::vector<uint16_t>{2}));
    EXPECT_EQ(members(*v, 4094), (std::vector<uint16_t>{2}));
    EXPECT_EQ(v->domain(30), nullptr);
    EXPECT_EQ(v->n_domains, 4u);

    EXPECT_TRUE(v->ports[0].carries(0));
    EXPECT_FALSE(v->ports[0].carries(10));
    EXPECT_TRUE(v->ports[1].carries(10));
    EXPECT_FALSE(v->ports[1].carries(0));
    EXPECT_EQ(v->ports[1].access_vlan, 10u);
    EXPECT_TRUE(v->ports[2].trunk);
    for (uint16_t vid : {10, 20, 4094}) EXPECT_TRUE(v->ports[2].carries(vid)) << vid;
    for (uint16_t vid : {0, 11, 64, 4095}) EXPECT_FALSE(v->ports[2].carries(vid)) << vid;
}

TEST(ViewBuilder, StormRatesAreWorkedOutPerFloodKind) {
    ViewPort p = access_port(0, {1});
    p.storm_pps[kFloodBroadcast] = 1000;
    p.storm_pps[kFloodUnknownUnicast] = 50;
    ViewInputs in;
    in.tsc_hz = 2'000'000'000;
    in.ports = {p};
    const auto v = build_view(in);
    const StormRate *s = v->ports[0].storm;
    // 1000 pps at 2 GHz: one frame every 2e6 cycles, in 1/16 cycles; a burst of 100 ms (100 frames).
    EXPECT_EQ(s[kFloodBroadcast].interval, 2'000'000u << StormRate::kFrac);
    EXPECT_EQ(s[kFloodBroadcast].tau, 100u * s[kFloodBroadcast].interval);
    EXPECT_EQ(s[kFloodMulticast].interval, 0u) << "no limit";
    // 50 pps: 100 ms would be 5 frames, so a burst's worth (kMaxBurst) is allowed at once.
    EXPECT_EQ(s[kFloodUnknownUnicast].interval, 40'000'000u << StormRate::kFrac);
    EXPECT_EQ(s[kFloodUnknownUnicast].tau, uint64_t{kMaxBurst} * s[kFloodUnknownUnicast].interval);
}

TEST(ViewBuilder, QueuesBeyondWhatAnLcoreMayPollAreLeftOut) {
    ViewInputs in;
    in.ports = {access_port(0, std::vector<unsigned>(kMaxUnits + 3, 1))};
    const auto v = build_view(in);
    EXPECT_EQ(v->workers[1].n, kMaxUnits);
    EXPECT_EQ(v->workers[1].unit[kMaxUnits - 1].queue, kMaxUnits - 1);
    EXPECT_EQ(v->ports[0].txq[1], 0);
}

}  // namespace
}  // namespace dsw
