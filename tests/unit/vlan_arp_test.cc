// VLANs and the ARP proxy on a whole switch (net_pcap in, net_pcap out).
//
//   p0 access VLAN 10 ─┐                 ┌─ p2 access VLAN 10
//   p1 access VLAN 20 ─┤ worker, lcore 1 ├─ p3 trunk [10, 20] (802.1Q tagged)
#include "switch_fixture.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::Frame;
using test::kA;
using test::kB;
using test::kBcast;
using test::kC;
using test::mac;
using test::SwitchTest;
using test::tagged;


void vlan_layout(size_t i, PortConfig &pc) {
    switch (i) {
    case 0: pc.vlan = 10; break;
    case 1: pc.vlan = 20; break;
    case 2: pc.vlan = 10; break;
    case 3: pc.trunk = {10, 20}; break;
    }
}

unsigned drops(const PortTotals &t, DropReason r) { return static_cast<unsigned>(t.drops[static_cast<unsigned>(r)]); }

TEST_F(SwitchTest, BroadcastStaysInItsVlanAndIsTaggedOnTheTrunk) {
    const Frame b = eth_frame(kBcast, kA);
    run({{b}, {}, {}, {}}, {}, {}, vlan_layout);
    EXPECT_TRUE(tx_[1].empty()) << "VLAN 20 must not see VLAN 10's broadcast";
    EXPECT_EQ(tx_[2], (std::vector<Frame>{b}));
    EXPECT_EQ(tx_[3], (std::vector<Frame>{tagged(b, 10)}));
}

TEST_F(SwitchTest, PoolExhaustedWhileTaggingIsCountedAndTheOthersStillGetTheFlood) {
    // Only 48 free mbufs: RX takes a burst of 32, the trunk's tagged variants (a header and a
    // clone each) soon find the pool empty. The access port still gets every broadcast; each
    // one the trunk misses is counted as no_mbufs on the ingress port, none is lost unsaid.
    std::vector<Frame> burst;
    for (unsigned i = 0; i < 512; ++i) burst.push_back(eth_frame(kBcast, kA, 0x0800, 60 + i % 64));
    before_start_ = [this](Switch &sw) {
        starve_pool(sw, 48);
        sw.housekeeping();   // as the main loop does at start: the shortage watch takes its baseline
    };
    // And the operator hears of it: housekeeping (once a second in the switch) logs the shortage.
    std::string log;
    before_stop_ = [&log](Switch &sw) {
        char *buf = nullptr;
        size_t len = 0;
        FILE *mem = open_memstream(&buf, &len);
        FILE *was = rte_log_get_stream();
        rte_openlog_stream(mem);
        sw.housekeeping();
        rte_openlog_stream(was);
        std::fclose(mem);
        log.assign(buf, len);
        std::free(buf);
    };
    run({burst, {}, {}, {}}, {}, {}, vlan_layout);
    EXPECT_NE(log.find("mbuf pool short"), std::string::npos) << log;
    const uint64_t received = totals_[0].rx_packets;
    const unsigned missed = drops(totals_[0], DropReason::no_mbufs);
    ASSERT_GT(received, 0u);
    EXPECT_GT(missed, 0u) << "the pool never ran dry: the test did not test anything";
    EXPECT_EQ(tx_[2].size(), received) << "the access port of the same VLAN must get every broadcast";
    EXPECT_EQ(tx_[3].size() + missed, received) << "every broadcast is tagged onto the trunk or counted";
    for (const Frame &f : tx_[3]) EXPECT_EQ(f[12], 0x81) << "untagged frame on the trunk";
    EXPECT_TRUE(tx_[1].empty());
}

TEST_F(SwitchTest, TrunkFramesLeaveUntaggedOnAccessPortsOfTheirVlanOnly) {
    const Frame b = eth_frame(kBcast, kB);
    run({{}, {}, {}, {tagged(b, 20)}}, {}, {}, vlan_layout);
    EXPECT_EQ(tx_[1], (std::vector<Frame>{b}));
    EXPECT_TRUE(tx_[0].empty());
    EXPECT_TRUE(tx_[2].empty());
}

TEST_F(SwitchTest, KnownUnicastIsRetaggedAtTheEdge) {
    // A learned on p0 (VLAN 10); the trunk sends to A in VLAN 10: A gets it untagged.
    const Frame a_bcast = eth_frame(kBcast, kA), c_to_a = eth_frame(kA, kC);
    run({{a_bcast}, {}, {}, {tagged(c_to_a, 10)}}, {}, {}, vlan_layout);
    EXPECT_EQ(tx_[0], (std::vector<Frame>{c_to_a}));
    EXPECT_EQ(tx_[3], (std::vector<Frame>{tagged(a_bcast, 10)}));
    EXPECT_EQ(totals_[0].tx_bytes, c_to_a.size()) << "counted as sent: the tag popped";
    EXPECT_EQ(totals_[3].tx_bytes, a_bcast.size() + 4) << "counted as sent: the tag pushed";
}

// Bursts of one flow (one L2 header, sizes differing) take the whole-burst path, which counts
// TX bytes from the sum classify made: a popped or pushed tag must show in it.
struct OneFlowBurst {
    std::vector<Frame> tagged_c_to_a, c_to_a, a_to_c, tagged_a_to_c;
    uint64_t bytes = 0;   // untagged
    OneFlowBurst() {
        for (unsigned i = 0; i < 20; ++i) {
            const size_t len = 60 + 7 * i;
            c_to_a.push_back(eth_frame(kA, kC, 0x0800, len));
            tagged_c_to_a.push_back(tagged(c_to_a.back(), 10));
            a_to_c.push_back(eth_frame(kC, kA, 0x0800, len));
            tagged_a_to_c.push_back(tagged(a_to_c.back(), 10));
            bytes += len;
        }
    }
    static std::vector<StaticMac> statics() {
        return {StaticMac{mac_to_string(kA), "p0", 10}, StaticMac{mac_to_string(kC), "p3", 10}};
    }
};

TEST_F(SwitchTest, ABurstOfOneFlowLeavesATrunkWithItsTagsPoppedAndCounted) {
    const OneFlowBurst f;
    run({{}, {}, {}, f.tagged_c_to_a}, {}, OneFlowBurst::statics(), vlan_layout);
    EXPECT_EQ(tx_[0], f.c_to_a);
    EXPECT_EQ(totals_[3].rx_bytes, f.bytes + 20 * 4);
    EXPECT_EQ(totals_[0].tx_bytes, f.bytes);
}

TEST_F(SwitchTest, ABurstOfOneFlowEntersATrunkWithTagsPushedAndCounted) {
    const OneFlowBurst f;
    run({f.a_to_c, {}, {}, {}}, {}, OneFlowBurst::statics(), vlan_layout);
    EXPECT_EQ(tx_[3], f.tagged_a_to_c);
    EXPECT_EQ(totals_[0].rx_bytes, f.bytes);
    EXPECT_EQ(totals_[3].tx_bytes, f.bytes + 20 * 4);
}

TEST_F(SwitchTest, UntaggedUnicastToATrunkIsTagged) {
    const Frame a_to_c = eth_frame(kC, kA);
    run({{a_to_c}, {}, {}, {}}, {}, {StaticMac{mac_to_string(kC), "p3", 10}}, vlan_layout);
    EXPECT_EQ(tx_[3], (std::vector<Frame>{tagged(a_to_c, 10)}));
    EXPECT_EQ(totals_[3].tx_bytes, a_to_c.size() + 4);
    EXPECT_TRUE(tx_[2].empty()) << "known unicast is not flooded";
}

TEST_F(SwitchTest, WrongTaggingIsDroppedAndCounted) {
    run({{tagged(eth_frame(kBcast, kA), 10)}, {}, {}, {eth_frame(kBcast, kB), tagged(eth_frame(kBcast, kC), 30)}}, {}, {},
        vlan_layout);
    EXPECT_EQ(drops(totals_[0], DropReason::vlan_not_allowed), 1u) << "tagged frame on an access port";
    EXPECT_EQ(drops(totals_[3], DropReason::vlan_not_allowed), 2u) << "untagged and unlisted VLAN on a trunk";
    for (const auto &t : tx_) EXPECT_TRUE(t.empty());
}

// 802.1Q priority tags: a tag with VID 0 carries only a priority (PCP) and puts the frame in
// the VLAN of the port it enters. TCI 0xa000: PCP 5, VID 0.
constexpr uint16_t kPcp5Vid0 = 0xa000;

TEST_F(SwitchTest, PriorityTaggedFramesOnAnAccessPortJoinItsVlan) {
    // From A on p0 (access VLAN 10): a burst of 32 frames of one flow (the whole-burst path),
    // then a broadcast in a burst of its own (the per-frame path).
    const Frame b = eth_frame(kBcast, kA), a_to_c = eth_frame(kC, kA);
    std::vector<Frame> rx(32, tagged(a_to_c, kPcp5Vid0));
    rx.push_back(tagged(b, kPcp5Vid0));
    run({rx, {}, {}, {}}, {"show mac table vlan 10"}, {StaticMac{mac_to_string(kC), "p3", 10}}, vlan_layout);
    EXPECT_EQ(drops(totals_[0], DropReason::vlan_not_allowed), 0u);
    EXPECT_EQ(tx_[2], (std::vector<Frame>{b})) << "to an access port of VLAN 10: without the priority tag";
    std::vector<Frame> to_trunk(32, tagged(a_to_c, 10));
    to_trunk.push_back(tagged(b, 10));
    EXPECT_EQ(tx_[3], to_trunk) << "to the trunk: tagged with VLAN 10";
    EXPECT_TRUE(tx_[1].empty()) << "VLAN 20 sees nothing";
    EXPECT_EQ(totals_[0].rx_bytes, 33 * (b.size() + 4)) << "received with its tag";
    EXPECT_EQ(totals_[3].tx_bytes, 33 * (b.size() + 4));
    ASSERT_EQ(replies_[0].json["entries"].size(), 2u);   // A learned in VLAN 10 (and static C)
}

TEST_F(SwitchTest, PriorityTaggedFramesOnAnUntaggedPortStayInTheDefaultVlan) {
    const Frame b = eth_frame(kBcast, kA);
    run({{tagged(b, kPcp5Vid0)}, {}, {}});
    EXPECT_EQ(tx_[1], (std::vector<Frame>{b}));
    EXPECT_EQ(tx_[2], (std::vector<Frame>{b}));
    EXPECT_EQ(drops(totals_[0], DropReason::vlan_not_allowed), 0u);
}

TEST_F(SwitchTest, PriorityTaggedFramesOnATrunkWithoutANativeVlanAreDroppedAndCounted) {
    run({{}, {}, {}, {tagged(eth_frame(kBcast, kC), kPcp5Vid0), tagged(eth_frame(kBcast, kC), 0)}}, {}, {}, vlan_layout);
    EXPECT_EQ(drops(totals_[3], DropReason::vlan_not_allowed), 2u);
    for (const auto &t : tx_) EXPECT_TRUE(t.empty());
}

TEST_F(SwitchTest, SameMacInTwoVlansIsLearnedTwice) {
    run({{eth_frame(kBcast, kA)}, {eth_frame(kBcast, kA)}, {}, {}}, {"show mac table vlan 10", "show mac table vlan 20"}, {},
        vlan_layout);
    ASSERT_EQ(replies_[0].json["entries"].size(), 1u);
    EXPECT_EQ(replies_[0].json["entries"][0]["port"], "p0");
    ASSERT_EQ(replies_[1].json["entries"].size(), 1u);
    EXPECT_EQ(replies_[1].json["entries"][0]["port"], "p1");
}

// ---- ARP proxy: three access ports of the default VLAN ----

constexpr uint32_t kIpA = 0x0a000001, kIpB = 0x0a000002, kIpC = 0x0a000003;

Frame arp(uint16_t op, uint64_t eth_dst, uint64_t sha, uint32_t spa, uint64_t tha, uint32_t tpa) {
    Frame f = eth_frame(eth_dst, sha, 0x0806, 60);
    const uint8_t body[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, static_cast<uint8_t>(op)};
    std::copy(body, body + 8, f.begin() + 14);
    auto put_mac = [&](size_t at, uint64_t m) { std::memcpy(f.data() + at, &m, 6); };
    auto put_ip = [&](size_t at, uint32_t ip) {
        for (int k = 0; k < 4; ++k) f[at + k] = static_cast<uint8_t>(ip >> (24 - 8 * k));
    };
    put_mac(22, sha);
    put_ip(28, spa);
    put_mac(32, tha);
    put_ip(38, tpa);
    return f;
}
Frame who_has(uint64_t sha, uint32_t spa, uint32_t tpa) { return arp(1, kBcast, sha, spa, 0, tpa); }

TEST_F(SwitchTest, ArpRequestForAKnownBindingIsAnsweredAndNotFlooded) {
    const Frame a_asks = who_has(kA, kIpA, kIpB);          // nobody knows B yet: flooded
    const Frame b_answers = arp(2, kA, kB, kIpB, kA, kIpA); // teaches the switch B's binding
    const Frame c_asks = who_has(kC, kIpC, kIpB);          // answered by the switch
    run({{a_asks}, {b_answers}, {c_asks}}, {"show arp table", "show switch stats"});
    // The reply B would have sent to C, byte for byte (padding kept from the request).
    const Frame expected_reply = arp(2, kC, kB, kIpB, kC, kIpC);
    EXPECT_EQ(tx_[2], (std::vector<Frame>{a_asks, expected_reply}));
    EXPECT_EQ(tx_[1], (std::vector<Frame>{a_asks})) << "the owner never sees C's request";
    EXPECT_EQ(tx_[0], (std::vector<Frame>{b_answers}));
    EXPECT_EQ(replies_[0].json["entries"].size(), 3u);   // A, B and C, each from its own ARP
    EXPECT_EQ(replies_[1].json["arp_proxy_replies"], 1);
    EXPECT_EQ(replies_[1].json["arp_learned"], 3);
}

TEST_F(SwitchTest, ProbesGratuitousAndOwnerRequestsAreNeverAnswered) {
    const Frame b_teaches = arp(2, kA, kB, kIpB, kA, kIpA);
    const Frame probe = who_has(kC, 0, kIpB);              // RFC 5227 probe: sender IP 0
    const Frame gratuitous = who_has(kC, kIpB, kIpB);      // sender IP = target IP
    const Frame owner_asks = who_has(kB, kIpB, kIpB + 0);  // B about itself (also gratuitous)
    run({{}, {b_teaches}, {probe, gratuitous, owner_asks}}, {"show switch stats"});
    EXPECT_EQ(replies_[0].json["arp_proxy_replies"], 0);
    EXPECT_EQ(tx_[1].size(), 3u) << "all three flooded to the owner's port";
}

TEST_F(SwitchTest, StaticBindingIsAnsweredAndAMovedBindingIsCounted) {
    const Frame c_asks = who_has(kC, kIpC, kIpA);
    const Frame b_claims_a = arp(2, kC, kB, kIpA, kC, kIpC);   // B now claims A's address
    run({{}, {b_claims_a}, {c_asks}}, {"show switch stats"}, {}, {},
        [](Config &cfg) { cfg.arp = {StaticArp{"10.0.0.1", "02:00:00:00:00:0a"}}; });
    // p2 gets B's reply (to C, unknown yet: flooded) and the switch's answer from the static
    // binding: a claim does not override configured truth.
    EXPECT_EQ(tx_[2], (std::vector<Frame>{b_claims_a, arp(2, kC, kA, kIpA, kC, kIpC)}));
    EXPECT_EQ(replies_[0].json["arp_moves"], 0);
}

TEST_F(SwitchTest, ALearnedBindingThatChangesMacIsMovedAndCounted) {
    const Frame b_has_ip = arp(2, kA, kB, kIpB, kA, kIpA);
    const Frame c_claims_ip = arp(2, kA, kC, kIpB, kA, kIpA);   // what an ARP spoofer sends
    run({{}, {b_has_ip}, {c_claims_ip}}, {"show switch stats", "show arp table"});
    EXPECT_EQ(replies_[0].json["arp_moves"], 1);
    bool now_c = false;
    for (const auto &e : replies_[1].json["entries"])
        if (e["ip"] == "10.0.0.2") now_c = e["mac"] == "02:00:00:00:00:0c" && e["port"] == "p2";
    EXPECT_TRUE(now_c);
}

TEST_F(SwitchTest, MalformedArpIsDroppedAndCounted) {
    Frame bad_len = who_has(kA, kIpA, kIpB);
    bad_len[18] = 8;   // hardware length 8
    Frame short_arp = who_has(kA, kIpA, kIpB);
    short_arp.resize(30);
    // A group sender MAC in a valid frame: learning it would bind 10.0.0.1 to a broadcast
    // address for everyone who asks (the fuzzer's find).
    Frame group_sha = arp(2, kB, kA, kIpA, kB, kIpB);
    group_sha[22] = 0xff, group_sha[23] = 0xff, group_sha[24] = 0xff, group_sha[25] = 0xff, group_sha[26] = 0xff,
    group_sha[27] = 0xff;
    run({{bad_len, short_arp, group_sha}, {}}, {"show arp table"});
    EXPECT_EQ(drops(totals_[0], DropReason::arp_malformed), 2u);
    EXPECT_EQ(replies_[0].json["entries"].size(), 0u) << "nothing learned from a bad sender";
    EXPECT_EQ(drops(totals_[0], DropReason::arp_truncated), 1u);
    EXPECT_TRUE(tx_[1].empty());
}

TEST_F(SwitchTest, ProxyOffSwitchesArpLikeAnyFrame) {
    const Frame b_answers = arp(2, kA, kB, kIpB, kA, kIpA);
    const Frame c_asks = who_has(kC, kIpC, kIpB);
    run({{}, {b_answers}, {c_asks}}, {}, {}, {}, [](Config &cfg) { cfg.sw.arp_proxy = false; });
    EXPECT_EQ(tx_[1], (std::vector<Frame>{c_asks}));
}

}  // namespace
}  // namespace dsw
