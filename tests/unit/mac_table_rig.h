// A MacTable of its own for a unit test, on its own RCU QSBR variable (what the Switch sets up for
// the real one). Freed in the right order: the table first, then the QSBR it retires through.
#pragma once

#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/tables/mac_table.h"

namespace dsw::test {

class MacTableRig {
public:
    MacTableRig() = default;
    MacTableRig(const MacTableRig &) = delete;
    MacTableRig &operator=(const MacTableRig &) = delete;
    ~MacTableRig() {
        table_.reset();
        rte_free(rcu_);
    }
    // In SetUp: ASSERT_TRUE(rig.make("name", capacity)).
    ::testing::AssertionResult make(const std::string &name, unsigned capacity) {
        const size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
        rcu_ = static_cast<rte_rcu_qsbr *>(rte_zmalloc((name + "_rcu").c_str(), sz, RTE_CACHE_LINE_SIZE));
        if (rcu_ == nullptr || rte_rcu_qsbr_init(rcu_, RTE_MAX_LCORE) != 0)
            return ::testing::AssertionFailure() << "no RCU QSBR variable for " << name;
        auto t = MacTable::create(name, capacity, SOCKET_ID_ANY, rcu_);
        if (!t.ok()) return ::testing::AssertionFailure() << t.error().message;
        table_ = std::move(t.value());
        return ::testing::AssertionSuccess();
    }
    MacTable &table() { return *table_; }
    rte_rcu_qsbr *rcu() { return rcu_; }

private:
    rte_rcu_qsbr *rcu_ = nullptr;
    std::unique_ptr<MacTable> table_;
};

}  // namespace dsw::test
