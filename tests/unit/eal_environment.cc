// main() of the unit tests: one real EAL per test binary (--no-huge, no PCI, a file prefix of
// its own), set up before the first test and torn down after the last.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <unistd.h>

#include "dpdk_switch/dpdk/eal.h"

#ifndef DSW_TEST_LCORES
#define DSW_TEST_LCORES "0-1"
#endif

namespace {

class EalEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        const std::string prefix = "dswunit" + std::to_string(getpid());
        // DSW_TEST_LCORES: the cross-worker binary maps two worker lcores onto one CPU.
        auto eal = dsw::Eal::init({"dsw_unit", "--lcores", DSW_TEST_LCORES, "--no-huge", "-m", "512", "--no-pci", "--file-prefix",
                                   prefix, "--log-level", "*:warning"});
        ASSERT_TRUE(eal.ok()) << eal.error().message;
        eal_.emplace(std::move(eal.value()));
    }
    // EAL leaves its runtime directory (/var/run/dpdk/dswunit<pid>: its config, a 6 MiB memory
    // map, the multi-process socket) for secondaries that might attach later; none will, and a
    // directory per run would pile up in /run (a tmpfs: memory).
    void TearDown() override {
        const std::string runtime_dir = eal_ ? rte_eal_get_runtime_dir() : "";
        eal_.reset();
        std::error_code ec;
        if (!runtime_dir.empty()) std::filesystem::remove_all(runtime_dir, ec);
    }

private:
    std::optional<dsw::Eal> eal_;
};

}  // namespace

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);
    return RUN_ALL_TESTS();
}
