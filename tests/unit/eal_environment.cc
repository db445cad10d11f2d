// main() of the unit tests: one real EAL per test binary (--no-huge, no PCI, a file prefix of
// its own), set up before the first test and torn down after the last.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <unistd.h>

#include <rte_lcore.h>

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
        eal_->remove_runtime_dir_at_exit();   // /var/run/dpdk/dswunit<pid>: one per run otherwise
        // The switch tests and the MAC-table races run workers on lcores besides the main one:
        // without them they would test nothing, so the whole run fails rather than skip.
        ASSERT_GE(rte_lcore_count(), 2u) << "the EAL has no worker lcore (--lcores " DSW_TEST_LCORES ")";
    }
    void TearDown() override { eal_.reset(); }

private:
    std::optional<dsw::Eal> eal_;
};

}  // namespace

int main(int argc, char **argv) {
    ::testing::InitGoogleTest(&argc, argv);
    ::testing::AddGlobalTestEnvironment(new EalEnvironment);
    return RUN_ALL_TESTS();
}
