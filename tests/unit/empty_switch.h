// A started switch: with no ports yet, for the tests that add their own with `port add`, or
// from a test's own config.
#pragma once

#include <memory>

#include <gtest/gtest.h>

#include "dpdk_switch/control/switch.h"

namespace dsw::test {

// Made from cfg and started; null (and the test failed) when it cannot be made or started.
inline std::unique_ptr<Switch> started_switch(const Config &cfg) {
    auto created = Switch::create(cfg);
    EXPECT_TRUE(created.ok()) << created.error().message;
    if (!created.ok()) return nullptr;
    std::unique_ptr<Switch> sw = std::move(created.value());
    const Status started = sw->start();
    EXPECT_TRUE(started.ok()) << started.error().message;
    return started.ok() ? std::move(sw) : nullptr;
}

// Started, with a small MAC table; null (and the test failed) when it cannot be made or started.
inline std::unique_ptr<Switch> empty_switch() {
    Config cfg;
    cfg.sw.mac_table_size = 1024;
    return started_switch(cfg);
}

}  // namespace dsw::test
