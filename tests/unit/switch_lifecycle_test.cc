// Switch::start on a Config that never went through load_config: what the loader refuses cannot
// crash the switch, and is not reported as an error of the user's file.
#include <gtest/gtest.h>

#include "dpdk_switch/control/switch.h"

namespace dsw {
namespace {

TEST(SwitchLifecycle, AStaticMacTheLoaderWouldRefuseIsAnInternalError) {
    Config cfg;
    cfg.source = "test.yaml";
    PortConfig pc;
    pc.name = "p0";
    pc.type = PortType::dpdk;
    pc.devargs = "net_null_lifecycle0";
    cfg.ports.push_back(pc);
    cfg.static_macs.push_back(StaticMac{"02:00:00:00:00:01", "nosuch", 0});
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    const Status st = sw.value()->start();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, "internal error: static_macs[0] not validated: 02:00:00:00:00:01 nosuch");
    EXPECT_NE(st.error().code, kExitConfigError) << "not an error of the user's config file";
}

}  // namespace
}  // namespace dsw
