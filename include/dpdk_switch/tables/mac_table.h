// MacTable: (vlan, MAC) -> switch port index, shared by both planes.
//
// Layout: open addressing over 64-byte buckets, each holding 4 keys and, in the same cache
// line, their 4 entries (port, state, last seen). A lookup is one CRC32 and, almost always,
// one cache line. The table is sized for at most 50% load and probes at most kProbe buckets.
// Measured against rte_hash (RW_CONCURRENCY_LF) on the same switching path in bench/: see the
// commit that introduced it.
//
// Who writes: workers add new MACs and store moves and age refreshes; the control plane adds
// static entries and deletes (aging, flush, `mac del`). Who reads: every worker, lock-free.
// Protection: a key slot is claimed with a CAS (empty -> pending key), its entry written, then the
// key published with a release store; readers load keys with acquire. A deleted slot becomes a
// tombstone and is reusable only after every worker has passed an rte_rcu_qsbr quiescent state,
// so a worker holding a stale slot never sees another key's entry. Moves and age refreshes are
// single stores to the entry, not table writes.
// A lookup stops at the first bucket with a never-used slot. A reusable slot does not stop it
// (a key may have been placed past it while it was in use), so after the delete the control
// plane turns reusable slots back into never-used ones wherever no key's probe passes them:
// without that, after a flush or a round of aging every miss read all kProbe buckets, and
// learning in bench/ fell by half once its table had been flushed (BENCHMARKS.md, "Figures behind code comments"). An insert
// checks, after its claim, the slots before its own in the probe: one freed meanwhile (by a
// delete, about to become never-used) makes it claim again, and a copy of its key there (another
// worker learning the same MAC) makes it give way.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rte_hash_crc.h>
#if defined(__AVX2__) || defined(__SSE4_2__)
#include <immintrin.h>
#endif
#include <rte_prefetch.h>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/result.h"
#include "dpdk_switch/tables/mac_key.h"

struct rte_rcu_qsbr;

namespace dsw {

enum class MacState : uint8_t { dynamic = 1, fixed = 2 };  // fixed: a static entry

struct MacEntry {
    std::atomic<uint16_t> port{0};
    std::atomic<MacState> state{MacState::dynamic};
    uint8_t pad_ = 0;
    std::atomic<uint32_t> seen_s{0};   // seconds since the table was made; refreshed at most once a second
};

enum class LearnResult : uint8_t { refreshed, learned, moved, table_full, static_conflict, port_limit };

struct MacRecord {  // a copy for the control plane (show, tests)
    MacKey key;
    uint16_t port;
    bool is_static;
    uint32_t age_s;
};

class MacTable {
public:
    static constexpr unsigned kSlots = 4;    // keys per bucket
    static constexpr unsigned kProbe = 8;    // buckets a key may be placed in

    static Result<std::unique_ptr<MacTable>> create(const std::string &name, unsigned capacity, int socket,
                                                    rte_rcu_qsbr *rcu);
    ~MacTable();
    MacTable(const MacTable &) = delete;
    MacTable &operator=(const MacTable &) = delete;

    unsigned capacity() const { return capacity_; }

    // ---- data plane ----
    // Slot of the key, or -1.
    int32_t lookup(MacKey key) const noexcept { return find(stored(key), hash(key)); }
    // The same in two steps, so that a caller can start the bucket's fetch as soon as it knows
    // the key and do other work (parse the next frames) while memory answers.
    uint32_t hash_and_prefetch(MacKey key) const noexcept {
        const uint32_t h = hash(key);
        rte_prefetch0(&buckets_[h & mask_]);
        return h;
    }
    int32_t lookup_hashed(MacKey key, uint32_t h) const noexcept { return find(stored(key), h); }
    // lookup() the portable way, a key at a time, whatever the build: for the unit test that
    // holds it to the AVX2 way (what a build without AVX2 runs).
    int32_t lookup_plain(MacKey key) const noexcept { return find<false>(stored(key), hash(key)); }
    const MacEntry &entry(int32_t slot) const noexcept { return buckets_[slot / kSlots].entry[slot % kSlots]; }
    // Source learning for a frame seen on `port`; `slot` is the lookup result for the key.
    // The common case (known MAC, same port) is inline: a compare, and a store at most once a
    // second; moves and new MACs take the out-of-line path.
    LearnResult learn(MacKey key, int32_t slot, uint16_t port, uint32_t now_s) noexcept {
        if (slot >= 0) [[likely]] {
            MacEntry &e = buckets_[slot / kSlots].entry[slot % kSlots];
            if (e.seen_s.load(std::memory_order_relaxed) != now_s) e.seen_s.store(now_s, std::memory_order_relaxed);
            if (e.port.load(std::memory_order_relaxed) == port) [[likely]]
                return LearnResult::refreshed;
        }
        return learn_slow(key, slot, port, now_s);
    }
    uint32_t now_s() const noexcept;
    // The same for a TSC the caller already read (a worker reads one per loop: a second rdtsc
    // here showed in its profile; BENCHMARKS.md, "Figures behind code comments").
    uint32_t now_s(uint64_t tsc) const noexcept { return static_cast<uint32_t>((tsc - epoch_tsc_) / tsc_hz_); }

    // ---- control plane ----
    Status add_static(MacKey key, uint16_t port);
    bool remove(MacKey key);                                      // true if it was there
    unsigned flush(int port = -1, bool include_static = false);   // port -1: all ports
    unsigned age(uint32_t max_age_s);                             // removes dynamic entries idle longer
    std::vector<MacRecord> records() const;
    std::optional<MacRecord> find_record(MacKey key) const;
    unsigned size() const { return count_.load(std::memory_order_relaxed); }
    // Buckets a lookup of the key reads (1..kProbe): what a miss costs, for tests.
    unsigned probe_depth(MacKey key) const noexcept;
    uint32_t home_bucket(MacKey key) const noexcept { return home(stored(key)); }   // for tests
    unsigned port_size(uint16_t port) const { return port_count_[port].load(std::memory_order_relaxed); }
    // Most MACs learned behind `port` (0: no limit). Entries past a lowered limit stay until
    // they age out or are flushed; new ones are refused.
    void set_port_limit(uint16_t port, unsigned limit) { port_limit_[port].store(limit, std::memory_order_relaxed); }

private:
    // Key slot values besides stored keys. A stored key carries kValid (bit 63) and a VLAN id
    // < 4096 (bits 48-59), so it is below kTombstone and kReusable, the two largest values; a
    // pending key has kPending (bit 62) without kValid, so it is neither.
    static constexpr uint64_t kEmpty = 0;                 // never used: a lookup may stop here
    static constexpr uint64_t kValid = 1ULL << 63;
    // A key being written by an inserter: the key with kPending instead of kValid, so that a
    // second inserter of the same key knows it (a bare "reserved" would not say whose).
    static constexpr uint64_t kPending = 1ULL << 62;
    static constexpr uint64_t kTombstone = ~0ULL - 1;     // deleted, workers may still hold it
    static constexpr uint64_t kReusable = ~0ULL;          // deleted and quiesced: inserts reuse it

    struct alignas(64) Bucket {
        std::atomic<uint64_t> key[kSlots];
        MacEntry entry[kSlots];
    };
    static_assert(sizeof(Bucket) == 64, "a bucket is one cache line");

    static uint64_t stored(MacKey k) noexcept { return k | kValid; }
    static uint64_t pending(uint64_t stored_key) noexcept { return (stored_key & ~kValid) | kPending; }
    // A slot value that is this key, stored or being stored by some writer.
    static bool holds(uint64_t v, uint64_t stored_key) noexcept { return v == stored_key || v == pending(stored_key); }
    static bool is_key(uint64_t v) noexcept { return (v & kValid) && v < kTombstone; }   // the two largest values
    // rte_hash_crc_8byte, without its test of which CRC instruction the CPU has on every call
    // when the build already knows (-march=native on any x86-64 of the last 15 years).
    static uint32_t hash(MacKey k) noexcept {
#ifdef __SSE4_2__
        return static_cast<uint32_t>(_mm_crc32_u64(0x9e3779b9, k));
#else
        return rte_hash_crc_8byte(k, 0x9e3779b9);
#endif
    }

#ifdef __AVX2__
    static constexpr bool kAvx2 = true;
#else
    static constexpr bool kAvx2 = false;
#endif
    // kVector: the four keys of a bucket in one AVX2 compare (the build's way where it has
    // AVX2); else a key at a time (the only way elsewhere, and lookup_plain's everywhere).
    template <bool kVector = kAvx2>
    int32_t find(uint64_t sk, uint32_t h) const noexcept {
        static_assert(!kVector || kAvx2, "the AVX2 compare needs an AVX2 build");
        for (unsigned p = 0; p < kProbe; ++p) {
            const uint32_t bi = (h + p) & mask_;
            const Bucket &b = buckets_[bi];
            bool has_empty = false;
            if constexpr (kVector) {
#ifdef __AVX2__
                // The four keys in one 32-byte compare. Each 8-byte lane is read whole (an aligned
                // vector load never tears a lane on x86), and x86 keeps loads in order, so only the
                // compiler must be kept from hoisting the entry reads above it: the signal fence.
                const __m256i keys = _mm256_load_si256(reinterpret_cast<const __m256i *>(&b.key[0]));
                const unsigned hit = static_cast<unsigned>(_mm256_movemask_pd(
                    _mm256_castsi256_pd(_mm256_cmpeq_epi64(keys, _mm256_set1_epi64x(static_cast<int64_t>(sk))))));
                std::atomic_signal_fence(std::memory_order_acquire);
                if (hit != 0) [[likely]]
                    return static_cast<int32_t>(bi * kSlots + static_cast<unsigned>(__builtin_ctz(hit)));
                const unsigned empty = static_cast<unsigned>(
                    _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpeq_epi64(keys, _mm256_setzero_si256()))));
                has_empty = empty != 0;
#endif
            } else {
                for (unsigned s = 0; s < kSlots; ++s) {
                    const uint64_t v = b.key[s].load(std::memory_order_acquire);
                    if (v == sk) return static_cast<int32_t>(bi * kSlots + s);
                    has_empty |= v == kEmpty;
                }
            }
            // Inserts take the first free slot along the probe sequence, so a key is never
            // placed past a never-used slot.
            if (has_empty) [[likely]]
                return -1;
        }
        return -1;
    }
    LearnResult learn_slow(MacKey key, int32_t slot, uint16_t port, uint32_t now_s) noexcept;
    // Claims a slot for a new key and publishes it; -1 when the probe window is full. `fresh`:
    // false if another writer stored (or is storing) the key first and its slot is returned.
    int32_t insert(uint64_t sk, uint32_t h, uint16_t port, MacState st, uint32_t now_s, bool &fresh) noexcept;
    // What the probe holds before slot s of its bucket p, read after our claim there: the slot
    // of another copy of the key (stored or being stored), else kFreeBefore if a slot is free,
    // else -1.
    static constexpr int32_t kFreeBefore = -2;
    int32_t before_claim(uint64_t sk, uint32_t h, unsigned p, unsigned s) const noexcept;
    unsigned remove_where(bool (*match)(const MacEntry &, uint64_t key, const void *ctx), const void *ctx);
    // `homes`: the buckets whose probes the retired keys passed, their home bucket to their own.
    void retire(const std::vector<int32_t> &slots, const std::vector<uint32_t> &homes);
    // True if a key in the buckets after bi was placed there by a probe that passed bi (or may
    // have been: a slot being written or deleted counts as one).
    bool passed(uint32_t bi) const noexcept;
    void unmark_reusable(uint32_t bi) noexcept;   // reusable -> never used, where no probe passed bi (< buckets)
    uint32_t home(uint64_t stored_key) const noexcept { return hash(stored_key & ~kValid) & mask_; }

    MacTable() = default;
    Bucket *buckets_ = nullptr;
    uint32_t mask_ = 0;               // buckets - 1
    unsigned capacity_ = 0;
    rte_rcu_qsbr *rcu_ = nullptr;
    std::atomic<unsigned> count_{0};  // published keys; written on insert/retire only
    // Per port: entries behind it (changed on insert, move and retire, never per packet) and
    // the limit the control plane set.
    std::atomic<unsigned> port_count_[kMaxPorts] = {};
    std::atomic<unsigned> port_limit_[kMaxPorts] = {};
    uint64_t epoch_tsc_ = 0;
    uint64_t tsc_hz_ = 1;
};

}  // namespace dsw
