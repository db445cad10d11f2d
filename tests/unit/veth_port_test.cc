// The veth port on a real veth pair made here: the test is the container, its own AF_PACKET
// socket with PACKET_VNET_HDR on the far end; the port is opened on the near end and its rx/tx
// called as a worker calls them. A 64 KB TCP segment with a partial checksum arrives with its
// offloads in the mbuf (a chain past one mbuf's room) and leaves with the same header and
// bytes; a header the switch cannot carry is a counted drop.
//
//   test socket ── dswvuNNNNNp (peer) ══ veth ══ dswvuNNNNNh ── veth port (Port::open)
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_byteorder.h>
#include <rte_errno.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/ports/port.h"
#include "dpdk_switch/ports/vnet_socket.h"
#include "empty_switch.h"
#include "eventually.h"
#include "frames.h"
#include "vnet_peer.h"

namespace dsw {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint16_t kMss = 1448;

// Ethernet IPv4 TCP (no options) with `payload` bytes, its checksum left partial.
Bytes tcp_segment(size_t payload) {
    Bytes f = test::eth_frame(test::mac(2, 0, 0, 0, 0, 0xb), test::mac(2, 0, 0, 0, 0, 0xa), 0x0800, 14);
    const auto total = static_cast<uint16_t>(20 + 20 + payload);
    const uint8_t ip[20] = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    f.insert(f.end(), ip, ip + 20);
    Bytes tcp(20, 0);
    tcp[0] = 0x9c, tcp[1] = 0x40, tcp[3] = 80, tcp[12] = 5 << 4, tcp[13] = 0x18;
    f.insert(f.end(), tcp.begin(), tcp.end());
    for (size_t i = 0; i < payload; ++i) f.push_back(static_cast<uint8_t>(i * 13 + 1));
    return f;
}

virtio_net_hdr tso_header(size_t frame_len) {
    virtio_net_hdr h{};
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gso_type = frame_len > 14 + 40 + kMss ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_NONE;
    h.gso_size = h.gso_type != VIRTIO_NET_HDR_GSO_NONE ? kMss : 0;
    h.hdr_len = h.gso_type != VIRTIO_NET_HDR_GSO_NONE ? 14 + 40 : 0;
    h.csum_start = 14 + 20;
    h.csum_offset = 16;
    return h;
}

class VethPortTest : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string tag = std::to_string(getpid() % 100000);
        host_ = "dswvu" + tag + "h";
        peer_ = "dswvu" + tag + "p";
        cleanup();
        ASSERT_EQ(sh("ip link add " + host_ + " type veth peer name " + peer_), 0);
        for (const std::string &i : {host_, peer_}) {
            // No IPv6 chatter (DAD, router solicitations) on the pair: only the test's frames.
            sh("echo 1 > /proc/sys/net/ipv6/conf/" + i + "/disable_ipv6");
            ASSERT_EQ(sh("ip link set " + i + " up"), 0);
        }
        ASSERT_NO_FATAL_FAILURE(test::open_vnet_peer(peer_, peer_fd_, 4 << 20));

        static unsigned serial = 0;
        auto pool = make_pktmbuf_pool("vethut" + std::to_string(++serial), 255, SOCKET_ID_ANY, VnetSocket::kDataRoom);
        ASSERT_TRUE(pool.ok()) << pool.error().message;
        pool_ = std::move(pool.value());
        cfg_.name = "v";
        cfg_.type = PortType::veth;
        cfg_.iface = host_;
    }
    void TearDown() override {
        if (peer_fd_ >= 0) close(peer_fd_);
        cleanup();
        if (pool_) {
            EXPECT_TRUE(test::pool_full(pool_.get())) << "leaked mbufs";
        }
    }
    void cleanup() { sh("ip link del " + host_ + " 2>/dev/null"); }
    static int sh(const std::string &cmd) { return std::system(cmd.c_str()); }

    void send_from_peer(const virtio_net_hdr &h, const Bytes &f) { test::send_vnet(peer_fd_, h, f); }
    bool recv_at_peer(virtio_net_hdr &h, Bytes &f) { return test::hear_vnet(peer_fd_, h, f); }
    static uint16_t rx(Port &p, rte_mbuf **pkts, PortCounters &pc) { return test::rx_within_a_second(p, pkts, pc); }
    static Bytes bytes_of(const rte_mbuf *m) {
        Bytes b;
        for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
            const auto *p = rte_pktmbuf_mtod(s, const uint8_t *);
            b.insert(b.end(), p, p + s->data_len);
        }
        return b;
    }

    std::string host_, peer_;
    int peer_fd_ = -1;
    MempoolPtr pool_;
    PortConfig cfg_;
};

TEST_F(VethPortTest, SegmentsOfAnySizeCrossWithTheirOffloadsBothWays) {
    auto opened = Port::open(cfg_, pool_.get());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Port &port = opened.value();
    EXPECT_EQ(port.max_frame(), 1500u + 18);
    EXPECT_EQ(port.kind().offloads, kCapTx | kCapRxOffloads);
    rte_eth_link link{};
    ASSERT_EQ(port.link(link), 0);
    EXPECT_EQ(link.link_status, RTE_ETH_LINK_UP);

    // One MSS (a partial checksum only), 20 KB, and the longest frame a veth passes whole (the
    // kernel splits one of its gso_max_size, 65536, itself): past one mbuf's room.
    for (const size_t payload : {size_t{kMss}, size_t{20000}, size_t{65535 - 54}}) {
        SCOPED_TRACE("payload " + std::to_string(payload));
        const Bytes f = tcp_segment(payload);
        const virtio_net_hdr sent = tso_header(f.size());
        send_from_peer(sent, f);

        PortCounters pc;
        rte_mbuf *pkts[kMaxBurst];
        ASSERT_EQ(rx(port, pkts, pc), 1);
        rte_mbuf *m = pkts[0];
        EXPECT_EQ(m->pkt_len, f.size());
        EXPECT_EQ(m->nb_segs, f.size() > VnetSocket::kDataRoom - RTE_PKTMBUF_HEADROOM ? 2 : 1);
        EXPECT_EQ(bytes_of(m), f);
        EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
        EXPECT_EQ(static_cast<bool>(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG), sent.gso_type != VIRTIO_NET_HDR_GSO_NONE);
        EXPECT_EQ(m->l2_len, 14);
        EXPECT_EQ(m->l3_len, 20);
        EXPECT_EQ(m->l4_len, 20);

        // Back out the same port: the peer hears the frame and the header it sent.
        uint16_t refused = 0;
        ASSERT_EQ(port.io()->tx(port.io()->ctx, 0, pkts, 1, refused), 1);
        virtio_net_hdr h{};
        Bytes got;
        ASSERT_TRUE(recv_at_peer(h, got));
        EXPECT_EQ(got, f);
        EXPECT_EQ(h.flags, sent.flags);
        EXPECT_EQ(h.gso_type, sent.gso_type);
        EXPECT_EQ(h.gso_size, sent.gso_size);
        EXPECT_EQ(h.csum_start, sent.csum_start);
        EXPECT_EQ(h.csum_offset, sent.csum_offset);
        for (unsigned r = 0; r < kDropReasons; ++r) EXPECT_EQ(pc.drops[r].get(), 0u) << kDropReasonNames[r];
    }
    EXPECT_EQ(port.ring_drops(), std::optional<uint64_t>(0));
}

// A container on a trunk sends tagged frames; the kernel takes the tag off on the way (the host
// end's packet socket sees the frame untagged and the tag in PACKET_AUXDATA, the header's offsets
// counted without it): the port hands the switch the frame as sent, tag in place (802.1Q or
// 802.1ad), with its offloads counted from the frame's start.
TEST_F(VethPortTest, ATaggedFrameArrivesTaggedWithItsOffloads) {
    auto opened = Port::open(cfg_, pool_.get());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Port &port = opened.value();
    struct Case {
        uint16_t tpid;
        size_t payload;   // one MSS: a partial checksum only; more: a TCP GSO segment
    };
    for (const Case c : {Case{0x8100, kMss}, Case{0x8100, 20000}, Case{0x88a8, 20000}}) {
        SCOPED_TRACE("tpid " + std::to_string(c.tpid) + ", payload " + std::to_string(c.payload));
        Bytes f = tcp_segment(c.payload);
        const uint16_t tci = (5 << 13) | 10;   // priority 5, VLAN 10
        const uint8_t tag[4] = {uint8_t(c.tpid >> 8), uint8_t(c.tpid), uint8_t(tci >> 8), uint8_t(tci)};
        f.insert(f.begin() + 12, tag, tag + 4);
        virtio_net_hdr sent = tso_header(f.size() - 4);
        sent.csum_start = static_cast<uint16_t>(sent.csum_start + 4);
        if (sent.hdr_len != 0) sent.hdr_len = static_cast<uint16_t>(sent.hdr_len + 4);
        send_from_peer(sent, f);

        PortCounters pc;
        rte_mbuf *pkts[kMaxBurst];
        ASSERT_EQ(rx(port, pkts, pc), 1);
        rte_mbuf *m = pkts[0];
        EXPECT_EQ(m->pkt_len, f.size());
        EXPECT_EQ(bytes_of(m), f);
        EXPECT_TRUE(m->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM);
        EXPECT_EQ(static_cast<bool>(m->ol_flags & RTE_MBUF_F_TX_TCP_SEG), sent.gso_type != VIRTIO_NET_HDR_GSO_NONE);
        if (sent.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
            EXPECT_EQ(m->tso_segsz, kMss);
        }
        EXPECT_EQ(m->l2_len, 18);
        EXPECT_EQ(m->l3_len, 20);
        EXPECT_EQ(m->l4_len, 20);
        // What the port sends on asks for the checksum where the tagged frame has it.
        virtio_net_hdr out{};
        mbuf_to_vnet(m, out);
        EXPECT_EQ(out.csum_start, sent.csum_start);
        EXPECT_EQ(out.csum_offset, sent.csum_offset);
        EXPECT_EQ(out.hdr_len, sent.hdr_len);
        for (unsigned r = 0; r < kDropReasons; ++r) EXPECT_EQ(pc.drops[r].get(), 0u) << kDropReasonNames[r];
        rte_pktmbuf_free(m);
    }
}

// A checksum the mbuf cannot say (here at UDP's offset in a TCP header, which the kernel passes
// on as given) is dropped at RX and counted with its reason, as received.
TEST_F(VethPortTest, AHeaderTheSwitchCannotCarryIsACountedDrop) {
    auto opened = Port::open(cfg_, pool_.get());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    Port &port = opened.value();
    const Bytes f = tcp_segment(100);
    virtio_net_hdr h = tso_header(f.size());
    h.csum_offset = 6;
    send_from_peer(h, f);
    PortCounters pc;
    rte_mbuf *pkts[kMaxBurst];
    EXPECT_EQ(rx(port, pkts, pc), 0);
    EXPECT_EQ(pc.drops[static_cast<unsigned>(DropReason::offload_bad_csum)].get(), 1u);
    EXPECT_EQ(pc.rx_packets.get(), 1u);
    EXPECT_EQ(pc.rx_bytes.get(), f.size());
}

// Down at the peer end: the port's link says so; the interface is left as it was found (not
// promiscuous) once the port closes.
TEST_F(VethPortTest, LinkFollowsThePeerAndPromiscuityEndsWithThePort) {
    auto flags = [&] {
        const std::string path = "/sys/class/net/" + host_ + "/flags";
        FILE *fp = std::fopen(path.c_str(), "r");
        unsigned v = 0;
        if (fp != nullptr) {
            EXPECT_EQ(std::fscanf(fp, "%x", &v), 1);
            std::fclose(fp);
        }
        return v;
    };
    {
        auto opened = Port::open(cfg_, pool_.get());
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        Port &port = opened.value();
        EXPECT_TRUE(flags() & IFF_PROMISC);
        // The kernel moves the operational state a moment after the carrier (linkwatch).
        auto link_becomes = [&](uint8_t want) {
            for (int i = 0; i < 300; ++i) {
                rte_eth_link link{};
                if (port.link(link) == 0 && link.link_status == want) return true;
                usleep(10000);
            }
            return false;
        };
        ASSERT_EQ(sh("ip link set " + peer_ + " down"), 0);
        EXPECT_TRUE(link_becomes(RTE_ETH_LINK_DOWN));
        ASSERT_EQ(sh("ip link set " + peer_ + " up"), 0);
        EXPECT_TRUE(link_becomes(RTE_ETH_LINK_UP));
    }
    EXPECT_FALSE(flags() & IFF_PROMISC);
}

// Each veth port receives into a pool of its own (38 MB): `port del` frees it once its mbufs are
// all back, so that adding and deleting a container's port again and again (a CNI plugin does)
// never runs the EAL's memory (512 MB here) dry.
TEST_F(VethPortTest, AddedAndDeletedAgainAndAgainItsPoolGoesWithIt) {
    const std::unique_ptr<Switch> started = test::empty_switch();
    ASSERT_NE(started, nullptr);
    Switch &sw = *started;
    for (int i = 0; i < 20; ++i) {
        const Reply add = run_command(sw, "port add v veth iface=" + host_);
        ASSERT_TRUE(add.ok) << "cycle " << i << ": " << add.text;
        ASSERT_TRUE(sw.del_port("v").ok());
    }
    sw.stop();
    EXPECT_TRUE(test::pool_full(sw.pool()));
}

// A frame the kernel refuses outright (here longer than the egress interface's MTU, lowered
// after the port opened: the switch still takes 1500 bytes there) is counted tx_refused on that
// port, not tx_full: no queue was full, and sending it again would fail again. The frames around
// it still leave.
TEST_F(VethPortTest, AFrameTheKernelRefusesIsCountedTxRefusedNotTxFull) {
    const std::string tag = std::to_string(getpid() % 100000);
    struct Pair {
        std::string host, peer;
        ~Pair() { sh("ip link del " + host + " 2>/dev/null"); }
    } w{"dswvu" + tag + "i", "dswvu" + tag + "q"};
    sh("ip link del " + w.host + " 2>/dev/null");
    ASSERT_EQ(sh("ip link add " + w.host + " type veth peer name " + w.peer), 0);
    for (const std::string &i : {w.host, w.peer}) {
        sh("echo 1 > /proc/sys/net/ipv6/conf/" + i + "/disable_ipv6");
        ASSERT_EQ(sh("ip link set " + i + " up"), 0);
    }
    const std::unique_ptr<Switch> started = test::empty_switch();
    ASSERT_NE(started, nullptr);
    Switch &sw = *started;
    ASSERT_TRUE(run_command(sw, "port add v veth iface=" + host_).ok);
    ASSERT_TRUE(run_command(sw, "port add w veth iface=" + w.host).ok);
    ASSERT_EQ(sh("ip link set " + w.host + " mtu 1000"), 0);

    // Unknown unicast from v, flooded to w: 100 bytes, 1400 (over w's MTU now), 100.
    for (const size_t payload : {46u, 1346u, 46u}) send_from_peer(virtio_net_hdr{}, tcp_segment(payload));
    nlohmann::json drops;
    uint64_t tx = 0;
    EXPECT_TRUE(test::eventually([&] {
        const Reply r = run_command(sw, "show port stats w");
        if (!r.ok) return false;
        drops = r.json["ports"][0]["drops"];
        tx = r.json["ports"][0]["tx_packets"].get<uint64_t>();
        return tx + drops.value("tx_refused", uint64_t{0}) + drops.value("tx_full", uint64_t{0}) >= 3;
    })) << drops.dump();
    EXPECT_EQ(tx, 2u);
    EXPECT_EQ(drops.value("tx_refused", uint64_t{0}), 1u) << drops.dump();
    EXPECT_EQ(drops.value("tx_full", uint64_t{0}), 0u) << drops.dump();
    sw.stop();
    EXPECT_TRUE(test::pool_full(sw.pool()));
}

TEST_F(VethPortTest, OneQueueOnly) {
    cfg_.queues = 2;
    auto need = Port::mbuf_needs(cfg_);
    ASSERT_FALSE(need.ok());
    EXPECT_EQ(need.error().message, "port v: a veth port has one queue (queues: 2)");
}

}  // namespace
}  // namespace dsw
