#include "dpdk_switch/tables/mac_table.h"

#include <cstdio>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/log.h"

namespace dsw {

namespace {
// rte_hash hands out key positions from per-lcore caches when MULTI_WRITER_ADD is on, so it may
// use up to this many slots beyond the requested capacity (see rte_cuckoo_hash.c).
constexpr unsigned kLcoreCacheSlots = 64;
}  // namespace

Result<std::unique_ptr<MacTable>> MacTable::create(const std::string &name, unsigned capacity, int socket,
                                                   rte_rcu_qsbr *rcu) {
    std::unique_ptr<MacTable> t(new MacTable());
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = capacity;
    p.key_len = sizeof(MacKey);
    p.hash_func = rte_hash_crc;  // one crc32 instruction for an 8-byte key
    p.hash_func_init_val = 0;
    p.socket_id = socket;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD |
                   RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
    t->hash_ = rte_hash_create(&p);
    if (t->hash_ == nullptr)
        return fail("cannot create MAC table of " + std::to_string(capacity) + " entries: " + rte_strerror(rte_errno));
    t->rcu_ = rcu;
    t->capacity_ = capacity;
    t->slots_ = capacity + RTE_MAX_LCORE * kLcoreCacheSlots + 1;
    t->entries_ = std::make_unique<MacEntry[]>(t->slots_);
    t->epoch_tsc_ = rte_rdtsc();
    return t;
}

MacTable::~MacTable() { rte_hash_free(hash_); }

uint32_t MacTable::now_s() const { return static_cast<uint32_t>((rte_rdtsc() - epoch_tsc_) / rte_get_tsc_hz()); }

LearnResult MacTable::learn(MacKey key, int32_t pos, uint16_t port, uint32_t now_s) noexcept {
    if (pos >= 0) [[likely]] {
        MacEntry &e = entries_[pos];
        const MacState st = e.state.load(std::memory_order_acquire);
        if (st == MacState::free) [[unlikely]]
            return LearnResult::refreshed;  // being added or retired right now: the next frame settles it
        if (e.seen_s.load(std::memory_order_relaxed) != now_s) e.seen_s.store(now_s, std::memory_order_relaxed);
        if (e.port.load(std::memory_order_relaxed) == port) [[likely]]
            return LearnResult::refreshed;
        if (st == MacState::fixed) return LearnResult::static_conflict;
        e.port.store(port, std::memory_order_relaxed);
        return LearnResult::moved;
    }
    // rte_hash's per-lcore slot caches let it hold more keys than asked for: the configured
    // size is enforced here, so "table full" means the same thing on every machine.
    if (count_.load(std::memory_order_relaxed) >= capacity_) [[unlikely]]
        return LearnResult::table_full;
    const int32_t added = rte_hash_add_key(hash_, &key);
    if (added < 0 || static_cast<unsigned>(added) >= slots_) [[unlikely]]
        return LearnResult::table_full;
    MacEntry &e = entries_[added];
    // Another writer may have added the same key between our lookup and add: rte_hash then
    // returns the same position, and the first one to publish wins.
    if (e.state.load(std::memory_order_acquire) != MacState::free) return LearnResult::refreshed;
    count_.fetch_add(1, std::memory_order_relaxed);   // new MACs only, never per packet
    e.key = key;
    e.port.store(port, std::memory_order_relaxed);
    e.seen_s.store(now_s, std::memory_order_relaxed);
    e.state.store(MacState::dynamic, std::memory_order_release);
    return LearnResult::learned;
}

Status MacTable::add_static(MacKey key, uint16_t port) {
    const bool exists = live(rte_hash_lookup(hash_, &key));
    if (!exists && count_.load(std::memory_order_relaxed) >= capacity_)
        return fail("MAC table is full (" + std::to_string(capacity_) + " entries)");
    const int32_t pos = rte_hash_add_key(hash_, &key);
    if (pos < 0 || static_cast<unsigned>(pos) >= slots_)
        return fail("MAC table is full (" + std::to_string(capacity_) + " entries)");
    MacEntry &e = entries_[pos];
    if (e.state.load(std::memory_order_acquire) == MacState::free) count_.fetch_add(1, std::memory_order_relaxed);
    e.key = key;
    e.port.store(port, std::memory_order_relaxed);
    e.seen_s.store(now_s(), std::memory_order_relaxed);
    e.state.store(MacState::fixed, std::memory_order_release);
    return Ok{};
}

void MacTable::retire(const std::vector<int32_t> &positions) {
    if (positions.empty()) return;
    // Every worker that could have read these positions before the delete passes a quiescent
    // state at the end of its loop; only then may rte_hash give the slots to new keys.
    if (rcu_ != nullptr) rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
    unsigned published = 0;
    for (int32_t pos : positions) {
        published += entries_[pos].state.exchange(MacState::free, std::memory_order_relaxed) != MacState::free;
        rte_hash_free_key_with_position(hash_, pos);
    }
    count_.fetch_sub(published, std::memory_order_relaxed);
}

bool MacTable::remove(MacKey key) {
    const int32_t pos = rte_hash_del_key(hash_, &key);
    if (pos < 0) return false;
    retire({pos});
    return true;
}

unsigned MacTable::flush(int port, bool include_static) {
    std::vector<int32_t> gone;
    for (unsigned i = 0; i < slots_; ++i) {
        const MacEntry &e = entries_[i];
        const MacState st = e.state.load(std::memory_order_acquire);
        if (st == MacState::free || (st == MacState::fixed && !include_static)) continue;
        if (port >= 0 && e.port.load(std::memory_order_relaxed) != port) continue;
        const int32_t pos = rte_hash_del_key(hash_, &e.key);
        if (pos >= 0) gone.push_back(pos);
    }
    retire(gone);
    return static_cast<unsigned>(gone.size());
}

unsigned MacTable::age(uint32_t max_age_s) {
    const uint32_t now = now_s();
    std::vector<int32_t> gone;
    for (unsigned i = 0; i < slots_; ++i) {
        const MacEntry &e = entries_[i];
        if (e.state.load(std::memory_order_acquire) != MacState::dynamic) continue;
        if (now - e.seen_s.load(std::memory_order_relaxed) <= max_age_s) continue;
        const int32_t pos = rte_hash_del_key(hash_, &e.key);
        if (pos >= 0) gone.push_back(pos);
    }
    retire(gone);
    if (!gone.empty()) DSW_LOG(DEBUG, table, "aged out %zu MAC entries", gone.size());
    return static_cast<unsigned>(gone.size());
}

std::vector<MacRecord> MacTable::records() const {
    const uint32_t now = now_s();
    std::vector<MacRecord> out;
    for (unsigned i = 0; i < slots_; ++i) {
        const MacEntry &e = entries_[i];
        const MacState st = e.state.load(std::memory_order_acquire);
        if (st == MacState::free) continue;
        out.push_back({e.key, e.port.load(std::memory_order_relaxed), st == MacState::fixed,
                       now - e.seen_s.load(std::memory_order_relaxed)});
    }
    return out;
}

std::optional<MacRecord> MacTable::find(MacKey key) const {
    const int32_t pos = rte_hash_lookup(hash_, &key);
    if (!live(pos)) return std::nullopt;
    const MacEntry &e = entries_[pos];
    return MacRecord{key, e.port.load(std::memory_order_relaxed), e.state.load() == MacState::fixed,
                     now_s() - e.seen_s.load(std::memory_order_relaxed)};
}

unsigned MacTable::size() const { return count_.load(std::memory_order_relaxed); }

std::string mac_to_string(uint64_t mac48) {
    uint8_t b[6];
    mac_to_bytes(mac48, b);
    char s[18];
    std::snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
    return s;
}

std::optional<uint64_t> mac_from_string(const std::string &s) {
    unsigned b[6];
    char tail;
    if (s.size() != 17 ||
        std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6)
        return std::nullopt;
    uint8_t bytes[6];
    for (int i = 0; i < 6; ++i) bytes[i] = static_cast<uint8_t>(b[i]);
    return mac_from_bytes(bytes);
}

}  // namespace dsw
