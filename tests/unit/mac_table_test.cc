// MacTable on a real rte_hash + QSBR: learn, refresh, move, static entries, aging, flush,
// per-VLAN keys and a full table.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "dpdk_switch/tables/mac_table.h"
#include "frames.h"
#include "mac_table_rig.h"

namespace dsw {
namespace {

using test::mac;

class MacTableTest : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(rig_.make("mt_test", 1024));
        table_ = &rig_.table();
    }
    // What a worker does for one frame's source.
    LearnResult see(uint64_t m, uint16_t port, uint16_t vlan = 0, std::optional<uint32_t> now = {}) {
        const MacKey k = make_mac_key(m, vlan);
        return table_->learn(k, table_->lookup(k), port, now ? *now : table_->now_s());
    }
    std::optional<MacRecord> find(uint64_t m, uint16_t vlan = 0) { return table_->find_record(make_mac_key(m, vlan)); }

    test::MacTableRig rig_;
    MacTable *table_ = nullptr;
};

const uint64_t kA = mac(0x02, 0, 0, 0, 0, 0xa);
const uint64_t kB = mac(0x02, 0, 0, 0, 0, 0xb);

TEST_F(MacTableTest, LearnsOnceThenRefreshes) {
    EXPECT_EQ(see(kA, 3), LearnResult::learned);
    EXPECT_EQ(see(kA, 3), LearnResult::refreshed);
    auto r = find(kA);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->port, 3);
    EXPECT_FALSE(r->is_static);
    EXPECT_EQ(table_->size(), 1u);
}

TEST_F(MacTableTest, MoveUpdatesThePortWithoutANewEntry) {
    see(kA, 1);
    EXPECT_EQ(see(kA, 2), LearnResult::moved);
    EXPECT_EQ(find(kA)->port, 2);
    EXPECT_EQ(table_->size(), 1u);
}

TEST_F(MacTableTest, StaticEntryIsNotMovedByLearning) {
    ASSERT_TRUE(table_->add_static(make_mac_key(kA, 0), 5).ok());
    EXPECT_EQ(see(kA, 1), LearnResult::static_conflict);
    auto r = find(kA);
    EXPECT_EQ(r->port, 5);
    EXPECT_TRUE(r->is_static);
}

TEST_F(MacTableTest, SameMacInTwoVlansIsTwoEntries) {
    see(kA, 1, 10);
    see(kA, 2, 20);
    EXPECT_EQ(find(kA, 10)->port, 1);
    EXPECT_EQ(find(kA, 20)->port, 2);
    EXPECT_FALSE(find(kA, 0));
}

TEST_F(MacTableTest, AgingRemovesIdleDynamicEntriesOnly) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2100));   // let the table's clock pass 2 s
    const uint32_t now = table_->now_s();
    see(kA, 1, 0, now - 2);            // last seen 2 s ago
    see(kB, 1, 0, now);                // seen now
    ASSERT_TRUE(table_->add_static(make_mac_key(mac(0x02, 0, 0, 0, 0, 0xc), 0), 1).ok());
    EXPECT_EQ(table_->age(1), 1u);
    EXPECT_FALSE(find(kA));
    EXPECT_TRUE(find(kB));
    EXPECT_TRUE(find(mac(0x02, 0, 0, 0, 0, 0xc)));
    EXPECT_EQ(see(kA, 1), LearnResult::learned) << "an aged-out MAC is learned again";
}

TEST_F(MacTableTest, FlushByPortKeepsOtherPortsAndStatics) {
    see(kA, 1);
    see(kB, 2);
    ASSERT_TRUE(table_->add_static(make_mac_key(mac(0x02, 0, 0, 0, 0, 0xc), 0), 1).ok());
    EXPECT_EQ(table_->flush(1), 1u);
    EXPECT_FALSE(find(kA));
    EXPECT_TRUE(find(kB));
    EXPECT_TRUE(find(mac(0x02, 0, 0, 0, 0, 0xc)));
    EXPECT_EQ(table_->flush(), 1u);
    EXPECT_EQ(table_->flush(-1, true), 1u);
    EXPECT_EQ(table_->size(), 0u);
}

TEST_F(MacTableTest, RemoveAndReuse) {
    see(kA, 1);
    EXPECT_TRUE(table_->remove(make_mac_key(kA, 0)));
    EXPECT_FALSE(table_->remove(make_mac_key(kA, 0)));
    EXPECT_FALSE(find(kA));
    // Deleted positions come back: the table can be filled and emptied again and again.
    for (int round = 0; round < 3; ++round) {
        for (uint16_t i = 0; i < 900; ++i) see(mac(0x02, 1, 0, 0, static_cast<uint8_t>(i >> 8), static_cast<uint8_t>(i)), 1);
        EXPECT_EQ(table_->size(), 900u);
        EXPECT_EQ(table_->flush(), 900u);
    }
}

TEST_F(MacTableTest, FullTableRefusesNewMacsAndKeepsOldOnes) {
    unsigned learned = 0, full = 0;
    for (unsigned i = 0; i < 4096; ++i) {
        const LearnResult r = see(mac(0x02, 2, 0, static_cast<uint8_t>(i >> 16), static_cast<uint8_t>(i >> 8),
                                      static_cast<uint8_t>(i)), 1);
        learned += r == LearnResult::learned;
        full += r == LearnResult::table_full;
    }
    EXPECT_EQ(learned, 1024u);
    EXPECT_GT(full, 0u);
    EXPECT_EQ(learned + full, 4096u);
    EXPECT_TRUE(find(mac(0x02, 2, 0, 0, 0, 0))) << "an established entry survives a full table";
}

}  // namespace
}  // namespace dsw

namespace dsw {
namespace {

TEST_F(MacTableTest, PortLimitRefusesNewMacsBehindThatPortOnly) {
    table_->set_port_limit(1, 3);
    unsigned learned = 0, limited = 0;
    for (uint8_t i = 0; i < 10; ++i) {
        const LearnResult r = see(mac(0x02, 9, 0, 0, 0, i), 1);
        learned += r == LearnResult::learned;
        limited += r == LearnResult::port_limit;
    }
    EXPECT_EQ(learned, 3u);
    EXPECT_EQ(limited, 7u);
    EXPECT_EQ(table_->port_size(1), 3u);
    EXPECT_EQ(see(kA, 2), LearnResult::learned) << "other ports are not affected";
    EXPECT_EQ(see(mac(0x02, 9, 0, 0, 0, 0), 1), LearnResult::refreshed) << "known MACs keep refreshing";
    EXPECT_EQ(table_->flush(1), 3u);
    EXPECT_EQ(table_->port_size(1), 0u);
    EXPECT_EQ(see(mac(0x02, 9, 0, 0, 0, 42), 1), LearnResult::learned) << "room again after a flush";
}

// MAC number i of a random-looking set: the CRC spreads consecutive MACs too evenly to ever fill
// a bucket, and these tests need full ones.
uint64_t scattered_mac(unsigned i) { return (uint64_t{i} * 0x9e3779b97f4a7c15ULL) >> 16; }

// After a delete, a miss reads one bucket again, as in a table that was never used: a lookup
// that had to read every bucket of its probe after a flush or aging made learning 2x slower.
TEST_F(MacTableTest, MissesReadOneBucketAfterAFlush) {
    // New MACs every round, as in a network whose hosts come and go: used slots pile up.
    for (unsigned round = 0; round < 4; ++round) {
        for (unsigned i = round * 1000; i < round * 1000 + 1000; ++i) see(scattered_mac(i), 1, 0, 0);
        ASSERT_EQ(table_->flush(), 1000u);
        unsigned deep = 0;
        for (unsigned i = 0; i < 1000; ++i) deep += table_->probe_depth(make_mac_key(scattered_mac(i + 1000000), 0)) > 1;
        EXPECT_EQ(deep, 0u) << "round " << round << ": misses that read past their home bucket after a flush";
    }
}

// Deleting keys must not hide the keys that were placed past them (a full home bucket sends a
// key on to the next): after random deletes every survivor is found and refreshed, none is
// learned a second time, and the deleted ones are learned once each when they come back.
TEST_F(MacTableTest, DeletesKeepKeysPlacedPastThemFindable) {
    std::vector<unsigned> displaced;
    for (unsigned i = 0; i < 1024; ++i) ASSERT_EQ(see(scattered_mac(i), 1, 0, 0), LearnResult::learned);
    for (unsigned i = 0; i < 1024; ++i)
        if (table_->probe_depth(make_mac_key(scattered_mac(i), 0)) > 1) displaced.push_back(i);
    ASSERT_GT(displaced.size(), 5u) << "the test needs keys placed past a full home bucket";
    for (int round = 0; round < 4; ++round) {
        // Delete every key but the displaced ones, in an order that differs each round.
        unsigned removed = 0;
        for (unsigned i = 0; i < 1024; ++i) {
            const unsigned k = (i * 389 + static_cast<unsigned>(round) * 97) % 1024;
            if (std::find(displaced.begin(), displaced.end(), k) == displaced.end() && (k + static_cast<unsigned>(round)) % 2 == 0)
                removed += table_->remove(make_mac_key(scattered_mac(k), 0));
        }
        ASSERT_GT(removed, 0u);
        for (unsigned k : displaced) {
            ASSERT_TRUE(find(scattered_mac(k))) << "displaced key " << k << " lost in round " << round;
            EXPECT_EQ(see(scattered_mac(k), 1, 0, 0), LearnResult::refreshed);
        }
        unsigned relearned = 0;
        for (unsigned i = 0; i < 1024; ++i) relearned += see(scattered_mac(i), 1, 0, 0) == LearnResult::learned;
        EXPECT_EQ(relearned, removed);
        EXPECT_EQ(table_->size(), 1024u) << "no MAC is held twice";
        EXPECT_EQ(table_->records().size(), 1024u);
    }
}

// Waits a random moment of up to max_cycles TSC cycles (0: none).
class JitterWait {
public:
    explicit JitterWait(uint64_t seed) : rng_(seed) {}
    void operator()(uint64_t max_cycles) noexcept {
        if (max_cycles == 0) return;
        rng_ = rng_ * 6364136223846793005ULL + 1442695040888963407ULL;
        const uint64_t until = rte_rdtsc() + (rng_ >> 33) % max_cycles;
        while (rte_rdtsc() < until) rte_pause();
    }

private:
    uint64_t rng_;
};

// The two sides of a race between the main lcore and a worker. Each round: prepare(r) on the
// main lcore (false: the last round), then main(r) and worker(r) at once, each after a random
// wait of up to its jitter, so that the rounds sweep the two sides' timing across each other;
// then check(r) on the main lcore, once the worker is done.
struct RaceSides {
    std::function<bool(unsigned)> prepare;
    std::function<void(unsigned)> main, worker, check;
    uint64_t main_jitter = 0, worker_jitter = 0;   // TSC cycles
};

// Runs `rounds` rounds with the worker side on the first worker lcore (a thread on the test's
// CPU would only run when the main thread's time slice ends). Without one, the test fails: a
// skip would pass for a race that was never run (the binary's EAL always has lcore 1).
bool race(unsigned rounds, const RaceSides &sides) {
    const unsigned lcore = rte_get_next_lcore(-1, 1, 0);
    if (lcore >= RTE_MAX_LCORE) {
        ADD_FAILURE() << "no worker lcore to race the main lcore on: the EAL's --lcores gave none";
        return false;
    }
    std::atomic<unsigned> go{0}, done{0};
    std::atomic<bool> stop{false};   // the main side ended early
    std::function<void()> work = [&] {
        JitterWait wait(7);
        for (unsigned r = 1; r <= rounds; ++r) {
            while (go.load(std::memory_order_acquire) != r) {
                if (stop.load(std::memory_order_relaxed)) return;
                rte_pause();
            }
            wait(sides.worker_jitter);
            sides.worker(r);
            done.store(r, std::memory_order_release);
        }
    };
    if (rte_eal_remote_launch([](void *f) { return (*static_cast<std::function<void()> *>(f))(), 0; }, &work, lcore) != 0) {
        ADD_FAILURE() << "cannot launch the worker side on lcore " << lcore;
        return false;
    }
    JitterWait wait(3);
    for (unsigned r = 1; r <= rounds; ++r) {
        const bool more = sides.prepare(r);
        go.store(r, std::memory_order_release);
        wait(sides.main_jitter);
        sides.main(r);
        while (done.load(std::memory_order_acquire) != r) rte_pause();
        sides.check(r);
        if (!more) break;
    }
    stop.store(true, std::memory_order_relaxed);
    rte_eal_wait_lcore(lcore);
    return true;
}

// A worker learning a MAC whose home bucket is full places it in the next bucket; a delete in
// the home bucket at that moment frees a slot there, which the control plane turns into a
// never-used one when it sees no key placed past it. Had the worker's key landed unseen, every
// lookup of that MAC would stop at the emptied slot: the MAC lost, and learned a second time.
TEST_F(MacTableTest, AKeyLearnedWhileItsHomeBucketEmptiesStaysFindable) {
    std::vector<MacKey> same;   // five MACs of one home bucket: four fill it
    const uint32_t home = table_->home_bucket(make_mac_key(scattered_mac(0), 0));
    for (unsigned i = 0; same.size() < 5 && i < 1000000; ++i)
        if (table_->home_bucket(make_mac_key(scattered_mac(i), 0)) == home) same.push_back(make_mac_key(scattered_mac(i), 0));
    ASSERT_EQ(same.size(), 5u);
    constexpr unsigned kRounds = 20000;
    unsigned lost = 0, placed_past = 0;
    RaceSides sides;
    sides.prepare = [&](unsigned r) {
        bool filled = true;
        for (unsigned i = 0; i < 4; ++i) filled &= see(key_mac(same[i]), 1, 0, 0) == LearnResult::learned;
        EXPECT_TRUE(filled) << "round " << r << ": the four MACs of the bucket were not learned";
        return filled;
    };
    sides.main = [&](unsigned) { table_->remove(same[0]); };
    sides.worker = [&](unsigned) { table_->learn(same[4], table_->lookup(same[4]), 2, 0); };
    sides.worker_jitter = 4000;
    sides.check = [&](unsigned) {
        placed_past += table_->probe_depth(same[4]) > 1;
        lost += table_->lookup(same[4]) < 0;
        table_->flush();
    };
    if (!race(kRounds, sides)) return;
    EXPECT_EQ(lost, 0u) << "of " << kRounds << " rounds (" << placed_past << " placed the key past its home bucket)";
    // Both orders must occur, or the sweep never crossed the delete and tested nothing.
    EXPECT_GT(placed_past, 0u) << "every round deleted before the worker learned";
    EXPECT_LT(placed_past, kRounds) << "every round learned before the delete";
}

// Two workers that see the first frames of a new host at once (two flows of it, spread over two
// queues of one port) learn it once: one entry, counted once. Both claim a slot; the one that
// finds the other's claim of the same MAC ahead of its own gives its slot back. Without that,
// the MAC would be stored twice (shown twice, counted twice against the table and the port).
TEST_F(MacTableTest, TwoWorkersLearningOneNewMacStoreItOnce) {
    constexpr unsigned kRounds = 20000;
    // A fresh MAC each round, so that a miss reads one bucket as in a table that is not full.
    auto mac_of = [](unsigned r) { return make_mac_key(scattered_mac(r + 5000000), 0); };
    auto learned = [&](unsigned r) { return table_->learn(mac_of(r), table_->lookup(mac_of(r)), 1, 0) == LearnResult::learned; };
    // Plain counters: each side writes its own, read by check() after the round's hand-over.
    bool mine = false, theirs = false;
    unsigned twice = 0, lost = 0, counted_twice = 0, main_learned = 0, worker_learned = 0;
    RaceSides sides;
    sides.prepare = [](unsigned) { return true; };
    sides.main = [&](unsigned r) { mine = learned(r); };
    sides.worker = [&](unsigned r) { theirs = learned(r); };
    sides.main_jitter = sides.worker_jitter = 600;
    sides.check = [&](unsigned r) {
        main_learned += mine;
        worker_learned += theirs;
        counted_twice += mine && theirs;
        twice += table_->size() > 1;
        lost += table_->size() == 0;
        table_->remove(mac_of(r));
    };
    if (!race(kRounds, sides)) return;
    EXPECT_EQ(twice, 0u) << "rounds of " << kRounds << " that stored the new MAC twice";
    EXPECT_EQ(lost, 0u) << "rounds that did not store it at all";
    EXPECT_EQ(counted_twice, 0u) << "rounds that counted it learned by both workers";
    // Both workers must have won some rounds, or they never raced.
    EXPECT_GT(main_learned, 0u);
    EXPECT_GT(worker_learned, 0u);
}

TEST_F(MacTableTest, MovesKeepPerPortCountsRight) {
    see(kA, 1);
    see(kA, 2);
    EXPECT_EQ(table_->port_size(1), 0u);
    EXPECT_EQ(table_->port_size(2), 1u);
}

}  // namespace
}  // namespace dsw
