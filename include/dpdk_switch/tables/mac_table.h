// MacTable: (vlan, MAC) -> switch port index, shared by both planes.
//
// Who writes: workers add new MACs and store moves; the control plane adds static entries,
// deletes (aging, flush, `mac del`). Who reads: every worker, lock-free.
// Protection: rte_hash with RW_CONCURRENCY_LF (readers never block) + MULTI_WRITER_ADD (several
// writers). The hash gives each key a stable position; the entry beside it (port, state, last
// seen) is plain atomics indexed by that position, so a move or an age refresh is a store, not
// a table write. A deleted position is reused only after every worker has passed a quiescent
// state (rte_rcu_qsbr), so a worker holding a stale position never sees another key's entry.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <rte_hash.h>

#include "dpdk_switch/result.h"
#include "dpdk_switch/tables/mac_key.h"

struct rte_rcu_qsbr;

namespace dsw {

enum class MacState : uint8_t { free = 0, dynamic = 1, fixed = 2 };  // fixed: a static entry

struct alignas(16) MacEntry {
    std::atomic<uint16_t> port{0};
    std::atomic<MacState> state{MacState::free};
    std::atomic<uint32_t> seen_s{0};   // seconds since the table was made; refreshed at most once a second
    MacKey key = 0;                    // written before state is published (release)
};

enum class LearnResult : uint8_t { refreshed, learned, moved, table_full, static_conflict };

struct MacRecord {  // a copy for the control plane (show, tests)
    MacKey key;
    uint16_t port;
    bool is_static;
    uint32_t age_s;
};

class MacTable {
public:
    static Result<std::unique_ptr<MacTable>> create(const std::string &name, unsigned capacity, int socket,
                                                    rte_rcu_qsbr *rcu);
    ~MacTable();
    MacTable(const MacTable &) = delete;
    MacTable &operator=(const MacTable &) = delete;

    rte_hash *hash() const { return hash_; }
    unsigned capacity() const { return capacity_; }

    // Data plane. Positions come from rte_hash_lookup_bulk on hash(); < 0 is a miss.
    // A position whose entry is not yet published is treated as a miss.
    const MacEntry *entry(int32_t pos) const { return &entries_[pos]; }
    bool live(int32_t pos) const {
        return pos >= 0 && entries_[pos].state.load(std::memory_order_acquire) != MacState::free;
    }
    // Source learning for a frame seen on `port`. `pos` is the lookup result for the key.
    LearnResult learn(MacKey key, int32_t pos, uint16_t port, uint32_t now_s) noexcept;

    // Control plane.
    uint32_t now_s() const;
    Status add_static(MacKey key, uint16_t port);
    bool remove(MacKey key);                       // true if it was there
    unsigned flush(int port = -1, bool include_static = false);  // port -1: all ports
    unsigned age(uint32_t max_age_s);              // removes dynamic entries idle longer
    std::vector<MacRecord> records() const;
    std::optional<MacRecord> find(MacKey key) const;
    unsigned size() const;

private:
    MacTable() = default;
    // Unlinks the given positions from the hash, waits for the workers' quiescent state, then
    // lets rte_hash reuse them.
    void retire(const std::vector<int32_t> &positions);

    rte_hash *hash_ = nullptr;
    rte_rcu_qsbr *rcu_ = nullptr;
    unsigned capacity_ = 0;
    unsigned slots_ = 0;   // key positions rte_hash may hand out (capacity + per-lcore caches)
    std::unique_ptr<MacEntry[]> entries_;
    std::atomic<unsigned> count_{0};   // published entries; written on add/retire only
    uint64_t epoch_tsc_ = 0;
};

}  // namespace dsw
