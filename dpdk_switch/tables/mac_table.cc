#include "dpdk_switch/tables/mac_table.h"

#include <cstdio>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/log.h"

namespace dsw {

Result<std::unique_ptr<MacTable>> MacTable::create(const std::string &name, unsigned capacity, int socket,
                                                   rte_rcu_qsbr *rcu) {
    std::unique_ptr<MacTable> t(new MacTable());
    // At most half the slots in use keeps probe sequences short (nearly always one bucket).
    const uint64_t buckets = rte_align64pow2(std::max<uint64_t>(16, uint64_t{capacity} * 2 / kSlots));
    const size_t bytes = buckets * sizeof(Bucket);
    t->buckets_ = static_cast<Bucket *>(rte_zmalloc_socket(name.c_str(), bytes, RTE_CACHE_LINE_SIZE, socket));
    if (t->buckets_ == nullptr)
        return fail("cannot allocate a MAC table of " + std::to_string(capacity) + " entries (" +
                    std::to_string(bytes >> 20) + " MiB): " + rte_strerror(rte_errno));
    t->mask_ = static_cast<uint32_t>(buckets - 1);
    t->capacity_ = capacity;
    t->rcu_ = rcu;
    t->epoch_tsc_ = rte_rdtsc();
    t->tsc_hz_ = rte_get_tsc_hz();
    return t;
}

MacTable::~MacTable() { rte_free(buckets_); }

uint32_t MacTable::now_s() const noexcept { return now_s(rte_rdtsc()); }

int32_t MacTable::insert(uint64_t sk, uint32_t h, uint16_t port, MacState st, uint32_t now_s, bool &fresh) noexcept {
    const uint64_t mine = pending(sk);
    unsigned attempts = 0;
    fresh = false;
retry:
    for (unsigned p = 0; p < kProbe; ++p) {
        const uint32_t bi = (h + p) & mask_;
        Bucket &b = buckets_[bi];
        for (unsigned s = 0; s < kSlots; ++s) {
            const auto slot = static_cast<int32_t>(bi * kSlots + s);
            uint64_t v = b.key[s].load(std::memory_order_acquire);
            if (holds(v, sk)) return slot;   // another writer stored it, or is storing it
            if (v != kEmpty && v != kReusable) continue;
            // seq_cst: see before_claim().
            if (!b.key[s].compare_exchange_strong(v, mine, std::memory_order_seq_cst)) {
                if (holds(v, sk)) return slot;
                continue;
            }
            // What our scan saw before this slot may have changed meanwhile. A copy of the key
            // there (another worker learning the same MAC) comes first: hand ours back and use
            // it. A slot there that is free now was not when we scanned it: a delete freed it
            // and, not seeing our claim yet, may turn it into a never-used slot, which would end
            // every lookup of our key before it reaches us: hand ours back and claim again.
            // Handing back leaves the slot reusable, which stops no lookup (others may have
            // passed it while it was ours).
            if (p > 0 || s > 0) {
                const int32_t seen = before_claim(sk, h, p, s);
                if (seen >= 0 || (seen == kFreeBefore && attempts < kProbe)) [[unlikely]] {
                    b.key[s].store(kReusable, std::memory_order_release);
                    if (seen >= 0) return seen;
                    ++attempts;
                    goto retry;
                }
            }
            MacEntry &e = b.entry[s];
            e.port.store(port, std::memory_order_relaxed);
            e.state.store(st, std::memory_order_relaxed);
            e.seen_s.store(now_s, std::memory_order_relaxed);
            b.key[s].store(sk, std::memory_order_release);   // publishes the entry with it
            count_.fetch_add(1, std::memory_order_relaxed);  // new MACs only, never per packet
            port_count_[port].fetch_add(1, std::memory_order_relaxed);
            fresh = true;
            return slot;
        }
    }
    return -1;
}

int32_t MacTable::before_claim(uint64_t sk, uint32_t h, unsigned p, unsigned s) const noexcept {
    // Every claim, these loads, the control plane's stores of reusable slots and its loads in
    // passed() are seq_cst: of two writers claiming slots in one probe, the later one sees the
    // earlier one's claim; and either passed() sees our claim, or we see the slot it freed.
    // On x86 none of them costs a fence.
    bool free = false;
    for (unsigned q = 0; q <= p; ++q) {
        const uint32_t bi = (h + q) & mask_;
        const Bucket &b = buckets_[bi];
        for (unsigned t = 0; t < (q < p ? kSlots : s); ++t) {
            const uint64_t v = b.key[t].load(std::memory_order_seq_cst);
            if (holds(v, sk)) return static_cast<int32_t>(bi * kSlots + t);
            free |= v == kEmpty || v == kReusable;
        }
    }
    return free ? kFreeBefore : -1;
}

LearnResult MacTable::learn_slow(MacKey key, int32_t slot, uint16_t port, uint32_t now_s) noexcept {
    if (slot >= 0) {   // known, seen on another port: a move (the inline part refreshed its age)
        MacEntry &e = buckets_[slot / kSlots].entry[slot % kSlots];
        if (e.state.load(std::memory_order_relaxed) == MacState::fixed) return LearnResult::static_conflict;
        port_count_[e.port.load(std::memory_order_relaxed)].fetch_sub(1, std::memory_order_relaxed);
        port_count_[port].fetch_add(1, std::memory_order_relaxed);
        e.port.store(port, std::memory_order_relaxed);
        return LearnResult::moved;
    }
    // The configured size is the limit, not the slots: "table full" means the same everywhere.
    if (count_.load(std::memory_order_relaxed) >= capacity_) [[unlikely]]
        return LearnResult::table_full;
    // A container flooding random source MACs fills its own share, not the table.
    const unsigned limit = port_limit_[port].load(std::memory_order_relaxed);
    if (limit != 0 && port_count_[port].load(std::memory_order_relaxed) >= limit) [[unlikely]]
        return LearnResult::port_limit;
    const uint32_t h = hash(key);
    const uint64_t sk = stored(key);
    // A lookup earlier in this burst may have missed a key added since (by us or another
    // writer): look again before inserting, so that a MAC is never stored twice.
    if (find(sk, h) >= 0) return LearnResult::refreshed;
    bool fresh;
    if (insert(sk, h, port, MacState::dynamic, now_s, fresh) < 0) [[unlikely]]
        return LearnResult::table_full;
    return fresh ? LearnResult::learned : LearnResult::refreshed;   // refreshed: another worker learned it
}

Status MacTable::add_static(MacKey key, uint16_t port) {
    const uint32_t h = hash(key);
    const uint64_t sk = stored(key);
    int32_t slot = find(sk, h);
    if (slot < 0) {
        bool fresh;
        if (count_.load(std::memory_order_relaxed) >= capacity_ ||
            (slot = insert(sk, h, port, MacState::fixed, now_s(), fresh)) < 0)
            return fail("MAC table is full (" + std::to_string(capacity_) + " entries)");
        // A worker learning the same MAC this moment writes its entry first: wait for it to
        // publish (a few stores), so that ours is not overwritten.
        if (!fresh)
            while (buckets_[slot / kSlots].key[slot % kSlots].load(std::memory_order_acquire) == pending(sk)) rte_pause();
    }
    MacEntry &e = buckets_[slot / kSlots].entry[slot % kSlots];
    const uint16_t was = e.port.load(std::memory_order_relaxed);
    if (was != port) {   // an existing entry turned static on another port
        port_count_[was].fetch_sub(1, std::memory_order_relaxed);
        port_count_[port].fetch_add(1, std::memory_order_relaxed);
    }
    e.port.store(port, std::memory_order_relaxed);
    e.state.store(MacState::fixed, std::memory_order_relaxed);
    return Ok{};
}

void MacTable::retire(const std::vector<int32_t> &slots, const std::vector<uint32_t> &homes) {
    if (slots.empty()) return;
    count_.fetch_sub(static_cast<unsigned>(slots.size()), std::memory_order_relaxed);
    for (int32_t slot : slots)
        port_count_[buckets_[slot / kSlots].entry[slot % kSlots].port.load(std::memory_order_relaxed)].fetch_sub(
            1, std::memory_order_relaxed);
    // Every worker that could have read these slots before the delete passes a quiescent state
    // at the end of its loop; only then may an insert reuse them.
    if (rcu_ != nullptr) rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
    // seq_cst, as passed()'s loads: see before_claim(), which an insert that scanned one of
    // these slots while it was in use runs after claiming a later one.
    for (int32_t slot : slots) buckets_[slot / kSlots].key[slot % kSlots].store(kReusable, std::memory_order_seq_cst);
    // Last bucket first: a bucket emptied ends the scan of the one before it at once.
    for (auto it = homes.rbegin(); it != homes.rend(); ++it) unmark_reusable(*it);
}

bool MacTable::passed(uint32_t bi) const noexcept {
    for (unsigned j = 1; j < kProbe; ++j) {
        const uint32_t c = (bi + j) & mask_;
        const Bucket &b = buckets_[c];
        bool has_empty = false;
        for (unsigned s = 0; s < kSlots; ++s) {
            const uint64_t v = b.key[s].load(std::memory_order_seq_cst);   // see before_claim()
            if (v == kEmpty) {
                has_empty = true;
            } else if (is_key(v)) {
                if (((c - home(v)) & mask_) >= j) return true;   // its probe started at or before bi
            } else if (v != kReusable) {
                return true;   // a key being written, or a tombstone: counted as passing
            }
        }
        // No key is placed past a never-used slot, so none beyond c passed bi.
        if (has_empty) return false;
    }
    return false;
}

void MacTable::unmark_reusable(uint32_t bi) noexcept {
    Bucket &b = buckets_[bi];
    bool any = false;
    for (unsigned s = 0; s < kSlots; ++s) any |= b.key[s].load(std::memory_order_relaxed) == kReusable;
    if (!any || passed(bi)) return;
    // A CAS, not a store: a worker may claim the slot for a new key meanwhile. A worker that
    // read this bucket full a moment ago and is placing its key past it, where passed() did not
    // see it yet, finds this slot free when it checks after its claim, and claims again.
    for (unsigned s = 0; s < kSlots; ++s) {
        uint64_t v = kReusable;
        b.key[s].compare_exchange_strong(v, kEmpty, std::memory_order_release, std::memory_order_relaxed);
    }
}

unsigned MacTable::probe_depth(MacKey key) const noexcept {
    const uint64_t sk = stored(key);
    const uint32_t h = hash(key);
    for (unsigned p = 0; p < kProbe; ++p) {
        const Bucket &b = buckets_[(h + p) & mask_];
        for (unsigned s = 0; s < kSlots; ++s) {
            const uint64_t v = b.key[s].load(std::memory_order_acquire);
            if (v == sk || v == kEmpty) return p + 1;
        }
    }
    return kProbe;
}

unsigned MacTable::remove_where(bool (*match)(const MacEntry &, uint64_t key, const void *ctx), const void *ctx) {
    std::vector<int32_t> gone;
    std::vector<uint32_t> homes;   // every bucket a retired key's probe went through, in scan order
    for (uint32_t bi = 0; bi <= mask_; ++bi) {
        Bucket &b = buckets_[bi];
        for (unsigned s = 0; s < kSlots; ++s) {
            uint64_t v = b.key[s].load(std::memory_order_acquire);
            if (!is_key(v) || !match(b.entry[s], v & ~kValid, ctx)) continue;
            // Only the control plane deletes; the CAS guards against nothing but documents that
            // the slot must still hold the key we matched.
            if (b.key[s].compare_exchange_strong(v, kTombstone, std::memory_order_acq_rel)) {
                gone.push_back(static_cast<int32_t>(bi * kSlots + s));
                for (uint32_t h = home(v);; h = (h + 1) & mask_) {
                    homes.push_back(h);
                    if (h == bi) break;
                }
            }
        }
    }
    retire(gone, homes);
    return static_cast<unsigned>(gone.size());
}

bool MacTable::remove(MacKey key) {
    // Scans the whole table rather than the probe window: two inserters of one key can still
    // leave it twice when a delete frees a slot ahead of the first one's claim after that
    // claim's check and the second claims the freed slot (insert() catches every other order),
    // and `mac del` must remove every copy.
    return remove_where([](const MacEntry &, uint64_t k, const void *ctx) { return k == *static_cast<const MacKey *>(ctx); },
                        &key) > 0;
}

unsigned MacTable::flush(int port, bool include_static) {
    struct Ctx {
        int port;
        bool include_static;
    } ctx{port, include_static};
    return remove_where(
        [](const MacEntry &e, uint64_t, const void *p) {
            const auto &c = *static_cast<const Ctx *>(p);
            if (e.state.load(std::memory_order_relaxed) == MacState::fixed && !c.include_static) return false;
            return c.port < 0 || e.port.load(std::memory_order_relaxed) == c.port;
        },
        &ctx);
}

unsigned MacTable::age(uint32_t max_age_s) {
    struct Ctx {
        uint32_t now, max;
    } ctx{now_s(), max_age_s};
    const unsigned n = remove_where(
        [](const MacEntry &e, uint64_t, const void *p) {
            const auto &c = *static_cast<const Ctx *>(p);
            return e.state.load(std::memory_order_relaxed) == MacState::dynamic &&
                   c.now - e.seen_s.load(std::memory_order_relaxed) > c.max;
        },
        &ctx);
    if (n != 0) DSW_LOG(DEBUG, table, "aged out %u MAC entries", n);
    return n;
}

std::vector<MacRecord> MacTable::records() const {
    const uint32_t now = now_s();
    std::vector<MacRecord> out;
    for (uint32_t bi = 0; bi <= mask_; ++bi) {
        const Bucket &b = buckets_[bi];
        for (unsigned s = 0; s < kSlots; ++s) {
            const uint64_t v = b.key[s].load(std::memory_order_acquire);
            if (!is_key(v)) continue;
            const MacEntry &e = b.entry[s];
            out.push_back({v & ~kValid, e.port.load(std::memory_order_relaxed),
                           e.state.load(std::memory_order_relaxed) == MacState::fixed,
                           now - e.seen_s.load(std::memory_order_relaxed)});
        }
    }
    return out;
}

std::optional<MacRecord> MacTable::find_record(MacKey key) const {
    const int32_t slot = lookup(key);
    if (slot < 0) return std::nullopt;
    const MacEntry &e = entry(slot);
    return MacRecord{key, e.port.load(std::memory_order_relaxed), e.state.load(std::memory_order_relaxed) == MacState::fixed,
                     now_s() - e.seen_s.load(std::memory_order_relaxed)};
}

}  // namespace dsw
