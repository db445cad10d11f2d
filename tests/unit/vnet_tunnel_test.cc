// The UDP-tunnel virtio-net header a vtap speaks, and what the switch makes of it: the header ⇄
// mbuf mapping (a kernel's UDP-tunnel GSO frame lands in the tunnel form decapsulation reads; a
// header that lies about the frame is refused, the mbuf untouched), decapsulation of such a
// frame, and VXLAN encapsulation that keeps a TSO request for an underlay taking UDP-tunnel GSO
// (one frame leaves where ~15 did). The port itself: vtap_port_test.cc.
#include <arpa/inet.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/dataplane/vxlan_encap.h"
#include "dpdk_switch/dpdk/owners.h"
#include "frames.h"
#include "offload_frames.h"
#include "vxlan_overlay.h"

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

}  // namespace
}  // namespace dsw
