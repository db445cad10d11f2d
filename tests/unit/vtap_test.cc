// The vtap port and the UDP-tunnel virtio-net header it speaks: the header ⇄ mbuf mapping (a
// kernel's UDP-tunnel GSO frame lands in the tunnel form decapsulation reads; a header that lies
// about the frame is refused, the mbuf untouched), VXLAN encapsulation that keeps a TSO request
// for an underlay taking UDP-tunnel GSO (one frame leaves where ~15 did), and the port on a real
// tap made here, with a packet socket on the tap as the kernel's side.
//
//   VtapSwitchTest:   c (ring, VLAN 10) ── switch ── u (ring underlay, takes UDP-tunnel GSO)
//   VtapPortTest:     test socket ── vtpuNNNNN (tap) ══ vtap port (Port::open)
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <rte_ring.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/dataplane/vxlan_encap.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/ports/port.h"
#include "dpdk_switch/ports/tap_queue.h"
#include "empty_switch.h"
#include "eventually.h"
#include "frames.h"
#include "offload_frames.h"
#include "ring_io_port.h"
#include "vxlan_overlay.h"
#include "vnet_peer.h"

namespace dsw {
namespace {

using namespace test;

constexpr uint16_t kMss = 1398;

// The header a tap with UDP-tunnel GSO writes for B's encapsulated TCP segment `inner`.
VnetTunnelHdr tunnel_gso(const Bytes &inner) {
    const Shape s = shape_of(inner);
    VnetTunnelHdr t{};
    t.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    t.hdr.gso_type = (s.v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4) | kVnetGsoUdpTunnelIpv4;
    t.hdr.gso_size = kMss;
    t.hdr.csum_start = static_cast<uint16_t>(kOuter + s.l4);
    t.hdr.csum_offset = 16;
    t.hdr.hdr_len = static_cast<uint16_t>(kOuter + s.l4 + 32);
    t.outer_th_offset = 34;
    t.inner_nh_offset = static_cast<uint16_t>(kOuter + s.l3);
    return t;
}

// `f` in mbufs of `pool` (2 KB each, chained), no request yet: as a port's RX read it.
rte_mbuf *raw(rte_mempool *pool, const Bytes &f) { return offloaded(pool, f, virtio_net_hdr{}); }

class VnetTunnelTest : public ::testing::Test {
protected:
    void SetUp() override {
        static unsigned serial = 0;
        auto pool = make_pktmbuf_pool("vtpvt" + std::to_string(++serial), 255, SOCKET_ID_ANY, 2048 + 128);
        ASSERT_TRUE(pool.ok()) << pool.error().message;
        pool_ = std::move(pool.value());
    }
    void TearDown() override { EXPECT_TRUE(pool_full(pool_.get())) << "leaked mbufs"; }
    MempoolPtr pool_;
};

TEST_F(VnetTunnelTest, TunnelGsoHeaderLandsInTheTunnelFormDecapsulationReads) {
    for (const bool v6 : {false, true}) {
        const Bytes inner = build(v6, 6, 20000, kAck);
        rte_mbuf *m = raw(pool_.get(), vxlan_around(inner));
        const VnetParse r = vnet_tunnel_to_mbuf(tunnel_gso(inner), m);
        ASSERT_TRUE(r.ok) << drop_reason_name(r.reason);
        EXPECT_EQ(m->ol_flags & (RTE_MBUF_F_TX_TUNNEL_MASK | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TCP_SEG |
                                 RTE_MBUF_F_TX_L4_MASK | RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IPV6),
                  RTE_MBUF_F_TX_TUNNEL_UDP | RTE_MBUF_F_TX_OUTER_IPV4 | RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TCP_CKSUM |
                      (v6 ? RTE_MBUF_F_TX_IPV6 : RTE_MBUF_F_TX_IPV4));
        EXPECT_EQ(m->l2_len, 14u);
        EXPECT_EQ(m->l2_len + m->l3_len, kOuter + shape_of(inner).l4);
        EXPECT_EQ(m->tso_segsz, kMss);
        rte_pktmbuf_free(m);
    }
}

TEST_F(VnetTunnelTest, MalformedTunnelHeadersAreRefusedAndLeaveTheFrameAsItWas) {
    const Bytes inner = build(false, 6, 5000, kAck);
    const Bytes frame = vxlan_around(inner);
    struct Case {
        const char *what;
        void (*edit)(VnetTunnelHdr &);
    };
    const Case cases[] = {
        {"both outer IP versions", [](VnetTunnelHdr &t) { t.hdr.gso_type |= kVnetGsoUdpTunnelIpv6; }},
        {"outer IPv6 on an IPv4 packet",
         [](VnetTunnelHdr &t) { t.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | kVnetGsoUdpTunnelIpv6; }},
        {"no inner GSO type", [](VnetTunnelHdr &t) { t.hdr.gso_type = kVnetGsoUdpTunnelIpv4; }},
        {"inner legacy UFO", [](VnetTunnelHdr &t) { t.hdr.gso_type = VIRTIO_NET_HDR_GSO_UDP | kVnetGsoUdpTunnelIpv4; }},
        {"inner TCPV6 on IPv4", [](VnetTunnelHdr &t) { t.hdr.gso_type = VIRTIO_NET_HDR_GSO_TCPV6 | kVnetGsoUdpTunnelIpv4; }},
        {"no NEEDS_CSUM", [](VnetTunnelHdr &t) { t.hdr.flags = 0; }},
        {"outer UDP header off by 2", [](VnetTunnelHdr &t) { t.outer_th_offset += 2; }},
        {"outer UDP header inside the IP header", [](VnetTunnelHdr &t) { t.outer_th_offset = 20; }},
        {"inner IP header off by 4", [](VnetTunnelHdr &t) { t.inner_nh_offset += 4; }},
        {"inner IP header before the tunnel", [](VnetTunnelHdr &t) { t.inner_nh_offset = 36; }},
        {"inner checksum off the inner L4 header", [](VnetTunnelHdr &t) { t.hdr.csum_start += 4; }},
    };
    for (const Case &c : cases) {
        VnetTunnelHdr t = tunnel_gso(inner);
        c.edit(t);
        rte_mbuf *m = raw(pool_.get(), frame);
        const uint64_t flags = m->ol_flags, lens = m->tx_offload;
        const VnetParse r = vnet_tunnel_to_mbuf(t, m);
        EXPECT_FALSE(r.ok) << c.what;
        // Its own reason: a tunnel header that lies is not a plain header's bad GSO type.
        EXPECT_EQ(r.reason, DropReason::offload_bad_tunnel) << c.what << ": " << drop_reason_name(r.reason);
        EXPECT_EQ(m->ol_flags, flags) << c.what;
        EXPECT_EQ(m->tx_offload, lens) << c.what;
        rte_pktmbuf_free(m);
    }
    // The tunnel checksum flag without tunnel GSO: an unknown flag to a plain header.
    VnetTunnelHdr t{};
    t.hdr.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM | kVnetFlagUdpTunnelCsum;
    t.hdr.csum_start = static_cast<uint16_t>(kOuter + shape_of(inner).l4);
    t.hdr.csum_offset = 16;
    rte_mbuf *m = raw(pool_.get(), frame);
    const VnetParse r = vnet_tunnel_to_mbuf(t, m);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.reason, DropReason::offload_bad_tunnel) << drop_reason_name(r.reason);
    rte_pktmbuf_free(m);
}

// An outer IPv4 packet shorter than the frame (padding, or bytes past it) ends the inner frame
// where the packet ends, even when those bytes span more than the chain's last segment (a vtap or
// veth RX lays a long frame across a head and a tail mbuf): found by the fuzzer, where
// rte_pktmbuf_trim, which cuts within the last segment only, refused and left them on.
TEST_F(VnetTunnelTest, DecapsulationEndsTheInnerFrameWhereTheOuterPacketEndsAcrossSegments) {
    auto vx = std::make_unique<VxlanView>();
    vx->enabled = true;
    vx->local_ip_be = inet_addr(kLocal);
    vx->udp_port_be = htons(4789);
    ASSERT_TRUE(vx->map(10, kVni));
    vx->add_vtep(3, inet_addr(kVtepB));
    const Bytes inner = build(false, 17, 100);
    Bytes frame = vxlan_around(inner);
    frame.resize(frame.size() + 2100, 0xee);   // past the outer packet: 2,048 bytes on, a second segment
    rte_mbuf *m = raw(pool_.get(), frame);
    ASSERT_EQ(m->nb_segs, 2u);
    const DecapResult r = vxlan_decap(m, *vx);
    ASSERT_EQ(r.verdict, kDecapped);
    EXPECT_EQ(r.vtep_port, 3u);
    EXPECT_EQ(r.vlan, 10u);
    EXPECT_EQ(m->pkt_len, inner.size());
    EXPECT_EQ(m->nb_segs, 1u);
    EXPECT_EQ(m->data_len, inner.size());
    EXPECT_EQ(Bytes(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len), inner);
    rte_pktmbuf_free(m);
}

class VxlanEncapOffloadTest : public VnetTunnelTest {
protected:
    void SetUp() override {
        VnetTunnelTest::SetUp();
        vx_.local_ip_be = ip_be(kLocal);
        vx_.udp_port_be = rte_cpu_to_be_16(4789);
        vx_.local_mac = 0x0100000000aaULL;
        vx_.max_ip_len = 1500;
        vxlan_outer_init(outer_, VxlanTarget{kVni, ip_be(kVtepB), 0x0200000000bbULL}, vx_);
    }
    static uint32_t ip_be(const char *s) {
        in_addr a{};
        inet_pton(AF_INET, s, &a);
        return a.s_addr;
    }
    // The inner TSO segment as the worker stages it for the VTEP (untagged).
    rte_mbuf *segment(size_t payload, uint16_t mss = kMss) {
        const Bytes f = build(false, 6, payload, kAck);
        return offloaded(pool_.get(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, mss, f));
    }
    VxlanView vx_;
    VxlanOuter outer_;
};

TEST_F(VxlanEncapOffloadTest, EncapsulatedSegmentAsksTheKernelForTunnelGso) {
    const Bytes inner = build(false, 6, 20000, kAck);
    rte_mbuf *m = segment(20000);
    DropReason why = DropReason::runt;
    rte_mbuf *e = vxlan_encap_offloaded(m, false, outer_, vx_, why);
    ASSERT_EQ(e, m) << drop_reason_name(why);
    const Bytes out = bytes_of(e);
    ASSERT_EQ(out.size(), kOuter + inner.size());
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), out.begin() + kOuter)) << "the inner frame as it was";
    EXPECT_EQ(get16(out, 16), 36 + inner.size()) << "outer IPv4 total length: the whole packet";
    EXPECT_EQ(fold(sum16(&out[14], 20)), 0xffff) << "outer IPv4 checksum";
    EXPECT_EQ(get16(out, 38), 16 + inner.size());
    EXPECT_EQ(get16(out, 40), 0) << "outer UDP checksum 0";
    VnetTunnelHdr t;
    mbuf_to_vnet_tunnel(e, t);
    const Shape s = shape_of(inner);
    EXPECT_EQ(t.hdr.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM);
    EXPECT_EQ(t.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | kVnetGsoUdpTunnelIpv4);
    EXPECT_EQ(t.hdr.gso_size, kMss);
    EXPECT_EQ(t.hdr.csum_start, kOuter + s.l4);
    EXPECT_EQ(t.hdr.csum_offset, 16);
    EXPECT_EQ(t.hdr.hdr_len, kOuter + s.l4 + 32);
    EXPECT_EQ(t.outer_th_offset, 34);
    EXPECT_EQ(t.inner_nh_offset, kOuter + s.l3);
    // What the tap's reader gets back of it: the same tunnel form a kernel VTEP's frame lands in.
    e->ol_flags = 0;
    e->tx_offload = 0;
    EXPECT_TRUE(vnet_tunnel_to_mbuf(t, e).ok);
    rte_pktmbuf_free(e);

    // A checksum-only frame: a plain header at the inner checksum (tunnel bits go with GSO only).
    const Bytes small = build(false, 6, 300, kAck);
    m = offloaded(pool_.get(), small, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, small));
    ASSERT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), m);
    mbuf_to_vnet_tunnel(m, t);
    EXPECT_EQ(t.hdr.gso_type, 0);
    EXPECT_EQ(t.hdr.csum_start, kOuter + shape_of(small).l4);
    EXPECT_EQ(t.outer_th_offset, 0);
    rte_pktmbuf_free(m);
}

// A checksum-only frame goes to the kernel with one csum_start, the inner one: its outer UDP
// checksum is written by local checksum offload, right once the kernel completes the inner one.
TEST_F(VxlanEncapOffloadTest, AChecksumOnlyFrameGetsItsOuterUdpChecksumByLco) {
    for (const uint8_t proto : {6, 17}) {
        const Bytes f = build(false, proto, 700, kAck);
        rte_mbuf *m = offloaded(pool_.get(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, f));
        DropReason why{};
        ASSERT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), m);
        ASSERT_TRUE(vnet_tunnel_outer_csum_lco(m));
        Bytes out = bytes_of(m);
        rte_pktmbuf_free(m);
        // The kernel's completion of the inner checksum (skb_checksum_help): the sum from
        // csum_start to the end, over the pseudo-header sum the field holds.
        const Shape s = shape_of(f);
        const size_t start = kOuter + s.l4, field = start + (proto == 6 ? 16 : 6);
        put16(out, field, static_cast<uint16_t>(~fold(sum16(&out[start], out.size() - start))));
        const Bytes inner(out.begin() + kOuter, out.end());
        EXPECT_TRUE(l4_csum_ok(inner)) << int{proto};
        const uint16_t udp_len = get16(out, 38);
        EXPECT_NE(get16(out, 40), 0) << int{proto};
        EXPECT_EQ(fold(sum16(&out[34], udp_len, sum16(&out[26], 8, 17u + udp_len))), 0xffff)
            << "outer UDP checksum, proto " << int{proto};
    }
    // A frame asking for no inner checksum is not one to do so (plain vxlan_encap's).
    const Bytes f = build(false, 6, 700, kAck);
    rte_mbuf *m = offloaded(pool_.get(), f, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, kMss, f));
    DropReason why{};
    ASSERT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), m);
    EXPECT_FALSE(vnet_tunnel_outer_csum_lco(m)) << "a GSO frame: the kernel's, per segment";
    rte_pktmbuf_free(m);
}

TEST_F(VxlanEncapOffloadTest, WhatCannotGoWholeIsLeftToSoftwareOrCountedVxlanMtu) {
    DropReason why = DropReason::runt;
    // The outer IPv4 packet would pass 65535 bytes.
    rte_mbuf *m = segment(65480);
    EXPECT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), nullptr);
    EXPECT_EQ(why, DropReason::count);
    EXPECT_EQ(bytes_of(m).size(), build(false, 6, 65480, kAck).size()) << "untouched";
    rte_pktmbuf_free(m);
    // Segments too long for the underlay's MTU.
    m = segment(20000, 1460);
    EXPECT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), nullptr);
    EXPECT_EQ(why, DropReason::count);
    rte_pktmbuf_free(m);
    // Shared (a flood's copy): its headers are not ours to write.
    m = segment(20000);
    rte_mbuf_refcnt_update(m, 1);
    EXPECT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), nullptr);
    EXPECT_EQ(why, DropReason::count);
    rte_pktmbuf_free(m);
    rte_pktmbuf_free(m);
    // A checksum-only frame too long for the underlay: what vxlan_encap counts too.
    const Bytes big = build(false, 6, 1460, kAck);
    m = offloaded(pool_.get(), big, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, big));
    EXPECT_EQ(vxlan_encap_offloaded(m, false, outer_, vx_, why), nullptr);
    EXPECT_EQ(why, DropReason::vxlan_mtu);
    rte_pktmbuf_free(m);
}

// --- through a running switch, the underlay a ring port that takes UDP-tunnel GSO ---------------

constexpr char kRingPrefix[] = "vtp";
using RingPort = RingIoPort<kRingPrefix, 256>;
constexpr auto kUnderlayType = static_cast<PortType>(222), kContainerType = static_cast<PortType>(223);
const PortKind kUnderlayKind{
    .type = kUnderlayType, .name = "test_vtp_u", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs,
    .offloads = kCapTx | kCapRxOffloads | kCapUdpTunnelTso,
};
const PortKind kContainerKind{
    .type = kContainerType, .name = "test_vtp_c", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapTx | kCapRxOffloads,
};
// An underlay that takes checksums and TSO but no UDP-tunnel GSO: a vhost or virtio_user port
// (or a veth) as the switch sees it.
constexpr auto kVirtioUnderlayType = static_cast<PortType>(224);
const PortKind kVirtioUnderlayKind{
    .type = kVirtioUnderlayType, .name = "test_vtp_vu", .required = "",
    .open_own = RingPort::open, .own_mbufs = RingPort::mbufs, .offloads = kCapTx | kCapRxOffloads,
};

Bytes arp_reply_from_b() {
    Bytes f = hex("ffffffffffff02bb00000002" "0806" "0001080006040002" "02bb00000002" "00000000"
                  "000000000000" "00000000");
    put_ip(f, 28, kVtepB);
    put_ip(f, 38, kLocal);
    f.resize(60, 0);
    return f;
}

class VtapSwitchTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(register_port_kind(kUnderlayKind).ok());
        ASSERT_TRUE(register_port_kind(kVirtioUnderlayKind).ok());
        ASSERT_TRUE(register_port_kind(kContainerKind).ok());
        Config cfg;
        cfg.sw.mac_table_size = 1024;
        for (auto [name, type, vlan] : {std::tuple{"u", underlay_type_, 1}, std::tuple{"c", kContainerType, 10}}) {
            PortConfig pc;
            pc.name = name;
            pc.type = type;
            pc.vlan = static_cast<uint16_t>(vlan);
            cfg.ports.push_back(pc);
        }
        cfg.vxlan = vxlan_to_b();
        sw_ = started_switch(cfg);
        ASSERT_TRUE(sw_);
        in_u_ = rte_ring_lookup("vtp_in_u");
        out_u_ = rte_ring_lookup("vtp_out_u");
        in_c_ = rte_ring_lookup("vtp_in_c");
        ASSERT_TRUE(in_u_ && out_u_ && in_c_);
        u_ = sw_->port("u")->index;
    }
    void TearDown() override {
        sw_.reset();
        unregister_port_kind(kContainerKind);
        unregister_port_kind(kVirtioUnderlayKind);
        unregister_port_kind(kUnderlayKind);
    }
    // B resolved, and the inner frames' destination learned behind B (a broadcast from it).
    void meet_b() {
        ASSERT_EQ(rte_ring_enqueue(in_u_, raw(sw_->pool(), arp_reply_from_b())), 0);
        Bytes hello = hex("ffffffffffff02000000000b" "88b5");
        hello.resize(60, 0);
        ASSERT_EQ(rte_ring_enqueue(in_u_, raw(sw_->pool(), vxlan_around(hello))), 0);
        ASSERT_TRUE(eventually([&] { return sw_->port_totals(u_).rx_packets == 2; }));
    }
    // The VXLAN frames the underlay sent (not its ARP requests), freed.
    std::vector<std::pair<Bytes, VnetTunnelHdr>> sent_on_underlay(size_t want) {
        std::vector<std::pair<Bytes, VnetTunnelHdr>> out;
        eventually([&] {
            void *v = nullptr;
            while (rte_ring_dequeue(out_u_, &v) == 0) {
                auto *m = static_cast<rte_mbuf *>(v);
                const Bytes b = bytes_of(m);
                if (b.size() > 42 && get16(b, 12) == 0x0800 && get16(b, 36) == 4789) {
                    VnetTunnelHdr t;
                    mbuf_to_vnet_tunnel(m, t);
                    out.emplace_back(b, t);
                }
                rte_pktmbuf_free(m);
            }
            return out.size() >= want;
        });
        // More than wanted may still be on the way (segments): they count too.
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        void *v = nullptr;
        while (rte_ring_dequeue(out_u_, &v) == 0) {
            auto *m = static_cast<rte_mbuf *>(v);
            const Bytes b = bytes_of(m);
            if (b.size() > 42 && get16(b, 12) == 0x0800 && get16(b, 36) == 4789) out.emplace_back(b, VnetTunnelHdr{});
            rte_pktmbuf_free(m);
        }
        return out;
    }

    PortType underlay_type_ = kUnderlayType;
    std::unique_ptr<Switch> sw_;
    rte_ring *in_u_ = nullptr, *out_u_ = nullptr, *in_c_ = nullptr;
    unsigned u_ = 0;
};

TEST_F(VtapSwitchTest, ATsoSegmentToARemoteVtepLeavesAsOneEncapsulatedFrame) {
    meet_b();
    const Bytes inner = build(false, 6, 20000, kAck | kPsh);
    rte_mbuf *m = offloaded(sw_->pool(), inner, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, kMss, inner));
    ASSERT_EQ(rte_ring_enqueue(in_c_, m), 0);
    const auto out = sent_on_underlay(1);
    // Split in software it would be 15 frames of the inner MTU.
    ASSERT_EQ(out.size(), 1u);
    const Bytes &f = out[0].first;
    EXPECT_EQ(f.size(), kOuter + inner.size());
    EXPECT_TRUE(std::equal(inner.begin(), inner.end(), f.begin() + kOuter));
    EXPECT_EQ(out[0].second.hdr.gso_type, VIRTIO_NET_HDR_GSO_TCPV4 | kVnetGsoUdpTunnelIpv4);
    EXPECT_EQ(out[0].second.hdr.gso_size, kMss);
}

// An underlay without UDP-tunnel GSO (vhost, virtio_user: their PMDs write a virtio-net header
// whose csum_start is l2_len + l3_len, blind to outer_l2_len/outer_l3_len, so a frame in DPDK's
// tunnel form would reach the peer with csum_start inside the VXLAN header): the inner checksum
// and segmentation requests are done before encapsulation, and what the underlay is handed asks
// for nothing, its inner checksums right.
class VirtioUnderlayTest : public VtapSwitchTest {
protected:
    void SetUp() override {
        underlay_type_ = kVirtioUnderlayType;
        VtapSwitchTest::SetUp();
    }
};

TEST_F(VirtioUnderlayTest, InnerRequestsAreDoneBeforeEncapsulationNotLeftInATunnelForm) {
    meet_b();
    const Bytes small = build(false, 6, 300, kAck | kPsh), big = build(false, 6, 5000, kAck);
    ASSERT_EQ(rte_ring_enqueue(in_c_, offloaded(sw_->pool(), small, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, 0, 0, small))), 0);
    ASSERT_EQ(rte_ring_enqueue(in_c_, offloaded(sw_->pool(), big,
                                                vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, kMss, big))),
              0);
    std::vector<Bytes> frames;
    std::vector<uint64_t> flags;
    ASSERT_TRUE(eventually([&] {
        void *v = nullptr;
        while (rte_ring_dequeue(out_u_, &v) == 0) {
            auto *m = static_cast<rte_mbuf *>(v);
            const Bytes b = bytes_of(m);
            if (b.size() > 42 && get16(b, 12) == 0x0800 && get16(b, 36) == 4789) {
                frames.push_back(b);
                flags.push_back(m->ol_flags);
            }
            rte_pktmbuf_free(m);
        }
        return frames.size() >= 1 + (5000 + kMss - 1) / kMss;
    })) << frames.size() << " VXLAN frames";
    ASSERT_EQ(frames.size(), 1u + (5000 + kMss - 1) / kMss);
    for (size_t i = 0; i < frames.size(); ++i) {
        EXPECT_EQ(flags[i] & (kTxOffloadRequests | RTE_MBUF_F_TX_TUNNEL_MASK), 0u) << i;
        const Bytes inner(frames[i].begin() + kOuter, frames[i].end());
        EXPECT_TRUE(l4_csum_ok(inner)) << "inner TCP checksum of frame " << i;
    }
}

// --- the port on a real tap -----------------------------------------------------------------------

class VtapPortTest : public ::testing::Test {
protected:
    void SetUp() override {
        tap_ = "vtpu" + std::to_string(getpid() % 100000);
        static unsigned serial = 0;
        auto pool = make_pktmbuf_pool("vtput" + std::to_string(++serial), 255, SOCKET_ID_ANY, TapQueue::kDataRoom);
        ASSERT_TRUE(pool.ok()) << pool.error().message;
        pool_ = std::move(pool.value());
        cfg_.name = "t";
        cfg_.type = PortType::vtap;
        cfg_.iface = tap_;
    }
    void TearDown() override {
        if (sock_ >= 0) close(sock_);
        std::system(("ip link del " + tap_ + " 2>/dev/null").c_str());
        if (pool_) {
            EXPECT_TRUE(pool_full(pool_.get())) << "leaked mbufs";
        }
    }
    // A packet socket with the virtio-net header on the tap: the kernel's side of it.
    void open_kernel_side() {
        std::system(("echo 1 > /proc/sys/net/ipv6/conf/" + tap_ + "/disable_ipv6").c_str());
        open_vnet_peer(tap_, sock_);
    }
    std::string tap_;
    int sock_ = -1;
    MempoolPtr pool_;
    PortConfig cfg_;
};

TEST_F(VtapPortTest, SegmentsCrossWholeBothWaysAndATunnelSegmentReachesTheKernelWhole) {
    {
        auto opened = Port::open(cfg_, pool_.get());
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        Port &port = opened.value();
        EXPECT_EQ(port.offload_caps(), kCapTx | kCapRxOffloads | kCapUdpTunnelTso) << "this kernel (6.17+) takes it";
        EXPECT_EQ(port.max_frame(), 1500u + 18);
        rte_eth_link link{};
        ASSERT_EQ(port.link(link), 0);
        EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP) << "the switch brings its tap up";
        ASSERT_NO_FATAL_FAILURE(open_kernel_side());

        // Switch -> kernel: an encapsulated 20 KB TCP segment, one write, one skb in the kernel.
        const Bytes inner = build(false, 6, 20000, kAck);
        rte_mbuf *m = offloaded(pool_.get(), inner, vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, kMss, inner));
        VxlanView vx;
        vx.local_ip_be = inet_addr(kLocal);
        vx.udp_port_be = rte_cpu_to_be_16(4789);
        vx.max_ip_len = 1500;
        VxlanOuter outer;
        vxlan_outer_init(outer, VxlanTarget{kVni, inet_addr(kVtepB), 0x0200000000bbULL}, vx);
        DropReason why{};
        ASSERT_EQ(vxlan_encap_offloaded(m, false, outer, vx, why), m);
        ASSERT_EQ(port.io()->tx(port.io()->ctx, 0, &m, 1), 1);
        virtio_net_hdr h{};
        Bytes got;
        ASSERT_TRUE(hear_vnet(sock_, h, got)) << "nothing reached the kernel";
        EXPECT_EQ(got.size(), kOuter + inner.size()) << "one frame, whole";
        EXPECT_EQ(h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_TCPV4);
        EXPECT_EQ(h.gso_size, kMss);
        // The tap took TUN_F_UDP_TUNNEL_GSO_CSUM, so the outer UDP checksum was asked for (and
        // the tap took that header): the skb carries the outer pseudo-header's sum, from which the
        // kernel makes each segment's (test_vxlan_vtap.py checks the segments on a wire).
        ASSERT_GE(got.size(), 42u);
        const uint16_t udp_len = get16(got, 38);
        EXPECT_EQ(udp_len, got.size() - 34);
        EXPECT_EQ(get16(got, 40), fold(sum16(&got[26], 8, 17u + udp_len))) << "outer UDP checksum: pseudo-header sum";

        // Kernel -> switch: a 30 KB TSO segment sent on the tap arrives whole with its request.
        const Bytes seg = build(false, 6, 30000, kAck);
        const virtio_net_hdr sh = vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, VIRTIO_NET_HDR_GSO_TCPV4, 1448, seg);
        ASSERT_NO_FATAL_FAILURE(send_vnet(sock_, sh, seg));
        PortCounters pc{};
        rte_mbuf *pkts[kMaxBurst];
        ASSERT_EQ(rx_within_a_second(port, pkts, pc), 1);
        EXPECT_EQ(bytes_of(pkts[0]).size(), seg.size());
        EXPECT_EQ(pkts[0]->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TUNNEL_MASK), RTE_MBUF_F_TX_TCP_SEG);
        EXPECT_EQ(pkts[0]->tso_segsz, 1448);
        rte_pktmbuf_free(pkts[0]);
    }
    // The tap was the port's own: gone with it.
    EXPECT_EQ(if_nametoindex(tap_.c_str()), 0u);
}

TEST_F(VtapPortTest, OneQueueOnly) {
    cfg_.queues = 2;
    auto needs = Port::mbuf_needs(cfg_);
    ASSERT_FALSE(needs.ok());
    EXPECT_NE(needs.error().message.find("one queue"), std::string::npos) << needs.error().message;
}

}  // namespace
}  // namespace dsw
