// Offload requests through a running switch: frames that carry them (TSO/USO segments up to
// 64 KB, a checksum left partial) enter on an own-I/O port whose RX may carry them, and leave
// whole on a port that takes them, split and completed on ports that do not (net_pcap with a
// tx_pcap, net_ring). Every segment is checked here byte by byte, its checksums by a sum of
// our own; the malformed requests are each a counted drop; the pools are full at the end.
//
//   test ──in ring──> i (test_ofl_rx: RX carries offload requests, takes none)
//                       │ flood (B unknown)
//         ┌─────────────┼──────────────────────────┐
//         v             v                          v
//   c (test_ofl_tso: takes them)   p (net_pcap, tx_pcap)     r (net_ring: rings of the test's)
//   └─out ring─> test: the frame   └─> p.pcap: the segments  └─> tx ring: the segments
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <rte_ring.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"
#include "frames.h"
#include "eventually.h"
#include "ring_io_port.h"
#include "offload_frames.h"
#include "pcap_files.h"

namespace dsw {
namespace {

using namespace test;

// The port: frames the test puts on "ofl_in_<port>" are its RX; its TX goes to
// "ofl_out_<port>" for the test to read (tests/unit/ring_io_port.h).
constexpr char kRingPortPrefix[] = "ofl";
using RingPort = test::RingIoPort<kRingPortPrefix, 1024>;

constexpr auto kRxType = static_cast<PortType>(210), kTsoType = static_cast<PortType>(211);

// A port whose RX carries offload requests but that takes none (a vnet container port whose
// peer turned `tx off`, say), and one that takes them all.
const PortKind kRxKind{
    .type = kRxType, .name = "test_ofl_rx", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapRxOffloads,
};
const PortKind kTsoKind{
    .type = kTsoType, .name = "test_ofl_tso", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapTx | kCapRxOffloads,
};

// net_ring probed from devargs takes its rings from `internal=<address>` of this struct (what
// rte_eth_from_rings passes; drivers/net/ring/rte_eth_ring.c, DPDK 22.11), so that its RX and
// TX are two rings of the test's rather than one ring looping TX back into RX.
struct RingInternalArgs {
    rte_ring *const *rx_queues;
    unsigned nb_rx_queues;
    rte_ring *const *tx_queues;
    unsigned nb_tx_queues;
    unsigned numa_node;
    void *addr;
};

class OffloadSwitchTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(register_port_kind(kRxKind).ok());
        ASSERT_TRUE(register_port_kind(kTsoKind).ok());
        dir_ = std::filesystem::temp_directory_path() / ("dsw_offload_switch_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override {
        sw_.reset();
        for (rte_ring *r : {ring_rx_, ring_tx_}) rte_ring_free(r);
        unregister_port_kind(kTsoKind);
        unregister_port_kind(kRxKind);
        std::filesystem::remove_all(dir_);
    }

    std::string file(const char *name) const { return (dir_ / name).string(); }

    // i, c, p, r as drawn above: access ports of VLAN 0, or trunks of VLAN 10 (`trunk`).
    void start(bool trunk = false, bool arp_proxy = true) {
        test::write_pcap(file("p_in.pcap"), {});
        ring_rx_ = rte_ring_create("ofl_net_ring_rx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ring_tx_ = rte_ring_create("ofl_net_ring_tx", 1024, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ASSERT_TRUE(ring_rx_ && ring_tx_);
        ring_args_ = RingInternalArgs{&ring_rx_, 1, &ring_tx_, 1, static_cast<unsigned>(rte_socket_id()), &ring_args_};
        char internal[32];
        std::snprintf(internal, sizeof internal, "%p", static_cast<void *>(&ring_args_));

        Config cfg;
        cfg.sw.mac_table_size = 1024;
        cfg.sw.arp_proxy = arp_proxy;
        auto port = [&](const char *name, PortType type, const std::string &devargs) {
            PortConfig pc;
            pc.name = name;
            pc.type = type;
            pc.devargs = devargs;
            if (trunk) pc.trunk = {10};
            cfg.ports.push_back(pc);
        };
        port("i", kRxType, "");
        port("c", kTsoType, "");
        port("p", PortType::dpdk, "net_pcap_ofl,rx_pcap=" + file("p_in.pcap") + ",tx_pcap=" + file("p_out.pcap"));
        port("r", PortType::dpdk, std::string("net_ring_ofl,internal=") + internal);
        auto created = Switch::create(cfg);
        ASSERT_TRUE(created.ok()) << created.error().message;
        sw_ = std::move(created.value());
        ASSERT_TRUE(sw_->start().ok());
        in_ = rte_ring_lookup("ofl_in_i");
        out_i_ = rte_ring_lookup("ofl_out_i");
        out_c_ = rte_ring_lookup("ofl_out_c");
        ASSERT_TRUE(in_ && out_i_ && out_c_);
        i_ = sw_->port("i")->index, c_ = sw_->port("c")->index, p_ = sw_->port("p")->index, r_ = sw_->port("r")->index;
    }

    void send(rte_mbuf *m) { ASSERT_EQ(rte_ring_enqueue(in_, m), 0); }

    // Frames a RingPort's out ring holds, each as bytes with its ol_flags; freed.
    static std::vector<std::pair<Bytes, rte_mbuf>> take(rte_ring *r) {
        std::vector<std::pair<Bytes, rte_mbuf>> got;
        void *m;
        while (rte_ring_dequeue(r, &m) == 0) {
            auto *mb = static_cast<rte_mbuf *>(m);
            got.emplace_back(bytes_of(mb), *mb);
            rte_pktmbuf_free(mb);
        }
        return got;
    }

    // Stops the switch, reads what r and p sent (closing p flushes its tx_pcap), closes every
    // port and checks that no mbuf of any pool is left out.
    void finish(std::vector<Bytes> &from_p, std::vector<Bytes> &from_r) {
        sw_->stop();
        for (auto &[b, m] : take(ring_tx_)) from_r.push_back(b);
        for (const char *n : {"i", "c", "p", "r"}) EXPECT_TRUE(sw_->del_port(n).ok()) << n;
        from_p = test::read_pcap(file("p_out.pcap"));
        for (const char *name : {"dsw_mbufs", "dsw_gso_hdr", "dsw_gso_ind"}) {
            rte_mempool *mp = rte_mempool_lookup(name);
            ASSERT_NE(mp, nullptr) << name;
            EXPECT_EQ(rte_mempool_avail_count(mp), mp->size) << name << ": mbufs leaked";
        }
    }

    void flood_reaches_every_port(bool tagged);

    std::filesystem::path dir_;
    std::unique_ptr<Switch> sw_;
    rte_ring *ring_rx_ = nullptr, *ring_tx_ = nullptr;
    RingInternalArgs ring_args_{};
    rte_ring *in_ = nullptr, *out_i_ = nullptr, *out_c_ = nullptr;
    unsigned i_ = 0, c_ = 0, p_ = 0, r_ = 0;
};

struct Case {
    const char *name;
    bool v6;
    uint8_t proto;
    uint8_t gso;        // virtio-net GSO type; NONE: a checksum left partial only
    size_t payload;
    uint16_t gso_size;
    size_t unit;        // the payload each segment carries at the egress MTU of 1500; 0: dropped there
    uint8_t tcp_flags;
};

const Case kCases[] = {
    // 64 KB, as a kernel with TSO hands it over: librte_gso splits it.
    {"tcp4 64K", false, 6, VIRTIO_NET_HDR_GSO_TCPV4, 65535 - 20 - 32, 1448, 1448, kAck | kPsh},
    {"tcp6", true, 6, VIRTIO_NET_HDR_GSO_TCPV6, 30000, 1428, 1428, kAck | kFin},
    {"udp4 USO", false, 17, kVnetGsoUdpL4, 20000, 1400, 1400, 0},
    // A segment size larger than the port's MTU leaves room for: TCP is cut to the MTU, but UDP
    // datagrams are their sender's, never cut smaller: dropped (offload_gso_mtu) where split.
    {"tcp4 TSO over the MTU", false, 6, VIRTIO_NET_HDR_GSO_TCPV4, 9000, 4000, 1500 - 20 - 32, kAck},
    {"udp6 USO over the MTU", true, 17, kVnetGsoUdpL4, 9000, 4000, 0, 0},
    {"tcp4 checksum only", false, 6, VIRTIO_NET_HDR_GSO_NONE, 1000, 0, 1000, kAck | kPsh},
    {"udp6 checksum only", true, 17, VIRTIO_NET_HDR_GSO_NONE, 300, 0, 300, 0},
};

size_t segments_of(const Case &c) { return c.unit == 0 ? 0 : (c.payload + c.unit - 1) / c.unit; }

// The flood of each frame: c gets it as it came (the same bytes, its requests intact), p and r
// get MTU-sized frames whose every checksum is right, in order, with the same payload, or, a UDP
// frame whose datagrams do not fit their MTU, count it as an offload_gso_mtu drop.
void OffloadSwitchTest::flood_reaches_every_port(bool tagged) {
    Switch &sw = *sw_;
    rte_ring *out_c = out_c_;
    const unsigned c = c_, p = p_, r = r_;
    std::vector<Bytes> originals;
    size_t want = 0, gso = 0, csum = 0, too_long = 0;
    uint64_t want_bytes = 0;
    for (const Case &k : kCases) {
        const Bytes f = build(k.v6, k.proto, k.payload, k.tcp_flags, tagged);
        originals.push_back(f);
        send(offloaded(sw.pool(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, k.gso, k.gso_size, f)));
        const size_t n = segments_of(k);
        if (n == 0) {
            ++too_long;
            continue;
        }
        want += n;
        want_bytes += f.size() + (n - 1) * (f.size() - k.payload);   // each segment repeats the headers
        (k.gso == VIRTIO_NET_HDR_GSO_NONE ? csum : gso)++;
    }
    ASSERT_TRUE(eventually([&] {
        return sw.port_totals(p).tx_packets == want && sw.port_totals(r).tx_packets == want &&
               rte_ring_count(out_c) == std::size(kCases);
    })) << "p sent " << sw.port_totals(p).tx_packets << ", r " << sw.port_totals(r).tx_packets << " of " << want
        << "; c " << rte_ring_count(out_c);

    // c takes the requests: each frame whole, as it came, shared with p's and r's and unchanged
    // by their checksum completion.
    void *m;
    for (size_t k = 0; rte_ring_dequeue(out_c, &m) == 0; ++k) {
        auto *mb = static_cast<rte_mbuf *>(m);
        EXPECT_EQ(bytes_of(mb), originals[k]) << kCases[k].name << ": c's frame was changed";
        EXPECT_NE(mb->ol_flags & RTE_MBUF_F_TX_L4_MASK, 0u) << kCases[k].name;
        if (kCases[k].gso != VIRTIO_NET_HDR_GSO_NONE) {
            EXPECT_NE(mb->ol_flags & kTxSegRequests, 0u) << kCases[k].name;
            EXPECT_EQ(mb->tso_segsz, kCases[k].gso_size) << kCases[k].name;
        }
        rte_pktmbuf_free(mb);
    }
    for (unsigned port : {p, r}) {
        const PortTotals tot = sw.port_totals(port);
        EXPECT_EQ(tot.gso_segmented, gso);
        EXPECT_EQ(tot.csum_completed, csum);
        EXPECT_EQ(tot.tx_bytes, want_bytes) << "tx_bytes counts the segments as sent";
        for (unsigned reason = 0; reason < kDropReasons; ++reason)
            EXPECT_EQ(tot.drops[reason], reason == static_cast<unsigned>(DropReason::offload_gso_mtu) ? too_long : 0u)
                << kDropReasonNames[reason];
    }
    EXPECT_EQ(sw.port_totals(c).csum_completed + sw.port_totals(c).gso_segmented, 0u);

    std::vector<Bytes> from_p, from_r;
    finish(from_p, from_r);
    for (const auto &[port, got] : {std::pair{"p", &from_p}, std::pair{"r", &from_r}}) {
        ASSERT_EQ(got->size(), want) << port;
        size_t at = 0;
        for (size_t k = 0; k < std::size(kCases); ++k) {
            const size_t n = segments_of(kCases[k]);
            if (n == 0) continue;   // dropped, counted above
            const std::vector<Bytes> segs(got->begin() + static_cast<long>(at), got->begin() + static_cast<long>(at + n));
            for (const Bytes &s : segs) EXPECT_LE(s.size(), (tagged ? 18u : 14u) + 1500u) << port << " " << kCases[k].name;
            const std::string what = std::string(port) + " " + kCases[k].name;
            expect_segments(originals[k], segs, kCases[k].unit, what.c_str());
            at += n;
        }
    }
}

TEST_F(OffloadSwitchTest, AFloodedSegmentLeavesWholeWhereTakenAndSplitWhereNot) {
    start();
    flood_reaches_every_port(false);
}

TEST_F(OffloadSwitchTest, TaggedFramesKeepTheirTagAndAreSplitBehindIt) {
    start(true);
    flood_reaches_every_port(true);
}

// Known unicast takes the one-egress path (dispatch_one_egress, a burst at once), not the flood:
// the same fallback there.
TEST_F(OffloadSwitchTest, AKnownUnicastBurstIsSplitForItsOnePort) {
    start();
    // B (02:..:0b) learned behind p: a frame from it, in through p's... p replays nothing, so
    // a static MAC puts B there.
    ASSERT_TRUE(run_command(*sw_, "mac add 02:00:00:00:00:0b p").ok);
    const Bytes f = build(false, 6, 30000, kAck);
    for (int k = 0; k < 4; ++k) send(offloaded(sw_->pool(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, f)));
    const size_t n = (30000 + 1447) / 1448;
    ASSERT_TRUE(eventually([&] { return sw_->port_totals(p_).tx_packets == 4 * n; })) << sw_->port_totals(p_).tx_packets;
    EXPECT_EQ(sw_->port_totals(p_).gso_segmented, 4u);
    EXPECT_EQ(sw_->port_totals(r_).tx_packets, 0u);
    EXPECT_EQ(rte_ring_count(out_c_), 0u);

    // `show port stats` says so, in JSON and in text.
    const Reply stats = run_command(*sw_, "show port stats p");
    ASSERT_TRUE(stats.ok) << stats.text;
    EXPECT_EQ(stats.json["ports"][0]["gso_segmented"], 4u);
    EXPECT_EQ(stats.json["ports"][0]["csum_completed"], 0u);
    EXPECT_NE(stats.text.find("gso_segmented 4"), std::string::npos) << stats.text;

    std::vector<Bytes> from_p, from_r;
    finish(from_p, from_r);
    ASSERT_EQ(from_p.size(), 4 * n);
    for (int k = 0; k < 4; ++k)
        expect_segments(f, std::vector<Bytes>(from_p.begin() + k * static_cast<long>(n), from_p.begin() + (k + 1) * static_cast<long>(n)),
                        1448, "unicast");
}

// Requests the fallback cannot act on, each set on the mbuf by hand as a PMD might: a counted
// drop on each port that would have needed the work, with its own reason; the port that takes
// the requests gets the frame as it is (it is the ingress port's to check them).
TEST_F(OffloadSwitchTest, EachMalformedRequestIsACountedDropWithItsOwnReason) {
    start();
    struct Bad {
        const char *name;
        DropReason want;
        const Bytes &frame;
        virtio_net_hdr hdr;   // the valid request, before `spoil`
        std::function<void(rte_mbuf *)> spoil;
    };
    const Bytes tcp4 = build(false, 6, 20000), tcp6 = build(true, 6, 3000), small4 = build(false, 6, 0);
    const virtio_net_hdr tso4 = vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, tcp4);
    const virtio_net_hdr tso6 = vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV6, 1428, tcp6);
    const virtio_net_hdr csum4 = vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_NONE, 0, small4);
    const std::vector<Bad> bad = {
        {"segment size 0", DropReason::offload_bad_gso, tcp4, tso4, [](rte_mbuf *m) { m->tso_segsz = 0; }},
        {"TCP segmentation of a UDP checksum", DropReason::offload_bad_gso, tcp4, tso4,
         [](rte_mbuf *m) { m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_L4_MASK) | RTE_MBUF_F_TX_UDP_CKSUM; }},
        {"checksum offset past the frame", DropReason::offload_bad_csum, small4, csum4,
         [](rte_mbuf *m) { m->l4_len = 200; }},
        {"l4_len not the TCP header's", DropReason::offload_bad_headers, tcp4, tso4, [](rte_mbuf *m) { m->l4_len = 24; }},
        {"l3_len not the IPv4 header's", DropReason::offload_bad_headers, tcp4, tso4, [](rte_mbuf *m) { m->l3_len = 24; }},
        {"IPv4 and IPv6 at once", DropReason::offload_bad_headers, tcp4, tso4,
         [](rte_mbuf *m) { m->ol_flags |= RTE_MBUF_F_TX_IPV6; }},
        {"IPv6 extension headers", DropReason::offload_unsupported, tcp6, tso6, [](rte_mbuf *m) { m->l3_len = 48; }},
        {"SCTP checksum", DropReason::offload_unsupported, small4, csum4,
         [](rte_mbuf *m) { m->ol_flags = (m->ol_flags & ~RTE_MBUF_F_TX_L4_MASK) | RTE_MBUF_F_TX_SCTP_CKSUM; }},
        // 400 segments of 50 bytes where a frame may become at most TxStage::kMaxSegments:
        // counted as the room the worker ran out of.
        {"more segments than the worker holds", DropReason::offload_no_mbufs, tcp4, tso4,
         [](rte_mbuf *m) { m->tso_segsz = 50; }},
    };
    for (const Bad &b : bad) {
        rte_mbuf *m = offloaded(sw_->pool(), b.frame, b.hdr);
        b.spoil(m);
        send(m);
        ASSERT_TRUE(eventually([&] {
            const PortTotals tp = sw_->port_totals(p_), tr = sw_->port_totals(r_);
            return tp.drops[static_cast<unsigned>(b.want)] == 1 && tr.drops[static_cast<unsigned>(b.want)] == 1;
        })) << b.name << ": not counted " << drop_reason_name(b.want);
        for (unsigned port : {p_, r_}) {
            const PortTotals t = sw_->port_totals(port);
            uint64_t all = 0;
            for (uint64_t d : t.drops) all += d;
            EXPECT_EQ(all, 1u) << b.name << ": one drop, of its own reason";
            EXPECT_EQ(t.tx_packets, 0u) << b.name;
        }
        ASSERT_TRUE(eventually([&] { return rte_ring_count(out_c_) == 1; })) << b.name;
        void *got = nullptr;
        ASSERT_EQ(rte_ring_dequeue(out_c_, &got), 0);
        rte_pktmbuf_free(static_cast<rte_mbuf *>(got));
        for (unsigned port : {p_, r_}) sw_->clear_port_stats(port);
    }
    std::vector<Bytes> from_p, from_r;
    finish(from_p, from_r);
    EXPECT_TRUE(from_p.empty());
    EXPECT_TRUE(from_r.empty());
}

// A proxy reply is a frame the switch wrote whole: whatever requests the ARP request came in
// with, it leaves without them. And a capture of 64 KB segments on both sides neither
// crashes nor stops the traffic (the pcapng holds them cut to its snap length).
TEST_F(OffloadSwitchTest, ProxyRepliesAndCaptureTakeFramesWithRequestsInTheirStride) {
    start();
    ASSERT_TRUE(run_command(*sw_, "arp add 10.0.0.2 02:00:00:00:00:0b").ok);
    // Who has 10.0.0.2? tell 10.0.0.1, from A on i.
    Bytes arp = hex("ffffffffffff02000000000a08060001080006040001"
                    "02000000000a0a000001000000000000"
                    "0a000002");
    arp.resize(60, 0);
    rte_mbuf *m = test::to_mbuf(sw_->pool(), arp);
    ASSERT_NE(m, nullptr);
    m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM | RTE_MBUF_F_TX_TCP_SEG;
    m->tso_segsz = 100;
    m->l2_len = 14, m->l3_len = 20, m->l4_len = 20;
    send(m);
    ASSERT_TRUE(eventually([&] { return rte_ring_count(out_i_) == 1; })) << "no proxy reply";
    const auto replies = take(out_i_);
    ASSERT_EQ(replies.size(), 1u);
    EXPECT_EQ(get16(replies[0].first, 20), 2) << "an ARP reply";
    EXPECT_EQ(replies[0].second.ol_flags & kTxOffloadRequests, 0u);

    const Reply cap_i = run_command(*sw_, "capture i " + file("i.pcapng"));
    ASSERT_TRUE(cap_i.ok) << cap_i.text;
    const Reply cap_c = run_command(*sw_, "capture c " + file("c.pcapng"));
    ASSERT_TRUE(cap_c.ok) << cap_c.text;
    const Bytes f = build(false, 6, 65535 - 20 - 32, kAck);
    send(offloaded(sw_->pool(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, f)));
    const size_t n = (65535 - 20 - 32 + 1447) / 1448;
    ASSERT_TRUE(eventually([&] { return sw_->port_totals(p_).tx_packets == n && rte_ring_count(out_c_) == 1; }));
    EXPECT_TRUE(run_command(*sw_, "capture stop i").ok);
    EXPECT_TRUE(run_command(*sw_, "capture stop c").ok);
    EXPECT_GT(std::filesystem::file_size(file("i.pcapng")), 9000u);
    EXPECT_GT(std::filesystem::file_size(file("c.pcapng")), 9000u);
    for (auto &[b, mb] : take(out_c_)) EXPECT_EQ(b, f);
    std::vector<Bytes> from_p, from_r;
    finish(from_p, from_r);
    EXPECT_EQ(from_p.size(), n);
}

}  // namespace
}  // namespace dsw
