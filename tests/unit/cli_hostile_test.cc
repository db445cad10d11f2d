// CLI lines that a hand test against a running switch found mishandled (tests/fuzz/cli_fuzzer
// runs the grammar's every command; these are what only a look at the answer shows).
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"

namespace dsw {
namespace {

// Before, `capture a out.pcap` wrote out.pcap wherever the switch ran, whichever directory the
// client sent it from (save config refused that already). No port is needed to be told.
TEST(CliHostile, CaptureNeedsAnAbsolutePath) {
    Config cfg;
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    for (const char *line : {"capture p0 out.pcap", "capture p0 ./out.pcap count 5", "capture p0 ../x.pcap rx"}) {
        const Reply r = run_command(*sw.value(), line);
        EXPECT_FALSE(r.ok) << line;
        EXPECT_NE(r.text.find("is a relative path: give an absolute one"), std::string::npos) << line << ": " << r.text;
    }
    EXPECT_NE(access("out.pcap", F_OK), 0);
    // An absolute path goes on to the port's own checks.
    const Reply abs = run_command(*sw.value(), "capture p0 /tmp/out.pcap");
    EXPECT_FALSE(abs.ok);
    EXPECT_NE(abs.text.find("no port named 'p0'"), std::string::npos) << abs.text;
}

}  // namespace
}  // namespace dsw
