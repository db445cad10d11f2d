// The vtap port: through a running switch whose underlay takes UDP-tunnel GSO (or does not), and
// on a real tap made here, with a packet socket on the tap as the kernel's side. The header it
// speaks: vnet_tunnel_test.cc.
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
#include <set>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <rte_ring.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dataplane/vnet_tunnel.h"
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

// `f` in mbufs of `pool` (2 KB each, chained), no request yet: as a port's RX read it.
rte_mbuf *raw(rte_mempool *pool, const Bytes &f) { return offloaded(pool, f, virtio_net_hdr{}); }

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

    // A UDP GSO frame (a container's UDP_SEGMENT) whose datagrams with their IP and UDP headers
    // do not fit the tunnel's inner MTU (1450 here): a drop of the VTEP by its reason, never
    // datagrams cut smaller (nothing VXLAN leaves). TCP of the same size is cut (the test above).
    void expect_too_long_udp_gso_dropped() {
        meet_b();
        const Bytes inner = build(false, 17, 20000);
        const auto gso_mtu = [&] {
            return sw_->switch_totals().drops[static_cast<unsigned>(DropReason::offload_gso_mtu)];
        };
        ASSERT_EQ(rte_ring_enqueue(in_c_, offloaded(sw_->pool(), inner,
                                                    vnet(VIRTIO_NET_HDR_F_NEEDS_CSUM, kVnetGsoUdpL4, 1440, inner))),
                  0);
        EXPECT_TRUE(eventually(gso_mtu)) << "no offload_gso_mtu drop";
        const auto out = sent_on_underlay(0);
        EXPECT_EQ(out.size(), 0u) << "VXLAN frames left: the datagrams were cut, " << out.size();
        EXPECT_EQ(gso_mtu(), 1u);
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

TEST_F(VtapSwitchTest, AUdpGsoFrameTooLongForTheTunnelIsDroppedNotCut) { expect_too_long_udp_gso_dropped(); }

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

TEST_F(VirtioUnderlayTest, AUdpGsoFrameTooLongForTheTunnelIsDroppedNotCut) { expect_too_long_udp_gso_dropped(); }

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
        uint16_t refused = 0;
        ASSERT_EQ(port.io()->tx(port.io()->ctx, 0, &m, 1, refused), 1);
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
        // The kernel's own IPv6 frames (MLD, DAD), sent on the tap when the port brought it up and
        // before open_kernel_side turned IPv6 off there, may be queued ahead of the segment: a
        // loaded host leaves their timers the time to fire. Passed over; every IPv4 frame counts.
        std::vector<rte_mbuf *> ipv4;
        for (int tries = 0; tries < 8 && ipv4.empty(); ++tries) {
            PortCounters pc{};
            rte_mbuf *pkts[kMaxBurst];
            const uint16_t n = rx_within_a_second(port, pkts, pc);
            ASSERT_GT(n, 0) << "the segment did not reach the switch";
            for (uint16_t j = 0; j < n; ++j) {
                if (get16(bytes_of(pkts[j]), 12) == 0x0800) ipv4.push_back(pkts[j]);
                else rte_pktmbuf_free(pkts[j]);
            }
        }
        ASSERT_EQ(ipv4.size(), 1u);
        EXPECT_EQ(bytes_of(ipv4[0]).size(), seg.size());
        EXPECT_EQ(ipv4[0]->ol_flags & (RTE_MBUF_F_TX_TCP_SEG | RTE_MBUF_F_TX_TUNNEL_MASK), RTE_MBUF_F_TX_TCP_SEG);
        EXPECT_EQ(ipv4[0]->tso_segsz, 1448);
        rte_pktmbuf_free(ipv4[0]);
    }
    // The tap was the port's own: gone with it.
    EXPECT_EQ(if_nametoindex(tap_.c_str()), 0u);
}

// The sockets this process has open, by inode ("socket:[N]" in /proc/self/fd).
std::set<std::string> open_sockets() {
    std::set<std::string> out;
    for (const auto &e : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        const std::string target = std::filesystem::read_symlink(e.path(), ec).string();
        if (target.rfind("socket:", 0) == 0) out.insert(target);
    }
    return out;
}

// Its MTU and flags at open and its link state later are asked through one socket, not one
// each (the port's and its TunWhereabouts').
TEST_F(VtapPortTest, KeepsOneControlSocket) {
    const std::set<std::string> before = open_sockets();
    auto opened = Port::open(cfg_, pool_.get());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    rte_eth_link link{};
    ASSERT_EQ(opened.value().link(link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
    size_t added = 0;
    for (const std::string &s : open_sockets()) added += before.count(s) == 0;
    EXPECT_EQ(added, 1u);
}

// The fds this process has open on /dev/net/tun.
size_t tun_fds() {
    size_t n = 0;
    for (const auto &e : std::filesystem::directory_iterator("/proc/self/fd")) {
        std::error_code ec;
        n += std::filesystem::read_symlink(e.path(), ec) == "/dev/net/tun";
    }
    return n;
}

// The port's fd is its tap's only one: TunWhereabouts follows it without a duplicate, and the
// interface goes with the port.
TEST_F(VtapPortTest, HoldsOneFdOnItsTap) {
    const size_t before = tun_fds();
    {
        auto opened = Port::open(cfg_, pool_.get());
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        EXPECT_EQ(tun_fds(), before + 1);
        const std::optional<IfaceWhere> w = opened.value().iface_where();
        ASSERT_TRUE(w.has_value());
        EXPECT_EQ(w->name, tap_);
        EXPECT_FALSE(w->elsewhere);
        rte_eth_link link{};
        ASSERT_EQ(opened.value().link(link), 0);
        EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);
    }
    EXPECT_EQ(tun_fds(), before);
    EXPECT_EQ(if_nametoindex(tap_.c_str()), 0u) << tap_ << " outlived its port";
}

TEST_F(VtapPortTest, OneQueueOnly) {
    cfg_.queues = 2;
    auto needs = Port::mbuf_needs(cfg_);
    ASSERT_FALSE(needs.ok());
    EXPECT_NE(needs.error().message.find("one queue"), std::string::npos) << needs.error().message;
}

}  // namespace
}  // namespace dsw
