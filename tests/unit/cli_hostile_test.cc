// CLI lines that a hand test against a running switch found mishandled (tests/fuzz/cli_fuzzer
// runs the grammar's every command; these are what only a look at the answer shows).
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "empty_switch.h"

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

// Before, `vxlan vtep add` took the underlay link's broadcast and network addresses and
// loopback addresses as remote VTEPs (floods to them, ARP for them, never answered).
TEST(CliHostile, VtepAddRefusesLoopbackNetworkAndBroadcast) {
    auto cfg = parse_config("switch: { mac_table_size: 1024 }\n"
                            "ports: [ { name: u, type: dpdk, devargs: 'net_null_clih,no-rx=1' } ]\n"
                            "vxlan: { local_ip: 192.168.9.1/24, gateway: 192.168.9.254, underlay: u,\n"
                            "         vni_map: [ { vlan: 10, vni: 1010 } ] }\n",
                            "t.yaml");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto sw = test::started_switch(cfg.value());
    ASSERT_NE(sw, nullptr);
    const struct {
        const char *line, *says;
    } cases[] = {
        {"vxlan vtep add 192.168.9.255", "192.168.9.255 is the broadcast address of the underlay's link 192.168.9.0/24"},
        {"vxlan vtep add 192.168.9.0 vni 1010", "192.168.9.0 is the network address of the underlay's link 192.168.9.0/24"},
        {"vxlan vtep add 127.0.0.1", "127.0.0.1 is a loopback address"},
    };
    for (const auto &c : cases) {
        const Reply r = run_command(*sw, c.line);
        EXPECT_FALSE(r.ok) << c.line;
        EXPECT_NE(r.text.find(c.says), std::string::npos) << c.line << ": " << r.text;
    }
    EXPECT_TRUE(run_command(*sw, "vxlan vtep add 192.168.9.7").ok);
    EXPECT_TRUE(run_command(*sw, "vxlan vtep add 10.1.2.255").ok);   // behind the gateway: not our link's
    sw->stop();
}

}  // namespace
}  // namespace dsw
