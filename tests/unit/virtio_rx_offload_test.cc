// A virtio ethdev's RX flags (net_vhost's compliant ol_flags, net_virtio with RX offloads) turned
// into the TX requests the switch carries: the same as vnet_to_mbuf makes of the header the peer
// wrote, refused in the same words, and nothing for a frame that asks for nothing.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "offload_frames.h"

namespace dsw {
namespace {

using namespace test;

constexpr uint64_t kRxNone = RTE_MBUF_F_RX_L4_CKSUM_NONE;
constexpr uint64_t kRxLro = RTE_MBUF_F_RX_LRO;

class VirtioRxOffloadTest : public ::testing::Test {
protected:
    void SetUp() override {
        pool_ = rte_pktmbuf_pool_create(("vrx" + std::to_string(++serial_)).c_str(), 255, 0, 0,
                                        2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
        ASSERT_NE(pool_, nullptr) << rte_strerror(rte_errno);
    }
    void TearDown() override {
        EXPECT_EQ(rte_mempool_avail_count(pool_), pool_->size) << "mbufs leaked";
        rte_mempool_free(pool_);
    }
    // As the PMD hands it over: a chain of 2 KB segments, the RX flags and tso_segsz it set.
    rte_mbuf *received(const Bytes &f, uint64_t rx_flags, uint16_t tso_segsz = 0) {
        rte_mbuf *head = nullptr;
        for (size_t at = 0; at < f.size(); at += 2048) {
            rte_mbuf *m = rte_pktmbuf_alloc(pool_);
            EXPECT_NE(m, nullptr);
            const size_t n = std::min<size_t>(2048, f.size() - at);
            std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(n)), &f[at], n);
            if (head == nullptr)
                head = m;
            else
                EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
        }
        head->ol_flags = rx_flags;
        head->tso_segsz = tso_segsz;
        return head;
    }
    static inline unsigned serial_ = 0;
    rte_mempool *pool_ = nullptr;
};

TEST_F(VirtioRxOffloadTest, RxFlagsBecomeTheRequestsOfThePeersHeader) {
    constexpr uint8_t kCsum = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    struct Case { const char *name; bool v6; uint8_t proto; bool vlan; uint64_t rx; uint8_t gso; };
    const Case cases[] = {
        {"tso4", false, 6, false, kRxLro | kRxNone, VIRTIO_NET_HDR_GSO_TCPV4},
        {"tso4 tagged", false, 6, true, kRxLro | kRxNone, VIRTIO_NET_HDR_GSO_TCPV4},
        {"tso6", true, 6, false, kRxLro | kRxNone, VIRTIO_NET_HDR_GSO_TCPV6},
        {"csum tcp4", false, 6, false, kRxNone, VIRTIO_NET_HDR_GSO_NONE},
        {"csum udp6", true, 17, false, kRxNone, VIRTIO_NET_HDR_GSO_NONE},
        {"csum udp4 tagged", false, 17, true, kRxNone, VIRTIO_NET_HDR_GSO_NONE},
    };
    for (const Case &c : cases) {
        const Bytes f = build(c.v6, c.proto, 5000, kAck, c.vlan);
        rte_mbuf *from_flags = received(f, c.rx, c.gso != VIRTIO_NET_HDR_GSO_NONE ? 1448 : 0);
        const VnetParse r = virtio_rx_to_tx(from_flags);
        ASSERT_TRUE(r.ok) << c.name << ": " << drop_reason_name(r.reason);
        rte_mbuf *from_header = received(f, 0);
        ASSERT_TRUE(vnet_to_mbuf(vnet(kCsum, c.gso, 1448, f), from_header).ok) << c.name;
        // The PMD's RX_L4_CKSUM_NONE stays (a partial checksum); RX_LRO is said by TX_*_SEG now.
        EXPECT_EQ(from_flags->ol_flags, from_header->ol_flags | kRxNone) << c.name;
        EXPECT_EQ(from_flags->tx_offload, from_header->tx_offload) << c.name << ": l2/l3/l4_len, tso_segsz";
        if (c.gso != VIRTIO_NET_HDR_GSO_NONE) {
            EXPECT_EQ(from_flags->tso_segsz, 1448u) << c.name;
        }
        EXPECT_EQ(bytes_of(from_flags), f) << c.name << ": the frame itself is not touched";
        rte_pktmbuf_free(from_flags);
        rte_pktmbuf_free(from_header);
    }
}

TEST_F(VirtioRxOffloadTest, AFrameThatAsksNothingIsLeftAsItIs) {
    const Bytes f = build(false, 6, 300);
    for (uint64_t rx : {uint64_t{0}, uint64_t{RTE_MBUF_F_RX_L4_CKSUM_GOOD}, uint64_t{RTE_MBUF_F_RX_L4_CKSUM_BAD},
                        uint64_t{RTE_MBUF_F_RX_IP_CKSUM_UNKNOWN}}) {
        rte_mbuf *m = received(f, rx, 77);
        const uint64_t tx_offload = m->tx_offload;
        EXPECT_TRUE(virtio_rx_to_tx(m).ok);
        EXPECT_EQ(m->ol_flags, rx);
        EXPECT_EQ(m->tx_offload, tx_offload);
        rte_pktmbuf_free(m);
    }
}

TEST_F(VirtioRxOffloadTest, WhatCannotBeCarriedIsItsOwnDropAndLeavesTheMbufAlone) {
    const Bytes tcp4 = build(false, 6, 3000), udp4 = build(false, 17, 3000);
    Bytes arp = tcp4;
    put16(arp, 12, 0x0806);
    const Bytes cut4(tcp4.begin(), tcp4.begin() + 14 + 20 + 10);
    Bytes trailing = tcp4;   // bytes past the IP packet would become the last segment's payload
    trailing.resize(trailing.size() + 6, 0);
    struct Case { const char *name; const Bytes &f; uint64_t rx; uint16_t mss; DropReason why; };
    const Case cases[] = {
        {"udp lro (legacy ufo)", udp4, kRxLro | kRxNone, 1400, DropReason::offload_unsupported},
        {"lro mss 0", tcp4, kRxLro | kRxNone, 0, DropReason::offload_bad_gso},
        {"lro bytes past ip", trailing, kRxLro | kRxNone, 1400, DropReason::offload_bad_gso},
        {"csum on arp", arp, kRxNone, 0, DropReason::offload_unsupported},
        {"tcp header cut", cut4, kRxNone, 0, DropReason::offload_bad_headers},
    };
    for (const Case &c : cases) {
        rte_mbuf *m = received(c.f, c.rx, c.mss);
        const uint64_t tx_offload = m->tx_offload;
        const VnetParse r = virtio_rx_to_tx(m);
        EXPECT_FALSE(r.ok) << c.name;
        EXPECT_EQ(r.reason, c.why) << c.name << ": " << drop_reason_name(r.reason);
        EXPECT_EQ(m->ol_flags, c.rx) << c.name;
        EXPECT_EQ(m->tx_offload, tx_offload) << c.name;
        rte_pktmbuf_free(m);
    }
}

TEST_F(VirtioRxOffloadTest, ABurstKeepsItsOrderAndCountsEachRefusalByReason) {
    const Bytes tcp4 = build(false, 6, 3000), udp4 = build(false, 17, 1000), plain = build(false, 6, 100);
    rte_mbuf *pkts[4] = {received(plain, 0), received(udp4, kRxLro | kRxNone, 500), received(tcp4, kRxLro | kRxNone, 1448),
                         received(tcp4, kRxLro | kRxNone, 0)};
    rte_mbuf *const plain_m = pkts[0], *const tso_m = pkts[2];
    const uint64_t dropped_len = pkts[1]->pkt_len + pkts[3]->pkt_len;
    PortCounters pc{};
    uint64_t dropped_bytes = 0;
    const uint16_t n = virtio_rx_burst_to_tx(pkts, 4, pc, dropped_bytes);
    ASSERT_EQ(n, 2);
    EXPECT_EQ(pkts[0], plain_m);
    EXPECT_EQ(pkts[1], tso_m);
    EXPECT_TRUE(tso_m->ol_flags & RTE_MBUF_F_TX_TCP_SEG);
    EXPECT_EQ(dropped_bytes, dropped_len);
    EXPECT_EQ(pc.drops[static_cast<unsigned>(DropReason::offload_unsupported)].get(), 1u);
    EXPECT_EQ(pc.drops[static_cast<unsigned>(DropReason::offload_bad_gso)].get(), 1u);
    rte_pktmbuf_free(pkts[0]);
    rte_pktmbuf_free(pkts[1]);
}

}  // namespace
}  // namespace dsw
