// A VLAN tag pushed or popped on a frame that carries offload requests (a 64 KB TCP segment
// from a veth port, its checksum partial): the header lengths follow the tag, so that the vnet
// header written at egress points at the TCP checksum (csum_start = l2_len + l3_len), in place
// and in a flood's variant (a new head chained to a clone), whose head then holds every header.
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "frames.h"

namespace dsw {
namespace {

using Bytes = std::vector<uint8_t>;
constexpr uint16_t kPayload = 3000, kMss = 1448, kVlan = 10;
constexpr uint16_t kIp = 20, kTcp = 20;

// Ethernet [802.1Q] IPv4 TCP (no options), kPayload bytes: a GSO segment of about two MSS.
Bytes tcp_segment(bool vlan) {
    Bytes f = test::eth_frame(test::mac(2, 0, 0, 0, 0, 0xb), test::mac(2, 0, 0, 0, 0, 0xa), 0x0800, 14);
    if (vlan) f = test::tagged(f, kVlan);
    const size_t l3 = f.size();
    const uint16_t total = kIp + kTcp + kPayload;
    const uint8_t ip[kIp] = {0x45, 0, uint8_t(total >> 8), uint8_t(total), 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
    f.insert(f.end(), ip, ip + kIp);
    Bytes tcp(kTcp, 0);
    tcp[0] = 0x9c, tcp[1] = 0x40, tcp[3] = 80;   // ports 40000 -> 80
    tcp[12] = 5 << 4;                             // doff 5
    tcp[13] = 0x10;                               // ACK
    f.insert(f.end(), tcp.begin(), tcp.end());
    for (unsigned i = 0; i < kPayload; ++i) f.push_back(static_cast<uint8_t>(i * 7));
    EXPECT_EQ(f.size(), l3 + total);
    return f;
}

// What the kernel writes for it: checksum partial from the TCP header, TCPv4 segments of kMss.
virtio_net_hdr gso_header(bool vlan) {
    const uint16_t l2 = vlan ? 18 : 14;
    virtio_net_hdr h{};
    h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    h.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    h.gso_size = kMss;
    h.hdr_len = l2 + kIp + kTcp;
    h.csum_start = l2 + kIp;
    h.csum_offset = 16;
    return h;
}

class VlanOffloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        static unsigned serial = 0;
        // No per-lcore cache, so that the free count is exact.
        pool_ = rte_pktmbuf_pool_create(("vlofl" + std::to_string(++serial)).c_str(), 63, 0, 0,
                                        4096 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
        ASSERT_NE(pool_, nullptr) << rte_strerror(rte_errno);
    }
    void TearDown() override {
        EXPECT_TRUE(test::pool_full(pool_)) << "leaked mbufs";
        rte_mempool_free(pool_);
    }
    // The frame in an mbuf, its offload fields set from the header as a veth port's RX sets them.
    rte_mbuf *received(bool vlan) {
        rte_mbuf *m = test::to_mbuf(pool_, tcp_segment(vlan));
        EXPECT_NE(m, nullptr);
        const VnetParse p = vnet_to_mbuf(gso_header(vlan), m);
        EXPECT_TRUE(p.ok) << drop_reason_name(p.reason);
        EXPECT_EQ(m->l2_len, vlan ? 18 : 14);
        return m;
    }
    static Bytes bytes_of(const rte_mbuf *m) {
        Bytes b;
        for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
            const auto *p = rte_pktmbuf_mtod(s, const uint8_t *);
            b.insert(b.end(), p, p + s->data_len);
        }
        EXPECT_EQ(b.size(), m->pkt_len);
        return b;
    }
    // The header a vnet port writes at egress must be what the kernel would write for the frame
    // as it now is.
    static void expect_egress_header(const rte_mbuf *m, bool vlan) {
        virtio_net_hdr h{};
        mbuf_to_vnet(m, h);
        const virtio_net_hdr want = gso_header(vlan);
        EXPECT_EQ(h.csum_start, want.csum_start);
        EXPECT_EQ(h.csum_offset, want.csum_offset);
        EXPECT_EQ(h.hdr_len, want.hdr_len);
        EXPECT_EQ(h.gso_type, want.gso_type);
        EXPECT_EQ(h.gso_size, want.gso_size);
    }
    rte_mempool *pool_ = nullptr;
};

TEST_F(VlanOffloadTest, TaggingInPlaceMovesL2LenWithTheTag) {
    rte_mbuf *m = received(false);
    ASSERT_TRUE(vlan_tag_in_place(m, kVlan));
    EXPECT_EQ(m->l2_len, 18);
    EXPECT_EQ(bytes_of(m), tcp_segment(true));
    expect_egress_header(m, true);
    vlan_untag_in_place(m);
    EXPECT_EQ(m->l2_len, 14);
    EXPECT_EQ(bytes_of(m), tcp_segment(false));
    expect_egress_header(m, false);
    rte_pktmbuf_free(m);
}

TEST_F(VlanOffloadTest, AFrameWithoutOffloadsKeepsItsLengthsUntouched) {
    rte_mbuf *m = test::to_mbuf(pool_, tcp_segment(false));
    ASSERT_NE(m, nullptr);
    ASSERT_TRUE(vlan_tag_in_place(m, kVlan));
    EXPECT_EQ(m->l2_len, 0);
    vlan_untag_in_place(m);
    EXPECT_EQ(m->l2_len, 0);
    rte_pktmbuf_free(m);
}

// A flood to ports of both taggings: the variant's head carries the requests, l2_len moved,
// and holds L2 to L4 whole; the original is left as it was.
TEST_F(VlanOffloadTest, AFloodVariantCarriesTheRequestsAndEveryHeaderInItsHead) {
    for (const bool add : {true, false}) {
        SCOPED_TRACE(add ? "adding a tag" : "removing a tag");
        rte_mbuf *m = received(!add);
        rte_mbuf *v = vlan_variant(m, add, kVlan);
        ASSERT_NE(v, nullptr);
        EXPECT_EQ(bytes_of(v), tcp_segment(add));
        EXPECT_EQ(v->l2_len, add ? 18 : 14);
        EXPECT_EQ(v->data_len, v->l2_len + kIp + kTcp);
        EXPECT_EQ(v->ol_flags, m->ol_flags);
        EXPECT_EQ(v->tso_segsz, kMss);
        expect_egress_header(v, add);
        EXPECT_EQ(m->l2_len, add ? 14 : 18);
        EXPECT_EQ(bytes_of(m), tcp_segment(!add));
        expect_egress_header(m, !add);
        rte_pktmbuf_free(v);
        rte_pktmbuf_free(m);
    }
}

}  // namespace
}  // namespace dsw
