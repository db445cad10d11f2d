// Eal: owns the EAL of this process. init() runs rte_eal_init once; the destructor runs
// rte_eal_cleanup. Declared first among the Switch's owners so that it is torn down last.
#pragma once

#include <string>
#include <vector>

#include "dpdk_switch/result.h"

namespace dsw {

class Eal {
public:
    static Result<Eal> init(const std::vector<std::string> &args);
    Eal(Eal &&other) noexcept : owned_(other.owned_) { other.owned_ = false; }
    Eal &operator=(Eal &&) = delete;
    Eal(const Eal &) = delete;
    ~Eal();

private:
    Eal() = default;
    bool owned_ = false;
};

// Value of an EAL option in an argument list ("--file-prefix=x" or "--file-prefix x"), or "".
std::string eal_option_value(const std::vector<std::string> &args, const std::string &option);

}  // namespace dsw
