// dpdk_switch's command line (control/command_line.cc, getopt_long): EAL options before "--",
// the application's after it; every existing spelling still parses, a bad one is exit 2 naming it.
#include <getopt.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/control/command_line.h"

namespace dsw {
namespace {

Result<AppOptions> parse(std::vector<std::string> words) {
    words.insert(words.begin(), "dpdk_switch");
    std::vector<char *> argv;
    for (auto &w : words) argv.push_back(w.data());
    argv.push_back(nullptr);
    return parse_command_line(static_cast<int>(words.size()), argv.data());
}

TEST(CommandLine, EalOptionsBeforeTheSeparatorAppOptionsAfter) {
    auto o = parse({"-l", "0-1", "--no-pci", "--", "--config", "sw.yaml", "--ctl-socket", "/tmp/s.sock", "-i"});
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_EQ(o->eal_args, (std::vector<std::string>{"-l", "0-1", "--no-pci"}));
    EXPECT_EQ(o->config_path, "sw.yaml");
    EXPECT_EQ(o->ctl_socket, "/tmp/s.sock");
    EXPECT_TRUE(o->interactive);
    EXPECT_FALSE(o->help);
    EXPECT_FALSE(o->version);
}

TEST(CommandLine, WithoutSeparatorAllAreAppOptions) {
    auto o = parse({"-c", "a.yaml", "--interactive"});
    ASSERT_TRUE(o) << o.error().message;
    EXPECT_TRUE(o->eal_args.empty());
    EXPECT_EQ(o->config_path, "a.yaml");
    EXPECT_TRUE(o->interactive);
}

TEST(CommandLine, HelpAndVersion) {
    auto h = parse({"--", "-h"});
    ASSERT_TRUE(h);
    EXPECT_TRUE(h->help);
    auto v = parse({"--version"});
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(v->version);
    EXPECT_EQ(std::string(version_text()).rfind("dpdk_switch ", 0), 0u) << version_text();
}

TEST(CommandLine, BadArgumentsAreExit2NamingTheWord) {
    struct Case {
        std::vector<std::string> words;
        std::string says;
    } cases[] = {
        {{"--", "--bogus"}, "unknown option '--bogus'"},
        {{"--", "-x"}, "unknown option '-x'"},
        {{"--", "stray"}, "unknown option 'stray'"},
        {{"--", "--config"}, "--config needs a value"},
        {{"--", "-c"}, "-c needs a value"},
        {{"--", "--ctl-socket"}, "--ctl-socket needs a value"},
    };
    for (const auto &c : cases) {
        auto o = parse(c.words);
        ASSERT_FALSE(o) << c.says;
        EXPECT_EQ(o.error().code, kExitConfigError) << c.says;
        EXPECT_NE(o.error().message.find(c.says), std::string::npos) << o.error().message;
    }
}

TEST(CommandLine, LeavesGetoptAsFoundForEal) {
    (void)parse({"--", "--bogus"});
    EXPECT_EQ(optind, 1);
    EXPECT_EQ(opterr, 1);
    auto o = parse({"--", "-i"});
    ASSERT_TRUE(o);
    EXPECT_EQ(optind, 1);
}

}  // namespace
}  // namespace dsw
