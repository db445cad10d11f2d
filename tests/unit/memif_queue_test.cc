// The memif rings as the switch reads and writes them (MemifQueue), against a peer the test
// plays by writing the shared memory itself: frames cross both ways, and every descriptor a
// hostile peer could write (a region it never added, an offset or length past its region, a
// length over the buffer, a chain with no end, ring indexes out of the ring) stops the queue
// with its reason, or is a counted drop, never a read outside the region. The pool is full at
// the end of each test.
//
//   test (the peer) ── region (plain memory): C2S ring, S2C ring, buffers ── MemifQueue
#include <cstdlib>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/ports/memif_queue.h"
#include "frames.h"

namespace dsw {
namespace {

using memif::Desc;
using memif::RingHdr;

constexpr unsigned kLog2 = 4;
constexpr unsigned kSlots = 1u << kLog2;
constexpr uint32_t kBuf = 2048;
constexpr uint32_t kMaxFrame = 9720;

class MemifQueueTest : public ::testing::Test {
protected:
    void SetUp() override {
        static int seq = 0;
        pool_ = rte_pktmbuf_pool_create(("mifq" + std::to_string(seq++)).c_str(), 511, 0, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
        ASSERT_NE(pool_, nullptr);
        size_ = 2 * memif::ring_bytes(kLog2) + 2 * kSlots * kBuf;
        mem_ = static_cast<uint8_t *>(std::aligned_alloc(4096, size_));
        std::memset(mem_, 0, size_);
        region_ = MemifRegion{mem_, size_};
        c2s_ = reinterpret_cast<RingHdr *>(mem_);
        s2c_ = reinterpret_cast<RingHdr *>(mem_ + memif::ring_bytes(kLog2));
        for (RingHdr *r : {c2s_, s2c_}) r->cookie = memif::kCookie;
    }
    void TearDown() override {
        q_.reset();
        EXPECT_TRUE(test::pool_full(pool_)) << "mbufs leaked";
        rte_mempool_free(pool_);
        std::free(mem_);
    }

    // The switch as server (the test is the client) or as client (the test is the server).
    void make(bool server) {
        MemifQueue::Setup s;
        s.server = server;
        s.rx_ring = server ? c2s_ : s2c_;
        s.tx_ring = server ? s2c_ : c2s_;
        s.log2_ring_size = kLog2;
        s.regions = &region_;
        s.n_regions = 1;
        s.buf_size = kBuf;
        s.tx_buf_offset = static_cast<uint32_t>(2 * memif::ring_bytes(kLog2));
        s.rx_buf_offset = s.tx_buf_offset + kSlots * kBuf;
        s.pool = pool_;
        s.max_frame = kMaxFrame;
        q_ = std::make_unique<MemifQueue>(s);
        if (!server) q_->post_rx();
    }

    Desc *desc(RingHdr *r) { return reinterpret_cast<Desc *>(r + 1); }
    uint32_t buf_off(unsigned i) const { return static_cast<uint32_t>(2 * memif::ring_bytes(kLog2) + i * kBuf); }

    // The test as client: `len` bytes of `fill` in buffer `buf`, in C2S slot `slot`.
    void client_put(unsigned slot, unsigned buf, uint32_t len, uint8_t fill, bool next = false) {
        std::memset(mem_ + buf_off(buf), fill, len);
        desc(c2s_)[slot] = Desc{static_cast<uint16_t>(next ? memif::kDescNext : 0), 0, len, buf_off(buf), 0};
    }

    uint16_t rx(std::vector<rte_mbuf *> &out) {
        out.resize(32);
        const uint16_t n = q_->rx(out.data(), 32, pc_);
        out.resize(n);
        return n;
    }
    void free_all(std::vector<rte_mbuf *> &v) {
        for (rte_mbuf *m : v) rte_pktmbuf_free(m);
        v.clear();
    }
    uint64_t drops(DropReason r) const { return pc_.drops[static_cast<unsigned>(r)].get(); }

    rte_mempool *pool_ = nullptr;
    uint8_t *mem_ = nullptr;
    uint64_t size_ = 0;
    MemifRegion region_;
    RingHdr *c2s_ = nullptr, *s2c_ = nullptr;
    std::unique_ptr<MemifQueue> q_;
    PortCounters pc_{};
};

TEST_F(MemifQueueTest, ServerReceivesFramesAndChainsTheLongOnes) {
    make(true);
    client_put(0, 0, 60, 0xaa);
    client_put(1, 1, 2048, 0xbb, true);   // a 3000-byte frame in two buffers
    client_put(2, 2, 952, 0xcc);
    c2s_->head = 3;
    std::vector<rte_mbuf *> got;
    ASSERT_EQ(rx(got), 2);
    EXPECT_EQ(got[0]->pkt_len, 60u);
    EXPECT_EQ(*rte_pktmbuf_mtod(got[0], uint8_t *), 0xaa);
    EXPECT_EQ(got[1]->pkt_len, 3000u);
    EXPECT_GE(got[1]->nb_segs, 2);
    uint8_t first, last;
    EXPECT_EQ(*static_cast<const uint8_t *>(rte_pktmbuf_read(got[1], 0, 1, &first)), 0xbb);
    EXPECT_EQ(*static_cast<const uint8_t *>(rte_pktmbuf_read(got[1], 2999, 1, &last)), 0xcc) << "the chain in order";
    EXPECT_EQ(c2s_->tail, 3) << "the slots read go back to the client";
    EXPECT_EQ(q_->fault(), MemifFault::none);
    free_all(got);
}

// rx() and tx() load a burst's descriptors ahead of the copies (to overlap the misses): every
// one is still checked where it is used, and a chain longer than the frames asked for goes on
// past the descriptors loaded ahead.
TEST_F(MemifQueueTest, ServerChecksEveryDescriptorOfABurstAndChainsPastTheOnesLoadedAhead) {
    make(true);
    client_put(0, 0, 1000, 0xa1, true);   // one frame in three slots, asked for one frame at a time
    client_put(1, 1, 1000, 0xa2, true);
    client_put(2, 2, 1000, 0xa3);
    client_put(3, 3, 60, 0xb0);
    desc(c2s_)[4] = Desc{0, 0, 60, static_cast<uint32_t>(size_ - 10), 0};   // then a lie
    c2s_->head = 5;
    rte_mbuf *m = nullptr;
    ASSERT_EQ(q_->rx(&m, 1, pc_), 1);
    EXPECT_EQ(m->pkt_len, 3000u);
    uint8_t b;
    EXPECT_EQ(*static_cast<const uint8_t *>(rte_pktmbuf_read(m, 2999, 1, &b)), 0xa3);
    rte_pktmbuf_free(m);
    std::vector<rte_mbuf *> got;
    EXPECT_EQ(rx(got), 1) << "the frame before the lie";
    EXPECT_EQ(q_->fault(), MemifFault::desc_range);
    EXPECT_EQ(c2s_->tail, 4) << "the lie is never given back as read";
    free_all(got);

    make(true);   // sending: a 5100-byte frame over three posted 2 KB buffers, the third a lie
    for (unsigned i = 0; i < 3; ++i) desc(s2c_)[i] = Desc{0, 0, kBuf, buf_off(8 + i), 0};
    desc(s2c_)[2].region = 3;
    s2c_->head = 3;
    rte_mbuf *big = nullptr;
    for (int i = 0; i < 3; ++i) {
        rte_mbuf *seg = rte_pktmbuf_alloc(pool_);
        std::memset(rte_pktmbuf_append(seg, 1700), 0x5a, 1700);
        if (big == nullptr) big = seg;
        else ASSERT_EQ(rte_pktmbuf_chain(big, seg), 0);
    }
    uint16_t refused = 0;
    EXPECT_EQ(q_->tx(&big, 1, refused), 0);
    EXPECT_EQ(q_->fault(), MemifFault::desc_region);
    EXPECT_EQ(s2c_->tail, 0);
    EXPECT_EQ(mem_[buf_off(8)], 0) << "nothing written before every buffer is checked";
    rte_pktmbuf_free(big);
}

TEST_F(MemifQueueTest, ServerStopsOnADescriptorOutsideTheRegions) {
    struct Case {
        Desc d;
        MemifFault why;
    } cases[] = {
        {{0, 1, 60, 0, 0}, MemifFault::desc_region},                                      // a region never added
        {{0, 7, 60, 0, 0}, MemifFault::desc_region},
        {{0, 0, 60, static_cast<uint32_t>(size_ - 10), 0}, MemifFault::desc_range},      // runs past the end
        {{0, 0, 0xffffffffu, 0, 0}, MemifFault::desc_range},                             // a length over it all
        {{0, 0, 60, 0xfffffff0u, 0}, MemifFault::desc_range},                            // an offset far past it
    };
    for (const Case &c : cases) {
        make(true);
        c2s_->head = 0;
        c2s_->tail = 0;
        desc(c2s_)[0] = c.d;
        c2s_->head = 1;
        std::vector<rte_mbuf *> got;
        EXPECT_EQ(rx(got), 0);
        EXPECT_EQ(q_->fault(), c.why) << memif_fault_text(q_->fault());
        // Stopped: neither way moves any more.
        rte_mbuf *m = rte_pktmbuf_alloc(pool_);
        uint16_t refused = 0;
        EXPECT_EQ(q_->tx(&m, 1, refused), 0);
        rte_pktmbuf_free(m);
    }
}

TEST_F(MemifQueueTest, ServerStopsOnAChainWithoutEndOrIndexesOutOfTheRing) {
    make(true);
    for (unsigned i = 0; i < kSlots; ++i) client_put(i, i, 100, 1, true);   // NEXT on every slot
    c2s_->head = kSlots;
    std::vector<rte_mbuf *> got;
    EXPECT_EQ(rx(got), 0);
    EXPECT_EQ(q_->fault(), MemifFault::chain_open);

    make(true);
    c2s_->tail = 0;
    c2s_->head = kSlots + 1;   // more produced than the ring holds
    EXPECT_EQ(rx(got), 0);
    EXPECT_EQ(q_->fault(), MemifFault::ring_index);
}

TEST_F(MemifQueueTest, TooLongAndTooShortFramesAreCountedDrops) {
    make(true);
    // 5 buffers of 2048: 10240 bytes, over the largest frame the switch carries.
    for (unsigned i = 0; i < 5; ++i) client_put(i, i, 2048, 2, i < 4);
    client_put(5, 5, 10, 3);    // a runt
    client_put(6, 6, 64, 4);    // and a good one after them
    c2s_->head = 7;
    std::vector<rte_mbuf *> got;
    ASSERT_EQ(rx(got), 1);
    EXPECT_EQ(got[0]->pkt_len, 64u);
    EXPECT_EQ(drops(DropReason::oversize), 1u);
    EXPECT_EQ(drops(DropReason::runt), 1u);
    EXPECT_EQ(q_->fault(), MemifFault::none);
    free_all(got);
}

TEST_F(MemifQueueTest, ServerSendsIntoTheBuffersTheClientPostedAndChecksThem) {
    make(true);
    // The client posts two 2 KB buffers.
    for (unsigned i = 0; i < 2; ++i) desc(s2c_)[i] = Desc{0, 0, kBuf, buf_off(8 + i), 0};
    s2c_->head = 2;
    rte_mbuf *m[3];
    for (rte_mbuf *&x : m) {
        x = rte_pktmbuf_alloc(pool_);
        std::memset(rte_pktmbuf_append(x, 100), 0x5a, 100);
    }
    uint16_t refused = 0;
    EXPECT_EQ(q_->tx(m, 3, refused), 2) << "two buffers posted: two frames";
    EXPECT_EQ(refused, 0);
    EXPECT_EQ(s2c_->tail, 2);
    EXPECT_EQ(desc(s2c_)[0].length, 100u);
    EXPECT_EQ(mem_[buf_off(8)], 0x5a);
    // A posted buffer outside the region: the queue stops, nothing is written.
    desc(s2c_)[2] = Desc{0, 0, kBuf, static_cast<uint32_t>(size_ - 100), 0};
    s2c_->head = 3;
    EXPECT_EQ(q_->tx(&m[2], 1, refused), 0);
    EXPECT_EQ(q_->fault(), MemifFault::desc_range);
    rte_pktmbuf_free(m[2]);
}

TEST_F(MemifQueueTest, ClientChecksTheLengthsTheServerWrites) {
    make(false);
    EXPECT_EQ(s2c_->head, kSlots) << "every RX buffer posted";
    // The server fills slot 0 well and slot 1 with a length over the buffer.
    desc(s2c_)[0].length = 70;
    desc(s2c_)[1].length = kBuf + 1;
    desc(s2c_)[1].offset = 0;   // and points it elsewhere: the client reads its own buffer anyway
    s2c_->tail = 1;
    std::vector<rte_mbuf *> got;
    ASSERT_EQ(rx(got), 1);
    EXPECT_EQ(got[0]->pkt_len, 70u);
    EXPECT_EQ(s2c_->head, kSlots + 1) << "the slot read is posted again";
    free_all(got);
    s2c_->tail = 2;
    EXPECT_EQ(rx(got), 0);
    EXPECT_EQ(q_->fault(), MemifFault::desc_length);
}

TEST_F(MemifQueueTest, ClientSendsChainsAndStopsWhenTheServerHasNotFreedSlots) {
    make(false);
    rte_mbuf *m = rte_pktmbuf_alloc(pool_);
    // A 3000-byte frame in two mbufs: two 2 KB buffers, NEXT on the first.
    std::memset(rte_pktmbuf_append(m, 1500), 1, 1500);
    rte_mbuf *t = rte_pktmbuf_alloc(pool_);
    std::memset(rte_pktmbuf_append(t, 1500), 2, 1500);
    ASSERT_EQ(rte_pktmbuf_chain(m, t), 0);
    uint16_t refused = 0;
    ASSERT_EQ(q_->tx(&m, 1, refused), 1);
    EXPECT_EQ(c2s_->head, 2);
    EXPECT_EQ(desc(c2s_)[0].flags, memif::kDescNext);
    EXPECT_EQ(desc(c2s_)[0].length, kBuf);
    EXPECT_EQ(desc(c2s_)[1].length, 3000u - kBuf);
    EXPECT_EQ(mem_[desc(c2s_)[1].offset + 3000 - kBuf - 1], 2);
    // A server whose tail claims more than was sent: indexes out of the ring.
    c2s_->tail = 40;
    rte_mbuf *x = rte_pktmbuf_alloc(pool_);
    rte_pktmbuf_append(x, 60);
    EXPECT_EQ(q_->tx(&x, 1, refused), 0);
    EXPECT_EQ(q_->fault(), MemifFault::ring_index);
    rte_pktmbuf_free(x);
}

}  // namespace
}  // namespace dsw
