// The switch as a VTEP, whole, on net_pcap ports: port 0 is the underlay (its frames replayed
// first in each poll, so an ARP reply there resolves a remote VTEP before the local ports'
// frames need it), ports 1 and 2 are access ports of VLAN 10 <-> VNI 1010. Expected frames are
// built by hand here, byte for byte, not by the code under test.
#include <arpa/inet.h>

#include <algorithm>
#include <map>
#include <utility>
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/control/running_config.h"
#include "switch_fixture.h"

namespace dsw::test {
namespace {

constexpr uint32_t kVni = 1010;
const char *kLocal = "192.168.9.1", *kVtepB = "192.168.9.2", *kVtepC = "192.168.9.3";
const uint64_t kVtepBMac = mac(0x02, 0xbb, 0, 0, 0, 2), kVtepCMac = mac(0x02, 0xcc, 0, 0, 0, 3);
const uint64_t kRemoteHost = mac(0x02, 0, 0, 0, 0x0b, 0x01);

void put16(Frame &f, size_t at, uint16_t v) {
    f[at] = static_cast<uint8_t>(v >> 8);
    f[at + 1] = static_cast<uint8_t>(v);
}
void put_ip(Frame &f, size_t at, const char *ip) {
    in_addr a{};
    inet_pton(AF_INET, ip, &a);
    std::memcpy(&f[at], &a, 4);
}
void put_mac(Frame &f, size_t at, uint64_t m) { std::memcpy(&f[at], &m, 6); }
uint16_t get16(const Frame &f, size_t at) { return static_cast<uint16_t>((f[at] << 8) | f[at + 1]); }

uint16_t ip_checksum(const Frame &f, size_t at) {
    uint32_t sum = 0;
    for (size_t i = 0; i < 20; i += 2)
        if (i != 10) sum += get16(f, at + i);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<uint16_t>(~sum);
}

// Outer Ethernet/IPv4/UDP/VXLAN around `inner`, as RFC 7348 draws it.
Frame vxlan(uint64_t dst_mac, uint64_t src_mac, const char *src_ip, const char *dst_ip, uint16_t sport,
            uint32_t vni, const Frame &inner, uint16_t dport = 4789, uint8_t flags = 0x08) {
    Frame f = eth_frame(dst_mac, src_mac, 0x0800, 50);
    f[14] = 0x45;
    put16(f, 16, static_cast<uint16_t>(36 + inner.size()));
    put16(f, 20, 0x4000);   // DF
    f[22] = 64;
    f[23] = 17;
    put_ip(f, 26, src_ip);
    put_ip(f, 30, dst_ip);
    put16(f, 24, ip_checksum(f, 14));
    put16(f, 34, sport);
    put16(f, 36, dport);
    put16(f, 38, static_cast<uint16_t>(16 + inner.size()));
    f[42] = flags;
    f[46] = static_cast<uint8_t>(vni >> 16);
    f[47] = static_cast<uint8_t>(vni >> 8);
    f[48] = static_cast<uint8_t>(vni);
    f.insert(f.end(), inner.begin(), inner.end());
    return f;
}

Frame arp(uint16_t op, uint64_t sha, const char *spa, uint64_t tha, const char *tpa) {
    Frame f = eth_frame(op == 1 ? kBcast : tha, sha, 0x0806, 60);
    put16(f, 14, 1);
    put16(f, 16, 0x0800);
    f[18] = 6;
    f[19] = 4;
    put16(f, 20, op);
    put_mac(f, 22, sha);
    put_ip(f, 28, spa);
    put_mac(f, 32, tha);
    put_ip(f, 38, tpa);
    return f;
}

bool is_vxlan(const Frame &f) { return f.size() >= 50 && get16(f, 12) == 0x0800 && f[23] == 17 && get16(f, 36) == 4789; }

std::vector<Frame> vxlan_frames(const std::vector<Frame> &tx) {
    std::vector<Frame> out;
    for (const Frame &f : tx)
        if (is_vxlan(f)) out.push_back(f);
    return out;
}

class VxlanTest : public SwitchTest {
protected:
    // Ports: 0 the underlay, 1 and 2 access ports of VLAN 10. `remotes` flood for VNI 1010.
    void run_vtep(const std::vector<std::vector<Frame>> &rx, std::vector<std::string> remotes = {kVtepB},
                  bool learn_vteps = true, const std::vector<std::string> &commands = {}) {
        before_stop_ = [this](Switch &sw) {
            local_mac_ = sw.vxlan()->local_mac;
            if (on_stop_) on_stop_(sw);
        };
        run(
            rx, commands, statics_,
            [](size_t i, PortConfig &pc) {
                if (i != 0) pc.vlan = 10;
            },
            [&](Config &cfg) {
                cfg.vxlan.enabled = true;
                cfg.vxlan.local_ip = kLocal;
                cfg.vxlan.underlay = "p0";
                cfg.vxlan.learn_vteps = learn_vteps;
                cfg.vxlan.vni_map = {{10, kVni, remotes}};
                if (vx_tweak_) vx_tweak_(cfg.vxlan);
            });
    }
    uint64_t local_mac_ = 0;
    std::function<void(VxlanConfig &)> vx_tweak_;
    std::vector<StaticMac> statics_;
    std::function<void(Switch &)> on_stop_;
};

TEST_F(VxlanTest, FloodFromAVtepReachesLocalPortsOnly) {
    // Split horizon: a broadcast out of B's tunnel goes to the local ports, never to C (every
    // VTEP floods to every other itself).
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), arp(2, kVtepCMac, kVtepC, 0, kLocal), hello}, {}, {}},
             {kVtepB, kVtepC});
    ASSERT_EQ(tx_[1].size(), 1u);
    EXPECT_EQ(tx_[1][0], eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    EXPECT_EQ(tx_[2].size(), 1u);
    EXPECT_TRUE(vxlan_frames(tx_[0]).empty());
}

TEST_F(VxlanTest, OutOfOneTunnelNeverIntoAnother) {
    // A host behind C is known; B sends it a frame (B floods unknown unicast to every VTEP,
    // C included): forwarding B's copy to C would teach C that B's host is behind us.
    const uint64_t c_host = mac(0x02, 0, 0, 0, 0x0c, 0x01);
    const Frame from_c = vxlan(0, kVtepCMac, kVtepC, kLocal, 50002, kVni, eth_frame(kBcast, c_host, 0x0800, 60));
    const Frame b_to_c = vxlan(0, kVtepBMac, kVtepB, kLocal, 50003, kVni, eth_frame(c_host, kRemoteHost, 0x0800, 70));
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), arp(2, kVtepCMac, kVtepC, 0, kLocal), from_c, b_to_c}, {}, {}},
             {kVtepB, kVtepC}, true, {"show vxlan"});
    EXPECT_TRUE(vxlan_frames(tx_[0]).empty()) << "a frame went from one tunnel into another";
    EXPECT_EQ(tx_[1].size(), 1u) << "C's broadcast only";
    uint64_t hairpin = 0;
    for (const auto &v : replies_[0].json["vteps"])
        if (v["ip"] == kVtepB) hairpin = v["drops"].value("hairpin", uint64_t{0});
    EXPECT_EQ(hairpin, 1u) << replies_[0].json.dump();
}

TEST_F(VxlanTest, EncapsulationOfKnownUnicastAndLearningBehindTheVtep) {
    const Frame inner = eth_frame(kRemoteHost, kA, 0x0800, 100);
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    // Port 0 comes first in the poll: B resolved and kRemoteHost learned before p1's frame.
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), hello}, {inner}, {}}, {kVtepB}, true, {"show mac table"});
    const std::vector<Frame> out = vxlan_frames(tx_[0]);
    ASSERT_EQ(out.size(), 1u);
    const Frame &f = out[0];
    const uint16_t sport = get16(f, 34);
    EXPECT_GE(sport, 49152);
    EXPECT_EQ(f, vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, sport, kVni, inner));
    EXPECT_EQ(get16(f, 40), 0) << "UDP checksum 0 over IPv4";
    EXPECT_EQ(tx_[2].size(), 1u) << "the hello's flood only: known unicast goes to B alone";
    // kRemoteHost is behind B's VTEP, in VLAN 10.
    bool found = false;
    for (const auto &e : replies_[0].json["entries"])
        if (e["mac"] == "02:00:00:00:0b:01") {
            found = true;
            EXPECT_EQ(e["port"], std::string("vtep:") + kVtepB);
            EXPECT_EQ(e["vlan"], 10);
        }
    EXPECT_TRUE(found);
}

TEST_F(VxlanTest, AFlowsFramesToAVtepKeepTheirOrderWhenTheFirstIsFlooded) {
    // kA's broadcast (a flood: a shared copy, encapsulated at flush) and then kA's unicast to
    // the host behind B (its own frame, encapsulated as it is staged) in one burst: they leave
    // the underlay in that order, as they came.
    const Frame bcast = eth_frame(kBcast, kA, 0x0800, 80);
    const Frame inner = eth_frame(kRemoteHost, kA, 0x0800, 100);
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), hello}, {bcast, inner}, {}});
    const std::vector<Frame> out = vxlan_frames(tx_[0]);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(out[0], 34), kVni, bcast));
    EXPECT_EQ(out[1], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(out[1], 34), kVni, inner))
        << "the unicast overtook the broadcast before it";
}

TEST_F(VxlanTest, ABurstToSeveralVtepsLeavesEncapsulatedFrameByFrame) {
    // One burst of p1 whose frames go to hosts behind B and C in turn (not one decision: the
    // worker's VTEP burst path, the frames queued and encapsulated together at the end of the
    // loop): each frame's outer headers its own (lengths, IPv4 checksum), each VTEP's frames in
    // their order, each VTEP's counters its own frames'.
    const uint64_t c_host = mac(0x02, 0, 0, 0, 0x0c, 0x01);
    const Frame hello_b = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    const Frame hello_c = vxlan(0, kVtepCMac, kVtepC, kLocal, 50001, kVni, eth_frame(kBcast, c_host, 0x0800, 60));
    std::vector<Frame> burst;
    for (size_t i = 0; i < 6; ++i) burst.push_back(eth_frame(i % 2 ? c_host : kRemoteHost, kA, 0x0800, 60 + 20 * i));
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), arp(2, kVtepCMac, kVtepC, 0, kLocal), hello_b, hello_c}, burst, {}},
             {kVtepB, kVtepC}, true, {"show vxlan"});
    const std::vector<Frame> out = vxlan_frames(tx_[0]);
    ASSERT_EQ(out.size(), burst.size());
    std::vector<Frame> to_b, to_c;
    for (const Frame &f : out) (f[33] == 2 ? to_b : to_c).push_back(f);   // the outer destination's last byte
    ASSERT_EQ(to_b.size(), 3u);
    ASSERT_EQ(to_c.size(), 3u);
    for (size_t k = 0; k < 3; ++k) {
        EXPECT_EQ(to_b[k], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(to_b[k], 34), kVni, burst[2 * k])) << k;
        EXPECT_EQ(to_c[k], vxlan(kVtepCMac, local_mac_, kLocal, kVtepC, get16(to_c[k], 34), kVni, burst[2 * k + 1]))
            << k;
        EXPECT_GE(get16(to_b[k], 34), 49152);
    }
    for (const auto &v : replies_[0].json["vteps"]) {
        const bool b = v["ip"] == kVtepB;
        EXPECT_EQ(v["tx_packets"], 3) << v.dump();
        EXPECT_EQ(v["tx_bytes"], b ? 60 + 100 + 140 : 80 + 120 + 160) << v.dump();
    }
}

TEST_F(VxlanTest, ABurstToSeveralVtepsWithOneFrameTooLongLeavesTheOthersInOrder) {
    // The burst path checks a burst's frames as a whole; one frame too long for the underlay
    // sends the burst frame by frame: that one counted (vxlan_mtu) on its VTEP, the others
    // encapsulated, each VTEP's in order.
    const uint64_t c_host = mac(0x02, 0, 0, 0, 0x0c, 0x01);
    const Frame hello_b = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    const Frame hello_c = vxlan(0, kVtepCMac, kVtepC, kLocal, 50001, kVni, eth_frame(kBcast, c_host, 0x0800, 60));
    std::vector<Frame> burst;
    for (size_t i = 0; i < 6; ++i) burst.push_back(eth_frame(i % 2 ? c_host : kRemoteHost, kA, 0x0800, i == 2 ? 1465 : 60 + i));
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), arp(2, kVtepCMac, kVtepC, 0, kLocal), hello_b, hello_c}, burst, {}},
             {kVtepB, kVtepC}, true, {"show vxlan"});
    std::vector<Frame> to_b, to_c;
    for (const Frame &f : vxlan_frames(tx_[0])) (f[33] == 2 ? to_b : to_c).push_back(f);
    ASSERT_EQ(to_b.size(), 2u);
    ASSERT_EQ(to_c.size(), 3u);
    EXPECT_EQ(to_b[0], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(to_b[0], 34), kVni, burst[0]));
    EXPECT_EQ(to_b[1], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(to_b[1], 34), kVni, burst[4]));
    for (size_t k = 0; k < 3; ++k)
        EXPECT_EQ(to_c[k], vxlan(kVtepCMac, local_mac_, kLocal, kVtepC, get16(to_c[k], 34), kVni, burst[2 * k + 1]))
            << k;
    for (const auto &v : replies_[0].json["vteps"]) {
        const bool b = v["ip"] == kVtepB;
        EXPECT_EQ(v["tx_packets"], b ? 2 : 3) << v.dump();
        EXPECT_EQ(v["drops"].value("vxlan_mtu", uint64_t{0}), b ? 1u : 0u) << v.dump();
    }
}

TEST_F(VxlanTest, DecapsulatedFrameLeavesUntaggedAndByteForByte) {
    const Frame inner = eth_frame(kBcast, kRemoteHost, 0x0800, 60);
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), vxlan(0, kVtepBMac, kVtepB, kLocal, 50001, kVni, inner)}, {}, {}});
    ASSERT_EQ(tx_[1].size(), 1u);
    EXPECT_EQ(tx_[1][0], inner);
    ASSERT_EQ(tx_[2].size(), 1u);
    EXPECT_EQ(tx_[2][0], inner);
    EXPECT_EQ(totals_[0].rx_packets, 2u);
    for (unsigned r = 0; r < kDropReasons; ++r)
        EXPECT_EQ(totals_[0].drops[r], 0u) << kDropReasonNames[r];
}

TEST_F(VxlanTest, DecapsulatedFrameWithItsOwnTagIsDoubleTagged) {
    // Decapsulated frames are switched untagged, their VNI's VLAN beside them. One that carries a
    // tag of its own (802.1Q, 802.1ad, a priority tag) is in the VNI's VLAN all the same, a tag
    // inside it: counted double_tagged on its VTEP as any trunk's double-tagged frame, not taken
    // for a tagged frame of its own VLAN (nor a priority tag for an untagged frame).
    const Frame ip = eth_frame(kBcast, kRemoteHost, 0x0800, 60);
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), vxlan(0, kVtepBMac, kVtepB, kLocal, 50001, kVni, tagged(ip, 20)),
               vxlan(0, kVtepBMac, kVtepB, kLocal, 50002, kVni, tagged(ip, 30, 0x88a8)),
               vxlan(0, kVtepBMac, kVtepB, kLocal, 50003, kVni, tagged(ip, 0))},
              {},
              {}},
             {kVtepB}, true, {"show vxlan"});
    EXPECT_TRUE(tx_[1].empty());
    EXPECT_TRUE(tx_[2].empty());
    const auto &v = replies_[0].json["vteps"][0];
    EXPECT_EQ(v["drops"]["double_tagged"], 3);
    EXPECT_EQ(v["rx_packets"], 3);
}

TEST_F(VxlanTest, FloodGoesOnceToEachRemoteVtepOfTheVni) {
    const Frame bcast = eth_frame(kBcast, kA, 0x0800, 80);
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal), arp(1, kVtepCMac, kVtepC, 0, kLocal)}, {bcast}, {}},
             {kVtepB, kVtepC});
    std::vector<Frame> out = vxlan_frames(tx_[0]);
    ASSERT_EQ(out.size(), 2u);
    std::sort(out.begin(), out.end(), [](const Frame &a, const Frame &b) { return a[33] < b[33]; });
    EXPECT_EQ(out[0], vxlan(kVtepBMac, local_mac_, kLocal, kVtepB, get16(out[0], 34), kVni, bcast));
    EXPECT_EQ(out[1], vxlan(kVtepCMac, local_mac_, kLocal, kVtepC, get16(out[1], 34), kVni, bcast));
    EXPECT_EQ(get16(out[0], 34), get16(out[1], 34)) << "one flow, one source port";
    EXPECT_EQ(tx_[2].size(), 1u);
    // C's request for our address was answered on the underlay.
    size_t replies = 0;
    for (const Frame &f : tx_[0])
        if (get16(f, 12) == 0x0806 && get16(f, 20) == 2) {
            ++replies;
            EXPECT_EQ(f, arp(2, local_mac_, kLocal, kVtepCMac, kVtepC));
        }
    EXPECT_EQ(replies, 1u);
}

TEST_F(VxlanTest, UnresolvedVtepAndOversizeAreCountedDrops) {
    const Frame big = eth_frame(kBcast, kA, 0x0800, 1464);   // 1464 + 36 > the underlay's 1500
    run_vtep({{}, {eth_frame(kBcast, kA, 0x0800, 60), big}, {}}, {kVtepB}, true, {"show vxlan"});
    EXPECT_TRUE(vxlan_frames(tx_[0]).empty());
    const auto &v = replies_[0].json["vteps"][0];
    EXPECT_EQ(v["resolved"], false);
    EXPECT_EQ(v["drops"]["vxlan_unresolved"], 2);
    EXPECT_EQ(tx_[2].size(), 2u);
}

TEST_F(VxlanTest, OversizeForTheUnderlayIsVxlanMtu) {
    const Frame big = eth_frame(kBcast, kA, 0x0800, 1465);   // 1465 + 36 = 1501
    const Frame fits = eth_frame(kBcast, kA, 0x0800, 1464);
    run_vtep({{arp(2, kVtepBMac, kVtepB, 0, kLocal)}, {big, fits}, {}}, {kVtepB}, true, {"show vxlan"});
    ASSERT_EQ(vxlan_frames(tx_[0]).size(), 1u);
    EXPECT_EQ(vxlan_frames(tx_[0])[0].size(), 1464u + 50);
    EXPECT_EQ(replies_[0].json["vteps"][0]["drops"]["vxlan_mtu"], 1);
    EXPECT_EQ(replies_[0].json["container_mtu"], 1450);
}

TEST_F(VxlanTest, VtepOffTheLinkGoesToTheGatewaysMacWhichMayMove) {
    // 192.168.9.0/24 is the link: B is on it, D (10.9.0.4) behind the gateway .254. The
    // gateway answers, then moves (a gratuitous ARP from a new MAC): D's frames follow it, B's
    // entry is not the gateway's.
    const char *kGw = "192.168.9.254", *kVtepD = "10.9.0.4";
    const uint64_t kGwMac = mac(0x02, 0x99, 0, 0, 0, 1), kGwMoved = mac(0x02, 0x99, 0, 0, 0, 2);
    vx_tweak_ = [&](VxlanConfig &v) {
        v.prefix_len = 24;
        v.gateway = kGw;
    };
    const Frame bcast = eth_frame(kBcast, kA, 0x0800, 80);
    run_vtep({{arp(2, kGwMac, kGw, 0, kLocal), arp(1, kGwMoved, kGw, 0, kGw)}, {bcast}, {}}, {kVtepB, kVtepD}, true,
             {"show vxlan"});
    const std::vector<Frame> out = vxlan_frames(tx_[0]);
    ASSERT_EQ(out.size(), 1u) << "one copy, to D: B is unresolved";
    EXPECT_EQ(out[0], vxlan(kGwMoved, local_mac_, kLocal, kVtepD, get16(out[0], 34), kVni, bcast));
    const auto &r = replies_[0].json;
    EXPECT_EQ(r["link"], "192.168.9.0/24");
    EXPECT_EQ(r["gateway"]["ip"], kGw);
    EXPECT_EQ(r["gateway"]["mac"], "02:99:00:00:00:02");
    EXPECT_EQ(r["gateway"]["vteps"], 1);
    ASSERT_EQ(r["vteps"].size(), 2u);
    for (const auto &v : r["vteps"]) {
        const bool d = v["ip"] == kVtepD;
        EXPECT_EQ(v["via_gateway"], d) << v["ip"];
        EXPECT_EQ(v["resolved"], d) << v["ip"];
        EXPECT_EQ(v["drops"].value("vxlan_unresolved", 0), d ? 0 : 1) << v["ip"];
    }
    // Nobody asked for the gateway's address as ours: no ARP reply from the switch.
    for (const Frame &f : tx_[0]) EXPECT_FALSE(get16(f, 12) == 0x0806 && get16(f, 20) == 2);
}

TEST_F(VxlanTest, EveryBadInputHasItsReason) {
    const Frame inner = eth_frame(kBcast, kRemoteHost, 0x0800, 60);
    Frame short_hdr = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, {});
    short_hdr.resize(50 - 4);   // the VXLAN header cut
    Frame fragment = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, inner);
    put16(fragment, 20, 0x2000);   // MF
    const std::vector<Frame> bad = {
        vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, inner, 4789, 0x00),          // bad flags
        short_hdr,                                                                   // short
        fragment,                                                                    // short: a fragment
        vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni + 1, inner),                 // unknown VNI
        vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, 0, inner),                        // VNI 0: never mapped
        vxlan(0, kVtepBMac, "192.168.9.77", kLocal, 50000, kVni, inner),             // unknown VTEP
        vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, inner, 4790),               // wrong port
        vxlan(0, kVtepBMac, kVtepB, "192.168.9.8", 50000, kVni, inner),              // not to us
        eth_frame(kBcast, kVtepBMac, 0x86dd, 60),                                    // not IPv4
    };
    std::vector<Frame> rx0 = bad;
    rx0.push_back(vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, inner));   // and a good one
    run_vtep({rx0, {}, {}}, {kVtepB}, false, {"show vxlan"});
    const auto &d = totals_[0].drops;
    auto n = [&](DropReason r) { return d[static_cast<unsigned>(r)]; };
    EXPECT_EQ(n(DropReason::vxlan_bad_flags), 1u);
    EXPECT_EQ(n(DropReason::vxlan_short), 2u);
    EXPECT_EQ(n(DropReason::vxlan_unknown_vni), 2u);
    EXPECT_EQ(n(DropReason::vxlan_unknown_vtep), 1u);
    EXPECT_EQ(n(DropReason::vxlan_bad_port), 1u);
    EXPECT_EQ(n(DropReason::vxlan_not_to_us), 2u);
    EXPECT_EQ(tx_[1].size(), 1u) << "the good one still gets through";
    EXPECT_EQ(replies_[0].json["vteps"].size(), 1u) << "learn_vteps false: no VTEP added";
}

// A VTEP named by a static MAC only (static_macs: with vtep:, no vni_map remote) is configured
// by it, not learned: there with learn_vteps false, its frames heard, `show vxlan` says so, and a
// save writes the MAC behind it, not the VTEP as a remote. A learned VTEP given a static MAC by
// `mac add` is configured so from then on.
TEST_F(VxlanTest, AStaticMacsVtepIsConfiguredNotLearned) {
    statics_ = {StaticMac{"02:00:00:00:0b:01", "", 10, kVtepB}};
    Reply after_mac_add, after;
    Config saved;
    on_stop_ = [&](Switch &sw) {
        // C as learn_vteps adds one (the control loop's poll_vxlan), then a static MAC behind it.
        auto added = sw.add_vtep(ntohl(inet_addr(kVtepC)), kVni, VtepOrigin::learned);
        ASSERT_TRUE(added.ok()) << added.error().message;
        after_mac_add = run_command(sw, "mac add 02:00:00:00:0c:01 vtep 192.168.9.3 vlan 10");
        after = run_command(sw, "show vxlan");
        saved = running_config(sw);
    };
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    run_vtep({{hello}, {}, {}}, {}, false, {"show vxlan"});
    EXPECT_EQ(totals_[0].drops[static_cast<unsigned>(DropReason::vxlan_unknown_vtep)], 0u);
    EXPECT_EQ(tx_[1].size(), 1u) << "B's frame heard";
    const auto &before = replies_[0].json["vteps"];
    ASSERT_EQ(before.size(), 1u) << replies_[0].json.dump();
    EXPECT_EQ(before[0]["ip"], kVtepB);
    EXPECT_EQ(before[0]["learned"], false);
    EXPECT_EQ(before[0]["origin"], "static_mac");
    EXPECT_EQ(before[0]["vnis"], nlohmann::json::array({kVni}));
    EXPECT_NE(replies_[0].text.find("192.168.9.2 (unresolved) VNIs 1010, for static MACs:"), std::string::npos)
        << replies_[0].text;
    ASSERT_TRUE(after_mac_add.ok) << after_mac_add.text;
    const auto &vteps = after.json["vteps"];
    ASSERT_EQ(vteps.size(), 2u) << after.json.dump();
    EXPECT_EQ(vteps[1]["ip"], kVtepC);
    EXPECT_EQ(vteps[1]["learned"], false);
    EXPECT_EQ(vteps[1]["origin"], "static_mac");
    // Saved: the MACs behind their VTEPs, no remote.
    ASSERT_EQ(saved.vxlan.vni_map.size(), 1u);
    EXPECT_TRUE(saved.vxlan.vni_map[0].remotes.empty());
    ASSERT_EQ(saved.static_macs.size(), 2u);
    EXPECT_EQ(saved.static_macs[0].vtep, kVtepB);
    EXPECT_EQ(saved.static_macs[1].vtep, kVtepC);
}

// Remote VTEPs have rows in `show port stats all` after the ports (as OVS lists its tunnel
// ports), by their `vtep:<IP>` name too, in JSON and text: the inner frames and drops `show
// vxlan` gives; `clear port stats` clears them.
TEST_F(VxlanTest, RemoteVtepsHaveRowsInShowPortStats) {
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    run_vtep({{hello, hello}, {}, {}}, {kVtepB}, true,
             {"show port stats all", "show port stats vtep:192.168.9.2", "clear port stats vtep:192.168.9.2",
              "show vxlan", "show port stats vtep:192.168.9.9"});
    const auto &all = replies_[0].json["ports"];
    ASSERT_EQ(all.size(), 4u) << replies_[0].json.dump();
    EXPECT_EQ(all[2]["name"], "p2");
    const auto &row = all[3];
    EXPECT_EQ(row["name"], "vtep:192.168.9.2");
    EXPECT_EQ(row["vtep"], true);
    EXPECT_EQ(row["rx_packets"], 2);
    EXPECT_EQ(row["rx_bytes"], 120);
    EXPECT_FALSE(row.contains("rx_pps"));
    EXPECT_NE(replies_[0].text.find("port vtep:192.168.9.2 ########\n  RX-packets: 2  RX-bytes: 120"), std::string::npos)
        << replies_[0].text;
    ASSERT_EQ(replies_[1].json["ports"].size(), 1u);
    EXPECT_EQ(replies_[1].json["ports"][0], row);
    EXPECT_TRUE(replies_[2].ok) << replies_[2].text;
    EXPECT_EQ(replies_[3].json["vteps"][0]["rx_packets"], 0) << "cleared";
    EXPECT_FALSE(replies_[4].ok);
}

// A burst whose frames come from two VTEPs in turn (one classify for the burst, the VTEPs'
// counts summed by VTEP as it is decapsulated): each VTEP's row counts its own inner frames and
// bytes, the underlay's the outer ones.
TEST_F(VxlanTest, ABurstFromTwoVtepsIsCountedOnEachVtep) {
    const uint64_t c_host = mac(0x02, 0, 0, 0, 0x0c, 0x01);
    const Frame from_b = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    const Frame from_c = vxlan(0, kVtepCMac, kVtepC, kLocal, 50001, kVni, eth_frame(kBcast, c_host, 0x0800, 70));
    run_vtep({{from_b, from_c, from_b, from_c, from_b}, {}, {}}, {kVtepB, kVtepC}, true, {"show port stats all"});
    EXPECT_EQ(tx_[1].size(), 5u);
    std::map<std::string, std::pair<uint64_t, uint64_t>> rx;
    for (const auto &row : replies_[0].json["ports"])
        rx[row["name"]] = {row["rx_packets"].get<uint64_t>(), row["rx_bytes"].get<uint64_t>()};
    EXPECT_EQ(rx["vtep:192.168.9.2"], std::make_pair(uint64_t{3}, uint64_t{3 * 60})) << replies_[0].json.dump();
    EXPECT_EQ(rx["vtep:192.168.9.3"], std::make_pair(uint64_t{2}, uint64_t{2 * 70})) << replies_[0].json.dump();
    EXPECT_EQ(rx["p0"], std::make_pair(uint64_t{5}, uint64_t{3 * 110 + 2 * 120})) << replies_[0].json.dump();
}

// A burst from one VTEP is switched as frames of one port are: a destination an earlier frame of
// the same burst taught (here behind the same VTEP) is flooded once more to the local ports,
// not dropped as hairpin (what a burst from several VTEPs does, as each VTEP's frames were
// classified in turn).
TEST_F(VxlanTest, ABurstFromOneVtepFloodsADestinationItsOwnEarlierFrameTaught) {
    const uint64_t other_host = mac(0x02, 0, 0, 0, 0x0b, 0x02);
    const Frame hello = vxlan(0, kVtepBMac, kVtepB, kLocal, 50000, kVni, eth_frame(kBcast, kRemoteHost, 0x0800, 60));
    const Frame to_it = vxlan(0, kVtepBMac, kVtepB, kLocal, 50001, kVni, eth_frame(kRemoteHost, other_host, 0x0800, 60));
    run_vtep({{hello, to_it}, {}, {}}, {kVtepB}, true, {"show vxlan"});
    ASSERT_EQ(tx_[1].size(), 2u);
    EXPECT_EQ(tx_[1][1], eth_frame(kRemoteHost, other_host, 0x0800, 60));
    EXPECT_EQ(tx_[2].size(), 2u);
    EXPECT_EQ(replies_[0].json["vteps"][0]["drops"].value("hairpin", uint64_t{0}), 0u) << replies_[0].json.dump();
}

}  // namespace
}  // namespace dsw::test
