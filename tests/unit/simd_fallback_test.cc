// The portable code a build without SSE4.1/AVX2 runs (-Dnative=false on another CPU, or
// another architecture), held to the vector code of this native build on random inputs: the
// frame-head compare of switch_path, the VLAN tag moves, and the MAC table's bucket compare.
#include <cstring>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/dataplane/head16.h"
#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/tables/mac_table.h"
#include "frames.h"
#include "mac_table_rig.h"

namespace dsw {
namespace {

constexpr unsigned kTrials = 200000;

// 16 random bytes, and a copy with none, one or a few of them changed (a single changed
// byte is what a near-miss looks like: another port's MAC, another VLAN).
void head_pair(std::mt19937_64 &rng, uint8_t (&a)[16], uint8_t (&b)[16]) {
    for (auto &x : a) x = static_cast<uint8_t>(rng());
    std::memcpy(b, a, 16);
    const unsigned changes = static_cast<unsigned>(rng() % 4);
    for (unsigned c = 0; c < changes; ++c) b[rng() % 16] ^= static_cast<uint8_t>(1u << (rng() % 8));
}

TEST(SimdFallback, FrameHeadCompareAgreesWithSse41) {
#if defined(__SSE4_1__)
    std::mt19937_64 rng(26);
    unsigned same[2] = {}, differ[2] = {};
    for (unsigned t = 0; t < kTrials; ++t) {
        uint8_t a[16], b[16];
        head_pair(rng, a, b);
        for (bool all16 : {false, true}) {
            const bool plain = head16_same_plain(head16_load_plain(a), head16_load_plain(b), head16_care_plain(all16));
            const bool vector = head16_same_vector(head16_load_vector(a), head16_load_vector(b), head16_care_vector(all16));
            ASSERT_EQ(plain, vector) << "trial " << t << ", " << (all16 ? "16" : "14") << " bytes";
            ASSERT_EQ(plain, std::memcmp(a, b, all16 ? 16 : 14) == 0) << "trial " << t;
            (plain ? same : differ)[all16]++;
        }
    }
    // Both answers came up for both masks, or the comparison proved little.
    for (unsigned k = 0; k < 2; ++k) {
        EXPECT_GT(same[k], kTrials / 10);
        EXPECT_GT(differ[k], kTrials / 10);
    }
#else
    GTEST_SKIP() << "this build has no SSE4.1: only the portable compare is compiled, nothing to hold it to";
#endif
}

TEST(SimdFallback, VlanTagMovesAgreeWithSse41) {
#if defined(__SSE4_1__)
    std::mt19937_64 rng(8021);
    for (unsigned t = 0; t < kTrials; ++t) {
        // Tagging: 4 bytes of headroom, then a 16-byte head (at least what the vector way reads).
        uint8_t plain[20], vector[20];
        for (auto &x : plain) x = static_cast<uint8_t>(rng());
        std::memcpy(vector, plain, sizeof plain);
        const uint32_t tag = static_cast<uint32_t>(rng());
        vlan_tag_move_plain(plain, tag);
        vlan_tag_move_vector(vector, tag);
        ASSERT_EQ(std::memcmp(plain, vector, sizeof plain), 0) << "tagging, trial " << t;
        // Untagging: the frame starts 4 bytes up; what is below it is headroom and may differ.
        vlan_untag_move_plain(plain);
        vlan_untag_move_vector(vector);
        ASSERT_EQ(std::memcmp(plain + 4, vector + 4, sizeof plain - 4), 0) << "untagging, trial " << t;
    }
#else
    GTEST_SKIP() << "this build has no SSE4.1: only the portable moves are compiled, nothing to hold them to";
#endif
}

// A table half full, with deleted keys among the stored ones: every lookup, of a stored, a
// deleted or an unknown MAC, gives the same slot both ways.
TEST(SimdFallback, MacLookupAgreesWithAvx2) {
#if defined(__AVX2__)
    test::MacTableRig rig;
    ASSERT_TRUE(rig.make("simd_fb", 4096));
    MacTable &table = rig.table();
    std::mt19937_64 rng(4096);
    std::vector<MacKey> keys;
    for (unsigned i = 0; i < 3000; ++i) {
        const MacKey k = make_mac_key(rng() & 0xfeffffffffffULL, static_cast<uint16_t>(rng() % 4));
        if (table.learn(k, table.lookup(k), static_cast<uint16_t>(1 + i % 3), 0) == LearnResult::learned) keys.push_back(k);
    }
    ASSERT_GT(keys.size(), 2000u);
    for (size_t i = 0; i < keys.size(); i += 3) table.remove(keys[i]);
    unsigned hits = 0, misses = 0;
    for (unsigned t = 0; t < kTrials; ++t) {
        const MacKey k = t % 2 ? keys[rng() % keys.size()] : make_mac_key(rng() & 0xfeffffffffffULL, static_cast<uint16_t>(rng() % 4));
        const int32_t vector = table.lookup(k);
        ASSERT_EQ(table.lookup_plain(k), vector) << "trial " << t;
        (vector >= 0 ? hits : misses)++;
    }
    EXPECT_GT(hits, kTrials / 4);
    EXPECT_GT(misses, kTrials / 4);
#else
    GTEST_SKIP() << "this build has no AVX2: lookup() is the portable lookup itself";
#endif
}

}  // namespace
}  // namespace dsw
