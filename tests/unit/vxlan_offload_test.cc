// A kernel VTEP behind a veth underlay leaves its inner TCP/UDP checksums partial: the virtio-net
// header's csum_start points into the inner frame. Through a running switch: decapsulation
// carries that request on as the inner frame's own (a port that takes checksums gets it partial,
// with its lengths; one that does not gets it completed), a request that does not match the inner
// headers is a counted drop, and such a frame switched as it is (not for our VTEP) leaves with
// its inner checksum completed. Checksums are checked by a sum of our own (offload_frames.h).
//
//   test ──in ring──> u (underlay; RX carries requests, takes none)   VLAN 10 <-> VNI 1010
//                       │ decapsulated, flooded in VLAN 10
//               ┌───────┴──────────────┐
//               v                      v
//   c (takes offloads: out ring)   p (net_pcap, tx_pcap: takes none)
#include <arpa/inet.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>
#include <rte_ring.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/port_kind.h"
#include "offload_frames.h"
#include "pcap_files.h"
#include "empty_switch.h"
#include "eventually.h"
#include "ring_io_port.h"
#include "vxlan_overlay.h"

namespace dsw {
namespace {

using namespace test;

constexpr char kRingPortPrefix[] = "vxo";
using RingPort = test::RingIoPort<kRingPortPrefix, 256>;
constexpr auto kRxType = static_cast<PortType>(220), kTxType = static_cast<PortType>(221);
// A veth underlay as the switch sees it (RX may carry requests), and a veth container port.
const PortKind kRxKind{
    .type = kRxType, .name = "test_vxo_rx", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapRxOffloads,
};
const PortKind kTxKind{
    .type = kTxType, .name = "test_vxo_tx", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapTx | kCapRxOffloads,
};

// The virtio-net header B's kernel writes for it: NEEDS_CSUM at the inner L4 checksum, `shift`
// bytes off where it should be for the malformed case.
virtio_net_hdr tunnel_hdr(const Bytes &inner, int shift = 0) {
    const Shape s = shape_of(inner);
    virtio_net_hdr h{};
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.csum_start = static_cast<uint16_t>(kOuter + s.l4 + shift);
    h.csum_offset = s.proto == 6 ? 16 : 6;
    return h;
}

class VxlanOffloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(register_port_kind(kRxKind).ok());
        ASSERT_TRUE(register_port_kind(kTxKind).ok());
        dir_ = std::filesystem::temp_directory_path() / ("dsw_vxlan_offload_" + std::to_string(getpid()));
        std::filesystem::create_directories(dir_);
        write_pcap(file("p_in.pcap"), {});
        Config cfg;
        cfg.sw.mac_table_size = 1024;
        auto port = [&](const char *name, PortType type, const std::string &devargs, uint16_t vlan) {
            PortConfig pc;
            pc.name = name;
            pc.type = type;
            pc.devargs = devargs;
            pc.vlan = vlan;
            cfg.ports.push_back(pc);
        };
        port("u", kRxType, "", 1);
        port("c", kTxType, "", 10);
        port("p", PortType::dpdk, "net_pcap_vxo,rx_pcap=" + file("p_in.pcap") + ",tx_pcap=" + file("p_out.pcap"), 10);
        cfg.vxlan = vxlan_to_b();
        sw_ = started_switch(cfg);
        ASSERT_TRUE(sw_);
        in_u_ = rte_ring_lookup("vxo_in_u");
        in_c_ = rte_ring_lookup("vxo_in_c");
        out_c_ = rte_ring_lookup("vxo_out_c");
        ASSERT_TRUE(in_u_ && in_c_ && out_c_);
        u_ = sw_->port("u")->index, p_ = sw_->port("p")->index;
    }
    void TearDown() override {
        sw_.reset();
        unregister_port_kind(kTxKind);
        unregister_port_kind(kRxKind);
        std::filesystem::remove_all(dir_);
    }
    std::string file(const char *name) const { return (dir_ / name).string(); }

    // `f` in mbufs (2 KB each, chained) with the requests of `h`, as the veth port's RX sets them.
    rte_mbuf *received(const Bytes &f, const virtio_net_hdr &h) { return offloaded(sw_->pool(), f, h); }

    // Stops the switch; what p sent (closing it flushes its tx_pcap).
    std::vector<Bytes> stop_and_read_p() {
        sw_->stop();
        EXPECT_TRUE(sw_->del_port("p").ok());
        return read_pcap(file("p_out.pcap"));
    }

    std::filesystem::path dir_;
    std::unique_ptr<Switch> sw_;
    rte_ring *in_u_ = nullptr, *in_c_ = nullptr, *out_c_ = nullptr;
    unsigned u_ = 0, p_ = 0;
};

// Bytes of `f` but for the 2 at `at` (a checksum field).
bool same_but(const Bytes &a, const Bytes &b, size_t at) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if ((i < at || i >= at + 2) && a[i] != b[i]) return false;
    return true;
}

TEST_F(VxlanOffloadTest, InnerChecksumRequestSurvivesDecapsulation) {
    const Bytes tcp4 = build(false, 6, 1000, kAck | kPsh), udp6 = build(true, 17, 300);
    ASSERT_EQ(rte_ring_enqueue(in_u_, received(vxlan_around(tcp4), tunnel_hdr(tcp4))), 0);
    ASSERT_EQ(rte_ring_enqueue(in_u_, received(vxlan_around(udp6), tunnel_hdr(udp6))), 0);
    // A request 4 bytes off the inner L4 header: nothing the inner frame could carry.
    ASSERT_EQ(rte_ring_enqueue(in_u_, received(vxlan_around(tcp4), tunnel_hdr(tcp4, 4))), 0);
    ASSERT_TRUE(eventually([&] { return sw_->port_totals(p_).tx_packets == 2 && rte_ring_count(out_c_) == 2; }))
        << "p sent " << sw_->port_totals(p_).tx_packets << ", c " << rte_ring_count(out_c_);
    EXPECT_EQ(sw_->port_totals(u_).drops[static_cast<unsigned>(DropReason::offload_bad_csum)], 1u);
    EXPECT_EQ(sw_->port_totals(p_).csum_completed, 2u);

    // c takes checksums: each inner frame as B's container sent it, still partial, asking for it
    // with the inner frame's own lengths (untagged again on an access port).
    const Bytes *inner[] = {&tcp4, &udp6};
    for (const Bytes *f : inner) {
        void *v = nullptr;
        ASSERT_EQ(rte_ring_dequeue(out_c_, &v), 0);
        auto *m = static_cast<rte_mbuf *>(v);
        const Shape s = shape_of(*f);
        EXPECT_EQ(bytes_of(m), *f);
        EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_L4_MASK, s.proto == 6 ? RTE_MBUF_F_TX_TCP_CKSUM : RTE_MBUF_F_TX_UDP_CKSUM);
        EXPECT_EQ(m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK, 0u);
        EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6), s.v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4);
        EXPECT_EQ(m->l2_len, 14u);
        EXPECT_EQ(m->l2_len + m->l3_len, s.l4);
        rte_pktmbuf_free(m);
    }
    // p does not: the same frames, their checksums completed.
    const std::vector<Bytes> from_p = stop_and_read_p();
    ASSERT_EQ(from_p.size(), 2u);
    for (size_t k = 0; k < 2; ++k) {
        const Shape s = shape_of(*inner[k]);
        EXPECT_TRUE(l4_csum_ok(from_p[k])) << k;
        EXPECT_TRUE(same_but(from_p[k], *inner[k], s.l4 + (s.proto == 6 ? 16 : 6))) << k;
    }
}

// A UDP-tunnel GSO skb reaches a packet socket with the inner GSO type only (TCPV4 here) and
// csum_start at the inner TCP header: after decapsulation it is the inner TSO segment, whole for
// c, split to p's MTU for p.
TEST_F(VxlanOffloadTest, InnerTsoSegmentSurvivesDecapsulationWhole) {
    const Bytes tcp4 = build(false, 6, 20000, kAck | kPsh);
    virtio_net_hdr h = tunnel_hdr(tcp4);
    h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    h.gso_size = 1398;
    h.hdr_len = static_cast<uint16_t>(kOuter + shape_of(tcp4).l4 + 32);
    ASSERT_EQ(rte_ring_enqueue(in_u_, received(vxlan_around(tcp4), h)), 0);
    const size_t n = (20000 + 1397) / 1398;
    ASSERT_TRUE(eventually([&] { return sw_->port_totals(p_).tx_packets == n && rte_ring_count(out_c_) == 1; }))
        << "p sent " << sw_->port_totals(p_).tx_packets << ", c " << rte_ring_count(out_c_);
    EXPECT_EQ(sw_->port_totals(p_).gso_segmented, 1u);
    void *v = nullptr;
    ASSERT_EQ(rte_ring_dequeue(out_c_, &v), 0);
    auto *m = static_cast<rte_mbuf *>(v);
    EXPECT_EQ(bytes_of(m), tcp4);
    EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TUNNEL_MASK),
              RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_IPV4);
    EXPECT_EQ(m->tso_segsz, 1398u);
    EXPECT_EQ(m->l2_len + m->l3_len + m->l4_len, shape_of(tcp4).l4 + 32);
    rte_pktmbuf_free(m);
    expect_segments(tcp4, stop_and_read_p(), 1398, "p");
}

TEST_F(VxlanOffloadTest, TunnelledFrameSwitchedAsItIsLeavesWithItsInnerChecksumDone) {
    // A container's own vxlan behind the veth port c (to a VTEP that is not us): switched whole,
    // the partial inner checksum completed for p, which takes no offloads.
    const Bytes tcp4 = build(false, 6, 700, kAck);
    const Bytes outer = vxlan_around(tcp4, "192.168.9.3");
    ASSERT_EQ(rte_ring_enqueue(in_c_, received(outer, tunnel_hdr(tcp4))), 0);
    ASSERT_TRUE(eventually([&] { return sw_->port_totals(p_).tx_packets == 1; }));
    EXPECT_EQ(sw_->port_totals(p_).csum_completed, 1u);
    const std::vector<Bytes> from_p = stop_and_read_p();
    ASSERT_EQ(from_p.size(), 1u);
    const Bytes got_inner(from_p[0].begin() + kOuter, from_p[0].end());
    EXPECT_TRUE(l4_csum_ok(got_inner));
    EXPECT_TRUE(same_but(from_p[0], outer, kOuter + shape_of(tcp4).l4 + 16));
}

}  // namespace
}  // namespace dsw
