// The grammar on lines shorter than the rows they begin, in a binary built with ASan and UBSan
// (tests/meson.build: dsw_sanitized_tests): a read past the line's words fails here instead of
// comparing whatever lies after them.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/control/grammar.h"

namespace dsw {
namespace {

const CompletionNames kNames{{"p0", "p1"}, {"memif", "tap"}, {}};

// Found by tests/fuzz/cli_fuzzer (cli_seeds/capture_stop_completion): completing after
// `capture`, and resolving `show` or `capture` alone, compared the line's second and third
// words with those of `capture stop` and `show port info` while the line had one.
TEST(GrammarBounds, OneWordLinesResolve) {
    for (const char *word : {"show", "mac", "set", "clear", "vxlan", "arp", "port", "save", "sh", "vx"}) {
        auto r = resolve_command({word});
        ASSERT_TRUE(r.ok()) << word << ": " << r.error().message;
        EXPECT_EQ(r.value().spec, nullptr) << word;
    }
    auto capture = resolve_command({"capture"});
    ASSERT_TRUE(capture.ok());
    ASSERT_NE(capture.value().spec, nullptr);
    EXPECT_EQ(capture.value().spec->id, CommandId::capture);
    auto two = resolve_command({"vxlan", "vtep"});
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(two.value().spec, nullptr);
}

TEST(GrammarBounds, CompletesAfterAShortLine) {
    const Completion c = complete_command({"capture"}, "", kNames);
    for (const char *want : {"stop", "p0", "p1"})
        EXPECT_NE(std::find(c.candidates.begin(), c.candidates.end(), want), c.candidates.end()) << want;
    const Completion s = complete_command({"show"}, "v", kNames);
    EXPECT_EQ(s.candidates, std::vector<std::string>{"vxlan"});
    const Completion v = complete_command({"vxlan", "vtep"}, "", kNames);
    EXPECT_EQ(v.candidates, (std::vector<std::string>{"add", "del"}));
}

}  // namespace
}  // namespace dsw
