// The pools prepare_for_tx takes (frames, GSO headers, indirect payload references) for the
// offload tests, checked at teardown for leaked mbufs, and prepare_for_tx called on them.
#pragma once

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_errno.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/offload.h"

namespace dsw::test {

class GsoPoolsTest : public ::testing::Test {
protected:
    void SetUp() override {
        const std::string tag = std::to_string(++serial_);
        // No per-lcore cache, so that the free count is exact.
        frames_ = rte_pktmbuf_pool_create(("gsop_f" + tag).c_str(), 1023, 0, 0, 2048 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
        direct_ = rte_pktmbuf_pool_create(("gsop_d" + tag).c_str(), 511, 0, 0, 256 + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
        indirect_ = rte_pktmbuf_pool_create(("gsop_i" + tag).c_str(), 511, 0, 0, 0, SOCKET_ID_ANY);
        ASSERT_TRUE(frames_ && direct_ && indirect_) << rte_strerror(rte_errno);
        gso_ = {direct_, indirect_, 1500};
    }
    void TearDown() override {
        for (rte_mempool *p : {frames_, direct_, indirect_}) {
            if (p == nullptr) continue;
            EXPECT_EQ(rte_mempool_avail_count(p), p->size) << p->name << ": mbufs leaked";
            rte_mempool_free(p);
        }
    }

    uint16_t prepare(rte_mbuf *m, uint8_t caps, std::vector<rte_mbuf *> &out, DropReason &drop) {
        out.assign(128, nullptr);
        const uint16_t n = prepare_for_tx(m, caps, gso_, out.data(), static_cast<uint16_t>(out.size()), counters_, drop);
        out.resize(n);
        return n;
    }

    static inline unsigned serial_ = 0;
    rte_mempool *frames_ = nullptr, *direct_ = nullptr, *indirect_ = nullptr;
    GsoContext gso_{};
    OffloadCounters counters_;
};

}  // namespace dsw::test
