// A port kind whose RX/TX is our own code, not an ethdev's: a test-only kind over an rte_ring
// pair, registered at run time (one PortKind, as ports/<kind>.cc describe theirs), added with
// `port add` to a running switch beside a net_pcap ethdev port. Frames cross both ways, the
// counters move, and the pool is full again at the end.
//
//   test ──in ring──> port o (test_ring, own I/O) ──A->B──> port e (net_pcap) ──> e.pcap
//   test <─out ring── port o <──B->A (flooded: A not yet learned)── port e <── e_in.pcap
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rte_ring.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"
#include "empty_switch.h"
#include "frames.h"
#include "eventually.h"
#include "ring_io_port.h"
#include "pcap_files.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::mac;

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 0xa);   // behind o
const uint64_t kB = mac(0x02, 0, 0, 0, 0, 0xb);   // behind e

// The port: frames the test puts on "oio_in_<port>" are its RX; its TX goes to
// "oio_out_<port>" for the test to read (tests/unit/ring_io_port.h).
constexpr char kRingIoPortPrefix[] = "oio";
using RingIoPort = test::RingIoPort<kRingIoPortPrefix, 256>;

constexpr auto kTestRingType = static_cast<PortType>(200);

const PortKind kTestRingKind{
    .type = kTestRingType, .name = "test_ring", .required = "",
    .open_own = RingIoPort::open, .own_mbufs = RingIoPort::mbufs,
};

// Registers the test kind for one test and takes it out after, so that no other test sees it
// (in the kinds a config error lists, say).
class OwnIoPortTest : public ::testing::Test {
protected:
    void SetUp() override { ASSERT_TRUE(register_port_kind(kTestRingKind).ok()); }
    void TearDown() override {
        unregister_port_kind(kTestRingKind);
        EXPECT_EQ(find_port_kind(kTestRingType), nullptr);
    }
};

// The config and `port add` read a kind's keys from its description, a registered one's too.
TEST_F(OwnIoPortTest, ItsKeysAreThoseItsDescriptionNames) {
    auto ok = port_from_words("q", "test_ring", {"vlan=10"});
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok->type, kTestRingType);
    EXPECT_STREQ(port_type_name(ok->type), "test_ring");
    auto bad = port_from_words("q", "test_ring", {"iface=v1"});
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message, "port q: iface: not a key of a test_ring port");
}

TEST_F(OwnIoPortTest, TheRegistryRefusesATakenNameOrTypeAndAKindThatCannotOpen) {
    PortKind same_name = kTestRingKind;
    same_name.type = static_cast<PortType>(201);
    same_name.name = "tap";
    EXPECT_FALSE(register_port_kind(same_name).ok());
    PortKind same_type = kTestRingKind;
    same_type.type = PortType::tap;
    same_type.name = "test_other";
    EXPECT_FALSE(register_port_kind(same_type).ok());
    PortKind no_open{.type = static_cast<PortType>(202), .name = "test_none", .required = ""};
    EXPECT_FALSE(register_port_kind(no_open).ok());
    EXPECT_EQ(find_port_kind(static_cast<PortType>(202)), nullptr);
    // Every built-in kind opens one way: as an ethdev, or (veth, vtap, memif) with I/O of its own.
    for (const PortKind *k : port_kinds()) {
        if (k->type != kTestRingType) {
            EXPECT_TRUE((k->device != nullptr) != (k->open_own != nullptr)) << k->name;
            EXPECT_EQ(k->open_own != nullptr,
                      k->type == PortType::veth || k->type == PortType::vtap || k->type == PortType::memif)
                << k->name;
        }
    }
}

TEST_F(OwnIoPortTest, FramesCrossBetweenAnOwnIoPortAndAnEthdevPort) {
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("dsw_own_io_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    const std::string e_in = (dir / "e_in.pcap").string(), e_out = (dir / "e_out.pcap").string();
    test::write_pcap(e_in, {eth_frame(kA, kB)});

    std::unique_ptr<Switch> started = test::empty_switch();
    ASSERT_NE(started, nullptr);
    Switch &sw = *started;

    // `port add` reads the kind from the registry: its keys (none), how it opens.
    const Reply add_o = run_command(sw, "port add o test_ring");
    ASSERT_TRUE(add_o.ok) << add_o.text;
    rte_ring *in = rte_ring_lookup("oio_in_o");
    rte_ring *out = rte_ring_lookup("oio_out_o");
    ASSERT_NE(in, nullptr);
    ASSERT_NE(out, nullptr);
    EXPECT_EQ(sw.port("o")->eth->ethdev(), std::nullopt);
    // e's one frame, B->A, arrives at once; A is unknown yet, so it is flooded: to o.
    const Reply add_e = run_command(sw, "port add e dpdk devargs=net_pcap_oio,rx_pcap=" + e_in + ",tx_pcap=" + e_out);
    ASSERT_TRUE(add_e.ok) << add_e.text;
    const unsigned o = sw.port("o")->index, e = sw.port("e")->index;

    ASSERT_TRUE(test::eventually([&] { return rte_ring_count(out) == 1; }, 2000)) << "B->A did not leave on o";
    void *got = nullptr;
    ASSERT_EQ(rte_ring_dequeue(out, &got), 0);
    auto *m = static_cast<rte_mbuf *>(got);
    const std::vector<uint8_t> b_to_a = eth_frame(kA, kB);
    ASSERT_EQ(m->pkt_len, b_to_a.size());
    EXPECT_EQ(std::memcmp(rte_pktmbuf_mtod(m, const void *), b_to_a.data(), b_to_a.size()), 0);
    rte_pktmbuf_free(m);

    // A->B in through o: B was learned on e, so it leaves there alone.
    rte_mbuf *a_to_b = test::to_mbuf(sw.pool(), eth_frame(kB, kA));
    ASSERT_NE(a_to_b, nullptr);
    ASSERT_EQ(rte_ring_enqueue(in, a_to_b), 0);
    ASSERT_TRUE(test::eventually([&] { return sw.port_totals(e).tx_packets == 1; }, 2000)) << "A->B did not leave on e";

    EXPECT_EQ(sw.port_totals(o).rx_packets, 1u);
    EXPECT_EQ(sw.port_totals(o).tx_packets, 1u);
    EXPECT_EQ(sw.port_totals(e).rx_packets, 1u);
    EXPECT_EQ(sw.macs().find_record(make_mac_key(kA, 0))->port, o);
    EXPECT_EQ(sw.macs().find_record(make_mac_key(kB, 0))->port, e);
    for (unsigned r = 0; r < kDropReasons; ++r)
        EXPECT_EQ(sw.switch_totals().drops[r], 0u) << kDropReasonNames[r];

    // `show port info` and `show port stats` take the kind's name, and no PMD counters from an
    // ethdev it does not have.
    const Reply info = run_command(sw, "show port info o");
    ASSERT_TRUE(info.ok) << info.text;
    EXPECT_EQ(info.json["ports"][0]["type"], "test_ring");
    const Reply stats = run_command(sw, "show port stats o");
    ASSERT_TRUE(stats.ok) << stats.text;
    EXPECT_EQ(stats.json["ports"][0]["rx_packets"], 1u);
    EXPECT_FALSE(stats.json["ports"][0].contains("pmd"));

    // The control plane's watches and reports take a port without an ethdev in their stride.
    sw.housekeeping();
    sw.watch_links();
    EXPECT_EQ(info.json["ports"][0]["link_up"], true);

    sw.stop();
    ASSERT_TRUE(sw.del_port("e").ok());
    ASSERT_TRUE(sw.del_port("o").ok());
    const std::vector<test::Frame> sent = test::read_pcap(e_out);
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0], eth_frame(kB, kA));
    EXPECT_TRUE(test::pool_full(sw.pool())) << "leaked mbufs";
    started.reset();
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace dsw
