// Port kinds (the devargs each builder makes) and hot-plug on a running switch: `port add` /
// `port del` while another pair of ports forwards, refusals that leave the switch as it was,
// counters that start from zero when an index is reused, and a pool that is full again once
// every port is gone.
//
//   port a: net_pcap, infinite_rx   ── A->B unicast + A broadcasts ──┐
//                                                                     ├── worker lcore 1
//   port b: net_pcap (TX dropped, counted), static MAC B  <───────────┤
//   port x: net_pcap, one frame X->A; added and deleted 100 times  <──┘ (gets A's broadcasts)
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/eth_port.h"
#include "dpdk_switch/ports/port_kind.h"
#include "frames.h"
#include "pcap_files.h"

namespace dsw {
namespace {

using test::eth_frame;
using test::mac;

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 0xa);
const uint64_t kB = mac(0x02, 0, 0, 0, 0, 0xb);
const uint64_t kX = mac(0x02, 0, 0, 0, 0, 0x1);
const uint64_t kBcast = mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

PortConfig port_of(const std::string &name, PortType type) {
    PortConfig p;
    p.name = name;
    p.type = type;
    return p;
}

// ---- what each builder makes ------------------------------------------------------------------

TEST(PortKinds, EachTypeBecomesItsOwnUniquelyNamedVdev) {
    PortConfig vh = port_of("vm1", PortType::vhost);
    vh.path = "/run/dpdk_switch/vm1.sock";
    vh.queues = 2;
    auto d = device_for(vh);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->devargs, "net_vhost_vm1,iface=/run/dpdk_switch/vm1.sock,queues=2,client=0,tso=1");
    EXPECT_EQ(d->listen_path, vh.path) << "a vhost server binds its socket";
    vh.client = true;
    d = device_for(vh);
    EXPECT_EQ(d->devargs, "net_vhost_vm1,iface=/run/dpdk_switch/vm1.sock,queues=2,client=1,tso=1");
    EXPECT_TRUE(d->listen_path.empty()) << "a client binds nothing";
    vh.offloads = false;   // `offloads: false`: no TSO negotiated with the guest
    d = device_for(vh);
    EXPECT_EQ(d->devargs, "net_vhost_vm1,iface=/run/dpdk_switch/vm1.sock,queues=2,client=1");

    // memif is the switch's own I/O (ports/memif.cc), not DPDK's net_memif.
    PortConfig mi = port_of("app1", PortType::memif);
    mi.socket = "/run/dpdk_switch/memif.sock";
    mi.id = 3;
    EXPECT_FALSE(device_for(mi).ok()) << "no ethdev";
    EXPECT_NE(port_kind(PortType::memif).open_own, nullptr);

    PortConfig ap = port_of("c1", PortType::af_packet);
    ap.iface = "v1";
    ap.mtu = 1500;
    EXPECT_EQ(device_for(ap)->devargs, "net_af_packet_c1,iface=v1,qpairs=1,framecnt=1024");
}

// ---- frame sizes from the MTU -------------------------------------------------------------------

TEST(PortFrames, AfPacketRingFramesHoldTheMtuAndOneByteMore) {
    PortConfig ap = port_of("c1", PortType::af_packet);
    ap.iface = "v1";
    ap.mtu = 1500;
    auto d = device_for(ap);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->max_frame, 1518u);
    EXPECT_EQ(d->rx_data_room, 0u) << "the PMD's 2 KB frames fit the shared pool's mbufs";

    // The kernel puts the frame at offset 66 of a ring frame: 9118 + 1 bytes need 9185.
    ap.mtu = 9100;
    d = device_for(ap);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->devargs, "net_af_packet_c1,iface=v1,qpairs=1,framecnt=1024,framesz=9216,blocksz=36864");
    EXPECT_EQ(d->max_frame, 9118u);
    EXPECT_EQ(d->rx_data_room, 9216 - 32 + RTE_PKTMBUF_HEADROOM) << "what eth_rx_queue_setup asks of an mbuf";
    auto n = EthPort::mbuf_needs(ap, QueueSizes{512, 256});
    ASSERT_TRUE(n.ok());
    EXPECT_GT(n->own_rx, 0u) << "jumbo mbufs come from a pool of the port's own";
    EXPECT_EQ(n->own_rx_data_room, d->rx_data_room);
    EXPECT_EQ(n->shared, 256u);

    ap.mtu = kMaxMtu;
    d = device_for(ap);
    EXPECT_NE(d->devargs.find(",framesz=10240,blocksz=20480"), std::string::npos) << d->devargs;

    // 1963 is the largest MTU whose frames (and one byte) fit the default 2048-byte ring frame.
    ap.mtu = 1963;
    EXPECT_EQ(device_for(ap)->rx_data_room, 0u);
    ap.mtu = 1964;
    EXPECT_NE(device_for(ap)->devargs.find(",framesz=3072,blocksz=12288"), std::string::npos);
}

TEST(PortFrames, WithoutAnMtuKeyTheInterfacesCounts) {
    PortConfig ap = port_of("c1", PortType::af_packet);
    ap.iface = "lo";   // MTU 65536: carried up to kMaxMtu
    auto d = device_for(ap);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->max_frame, kMaxMtu + kFrameOverhead);
    ap.iface = "dsw_no_such_if";
    d = device_for(ap);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, "port c1: interface dsw_no_such_if: cannot read its MTU: No such device");
}

TEST(PortFrames, TapCarries1500UnlessTold) {
    PortConfig t = port_of("t1", PortType::tap);
    t.iface = "dswtap0";
    auto d = device_for(t);
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->max_frame, 1518u);
    EXPECT_EQ(d->set_mtu, 0u);
    EXPECT_TRUE(d->rx_scatter) << "a longer frame from the kernel arrives whole, to be counted oversize";
    t.mtu = 1400;
    d = device_for(t);
    EXPECT_EQ(d->max_frame, 1418u);
    EXPECT_EQ(d->set_mtu, 1400u);
}

TEST(PortKinds, AfXdpNeedsHugepages) {
    PortConfig x = port_of("c2", PortType::af_xdp);
    x.iface = "lo";
    auto d = device_for(x);
    // The unit tests' EAL runs with --no-huge.
    ASSERT_EQ(rte_eal_has_hugepages(), 0);
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().message, "port c2: af_xdp needs hugepages (EAL runs with --no-huge)");
    EXPECT_FALSE(EthPort::mbuf_needs(x).ok());
}

TEST(PortKinds, VirtioUserWithoutABackendSaysSo) {
    PortConfig v = port_of("v1", PortType::virtio_user);
    v.path = "/nonexistent/vhost.sock";
    auto d = device_for(v);
    ASSERT_FALSE(d.ok());
    EXPECT_NE(d.error().message.find("no vhost-user socket at /nonexistent/vhost.sock"), std::string::npos)
        << d.error().message;
}

TEST(PortKinds, MbufsNeededCountsDescriptorsPerQueue) {
    PortConfig g = port_of("g", PortType::dpdk);
    g.devargs = "net_null_g";
    g.queues = 2;
    auto n = EthPort::mbuf_needs(g, QueueSizes{512, 256});
    ASSERT_TRUE(n.ok());
    EXPECT_EQ(n->shared, 2u * (512 + 256));
    EXPECT_EQ(n->own_rx, 0u) << "RX from the shared pool";
}

// ---- hot-plug on a running switch ----------------------------------------------------------------

class HotPlugTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("dsw_ports_test_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        test::write_pcap(file("a"), {eth_frame(kB, kA), eth_frame(kB, kA), eth_frame(kB, kA), eth_frame(kBcast, kA)});
        test::write_pcap(file("x"), {eth_frame(kA, kX)});
    }
    void TearDown() override {
        sw_.reset();
        std::filesystem::remove_all(dir_);
    }

    std::string file(const std::string &stem) const { return (dir_ / (stem + ".pcap")).string(); }

    // a (endless A->B traffic) and b (B's MAC static on it), running.
    void start(unsigned mbufs = 0, unsigned tx_flush_us = 0) {
        Config cfg;
        cfg.sw.mac_table_size = 1024;
        cfg.sw.mbufs = mbufs;
        cfg.sw.tx_flush_us = tx_flush_us;
        PortConfig a = port_of("a", PortType::dpdk);
        a.devargs = "net_pcap_ha,rx_pcap=" + file("a") + ",infinite_rx=1";
        PortConfig b = port_of("b", PortType::dpdk);
        b.devargs = "net_pcap_hb,rx_pcap=" + file("empty_b");
        test::write_pcap(file("empty_b"), {});
        cfg.ports = {a, b};
        cfg.static_macs = {StaticMac{mac_to_string(kB), "b", 0}};
        auto sw = Switch::create(cfg);
        ASSERT_TRUE(sw.ok()) << sw.error().message;
        sw_ = std::move(sw.value());
        auto st = sw_->start();
        ASSERT_TRUE(st.ok()) << st.error().message;
    }

    PortConfig x_port(const std::string &name = "x", const std::string &device = "net_pcap_hx") const {
        PortConfig x = port_of(name, PortType::dpdk);
        x.devargs = device + ",rx_pcap=" + file("x");
        return x;
    }

    const SwitchPort &port(const std::string &name) const {
        const SwitchPort *sp = sw_->port(name);
        EXPECT_NE(sp, nullptr) << name;
        return *sp;
    }
    PortTotals totals(const std::string &name) const { return sw_->port_totals(port(name).index); }

    template <typename Pred>
    static bool eventually(Pred pred, int ms = 2000) {
        for (int i = 0; i < ms; ++i) {
            if (pred()) return true;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return pred();
    }

    // Stops the workers, deletes every port and checks that every mbuf is back in the pool.
    void stop_and_expect_full_pool() {
        sw_->stop();
        for (const SwitchPort *sp : sw_->ports()) {
            const std::string name = sp->eth->config().name;
            ASSERT_TRUE(sw_->del_port(name).ok()) << name;
        }
        EXPECT_TRUE(sw_->ports().empty());
        EXPECT_EQ(sw_->mbufs_committed(), 0u);
        EXPECT_EQ(rte_mempool_avail_count(sw_->pool()), sw_->pool_mbufs()) << "leaked mbufs";
    }

    void hundred_add_del_cycles();

    std::filesystem::path dir_;
    std::unique_ptr<Switch> sw_;
};

TEST_F(HotPlugTest, HundredAddDelCyclesWhileAnotherPairForwards) {
    start();
    hundred_add_del_cycles();
    // Sent at the end of every loop, nothing is ever staged for a port that is gone.
    EXPECT_EQ(sw_->switch_totals().drops[static_cast<unsigned>(DropReason::port_gone)], 0u);
}

// The same with TX batches held 10 ms: x is deleted while frames for it (a's broadcasts) are
// held, and they must be dropped as the port goes, not sent to the port that takes its index
// next nor leaked (the pool is checked full at the end).
TEST_F(HotPlugTest, HundredAddDelCyclesWithTxBatchesHeld) {
    start(0, kMaxTxFlushUs);
    hundred_add_del_cycles();
    // x's batch held some of a's broadcasts at (nearly) every delete: dropped, and counted.
    EXPECT_GT(sw_->switch_totals().drops[static_cast<unsigned>(DropReason::port_gone)], 0u);
}

void HotPlugTest::hundred_add_del_cycles() {
    ASSERT_TRUE(eventually([&] { return totals("b").tx_packets > 1000; })) << "a -> b does not flow";
    const unsigned x_index_first = kMaxPorts;
    unsigned x_index = x_index_first;
    uint64_t b_before = totals("b").tx_packets;
    for (int cycle = 0; cycle < 100; ++cycle) {
        SCOPED_TRACE("cycle " + std::to_string(cycle));
        // Alternate two device names: the same vdev name probed again after its removal, and
        // another one.
        const PortConfig x = x_port("x", cycle % 2 ? "net_pcap_hy" : "net_pcap_hx");
        auto index = sw_->add_port(x);
        ASSERT_TRUE(index.ok()) << index.error().message;
        if (x_index == x_index_first) x_index = index.value();
        EXPECT_EQ(index.value(), x_index) << "the freed index is reused";

        // Its one frame arrives and its MAC is learned on it; its counters start from zero
        // although the index counted the previous cycles' frames.
        ASSERT_TRUE(eventually([&] { return totals("x").rx_packets >= 1; }));
        EXPECT_EQ(totals("x").rx_packets, 1u);
        ASSERT_TRUE(eventually([&] { return sw_->macs().find_record(make_mac_key(kX, 0)).has_value(); }));
        EXPECT_EQ(sw_->macs().find_record(make_mac_key(kX, 0))->port, index.value());
        EXPECT_TRUE(eventually([&] { return totals("x").tx_packets > 0; })) << "a's broadcasts reach x";

        ASSERT_TRUE(sw_->del_port("x").ok());
        EXPECT_EQ(sw_->port("x"), nullptr);
        EXPECT_FALSE(sw_->macs().find_record(make_mac_key(kX, 0)).has_value()) << "x's MAC is flushed with it";
        EXPECT_TRUE(run_command(*sw_, "show switch stats").ok) << "the switch answers";

        if (cycle % 10 == 9) {
            // The other pair kept forwarding the whole time.
            EXPECT_TRUE(eventually([&] { return totals("b").tx_packets > b_before; }));
            b_before = totals("b").tx_packets;
        }
    }
    EXPECT_EQ(sw_->ports().size(), 2u);
    // Nothing else dropped: a's frames all reached b (the pcap TX takes everything).
    for (const char *name : {"a", "b"}) {
        const PortTotals t = totals(name);
        for (unsigned r = 0; r < kDropReasons; ++r) EXPECT_EQ(t.drops[r], 0u) << name << " " << kDropReasonNames[r];
    }
    EXPECT_TRUE(sw_->macs().find_record(make_mac_key(kA, 0)).has_value());
    stop_and_expect_full_pool();
}

TEST_F(HotPlugTest, CliAddsAndDeletesAndRefusesWhatItCannotDo) {
    start();
    const std::string x_devargs = "net_pcap_hx,rx_pcap=" + file("x");
    Reply r = run_command(*sw_, "port add x dpdk devargs=" + x_devargs);
    ASSERT_TRUE(r.ok) << r.text;
    EXPECT_EQ(r.json["ok"], true);
    EXPECT_EQ(r.json["name"], "x");
    EXPECT_EQ(r.json["lcore"], 1);
    EXPECT_EQ(run_command(*sw_, "show port info all").json["ports"].size(), 3u);

    const unsigned committed = sw_->mbufs_committed();
    const std::vector<std::string> refused = {
        "port add x dpdk devargs=net_pcap_hz,rx_pcap=" + file("x"),   // duplicate name
        "port add y dpdk devargs=" + x_devargs,                       // the same device again
        "port add y dpdk devargs=net_pcap_hz,rx_pcap=/nonexistent/file.pcap",
        "port add y dpdk devargs=net_null_y lcore=0",                  // the main lcore
        "port add y dpdk devargs=net_null_y lcore=7",                  // not an lcore of this EAL
        "port add y dpdk",                                             // no devargs
        "port add y dpdk devargs=net_null_y colour=blue",              // unknown key
        "port add y warp_drive iface=v1",                              // unknown type
        "port add bad/name dpdk devargs=net_null_y",
        "port add y vhost path=/tmp/x.sock client=maybe",
        "port add y af_xdp iface=lo",                                  // no hugepages here
        "port add y",
        "port del nosuch",
        "port del",
        "port del x y",
    };
    for (const auto &c : refused) {
        const Reply e = run_command(*sw_, c);
        EXPECT_FALSE(e.ok) << c;
        EXPECT_TRUE(e.json.contains("error")) << c;
        EXPECT_FALSE(e.text.empty()) << c;
    }
    EXPECT_EQ(sw_->ports().size(), 3u) << "no refused command left a port behind";
    EXPECT_EQ(run_command(*sw_, "show port info x").json["ports"][0]["link_up"], true)
        << "x's device is untouched by the attempts to probe it again";
    EXPECT_NE(run_command(*sw_, "port add y dpdk devargs=" + x_devargs).text.find("exists already"), std::string::npos);
    EXPECT_EQ(sw_->mbufs_committed(), committed);
    EXPECT_NE(run_command(*sw_, "port add y af_xdp iface=lo").text.find("af_xdp needs hugepages"), std::string::npos);
    EXPECT_NE(run_command(*sw_, "port add x dpdk devargs=net_null_q").text.find("exists already"), std::string::npos);

    r = run_command(*sw_, "port del x");
    ASSERT_TRUE(r.ok) << r.text;
    EXPECT_EQ(run_command(*sw_, "show port info all").json["ports"].size(), 2u);
    EXPECT_FALSE(run_command(*sw_, "port del x").ok) << "deleted once only";
    stop_and_expect_full_pool();
}

TEST_F(HotPlugTest, PortAddIsRefusedWhenThePoolCannotFundIt) {
    // 8192 mbufs: a and b (3072 each at most) fit beside the 4096 of headroom only because
    // the config's ports are not checked; a third port would starve them.
    start(8192);
    const unsigned committed = sw_->mbufs_committed();
    auto index = sw_->add_port(x_port());
    ASSERT_FALSE(index.ok());
    EXPECT_NE(index.error().message.find("not enough mbufs"), std::string::npos) << index.error().message;
    EXPECT_EQ(sw_->port("x"), nullptr);
    EXPECT_EQ(sw_->mbufs_committed(), committed);
    EXPECT_TRUE(eventually([&] { return totals("b").tx_packets > 0; })) << "the others are untouched";
    stop_and_expect_full_pool();
}

TEST_F(HotPlugTest, PortsAddedBeforeStartAndDeletedAfterStop) {
    Config cfg;
    cfg.sw.mac_table_size = 1024;
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    sw_ = std::move(sw.value());
    ASSERT_TRUE(sw_->add_port(x_port()).ok());
    ASSERT_TRUE(sw_->start().ok());
    EXPECT_TRUE(eventually([&] { return totals("x").rx_packets == 1; }));
    stop_and_expect_full_pool();
}

}  // namespace
}  // namespace dsw
