#include "dpdk_switch/dpdk/eal.h"

#include <filesystem>
#include <system_error>

#include <rte_eal.h>
#include <rte_errno.h>

namespace dsw {

Result<Eal> Eal::init(const std::vector<std::string> &args) {
    // rte_eal_init keeps pointers into argv for the life of the process (and may permute it).
    static std::vector<std::string> storage;
    static std::vector<char *> argv;
    storage = args;
    argv.clear();
    for (auto &a : storage) argv.push_back(a.data());
    argv.push_back(nullptr);
    if (rte_eal_init(static_cast<int>(storage.size()), argv.data()) < 0)
        return fail(std::string("EAL init failed: ") + rte_strerror(rte_errno));
    Eal eal;
    eal.owned_ = true;
    return eal;
}

Eal::~Eal() {
    if (!owned_) return;
    rte_eal_cleanup();
    std::error_code ec;   // best effort: a directory already gone is fine
    if (!runtime_dir_.empty()) std::filesystem::remove_all(runtime_dir_, ec);
}

void Eal::remove_runtime_dir_at_exit() {
    if (owned_) runtime_dir_ = rte_eal_get_runtime_dir();
}

std::string eal_option_value(const std::vector<std::string> &args, const std::string &option) {
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == option && i + 1 < args.size()) return args[i + 1];
        if (args[i].rfind(option + "=", 0) == 0) return args[i].substr(option.size() + 1);
    }
    return "";
}

}  // namespace dsw
