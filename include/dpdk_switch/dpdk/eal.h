// Eal: owns the EAL of this process. init() runs rte_eal_init once; the destructor runs
// rte_eal_cleanup and removes the process's hugepage files (EAL keeps them). Declared first
// among the Switch's owners so that it is torn down last.
#pragma once

#include <string>
#include <vector>

#include "dpdk_switch/result.h"

namespace dsw {

class Eal {
public:
    static Result<Eal> init(const std::vector<std::string> &args);
    Eal(Eal &&other) noexcept
        : owned_(other.owned_), file_prefix_(std::move(other.file_prefix_)), runtime_dir_(std::move(other.runtime_dir_)) {
        other.owned_ = false;
    }
    Eal &operator=(Eal &&) = delete;
    Eal(const Eal &) = delete;
    ~Eal();

    // For the test and benchmark binaries, which no secondary process will ever attach to: after
    // rte_eal_cleanup the destructor also removes EAL's runtime directory (/var/run/dpdk/<file
    // prefix>: its config, memory map and multi-process socket), which EAL keeps for secondaries
    // and which would otherwise pile up in /run, one per file prefix. Only for a file prefix of
    // the process's own: another process may be using the default one.
    void remove_runtime_dir_at_exit();

private:
    Eal() = default;
    bool owned_ = false;
    std::string file_prefix_;   // names its hugepage files
    std::string runtime_dir_;   // removed by the destructor when set
};

// Value of an EAL option in an argument list ("--file-prefix=x" or "--file-prefix x"), or "".
std::string eal_option_value(const std::vector<std::string> &args, const std::string &option);

}  // namespace dsw
