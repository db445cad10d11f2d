#include "dpdk_switch/dpdk/eal.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <rte_eal.h>
#include <rte_errno.h>

namespace dsw {

namespace {
// Mount points of hugetlbfs: where EAL may have put this process's hugepage files.
std::vector<std::string> hugetlbfs_mounts() {
    std::vector<std::string> out;
    std::ifstream mounts("/proc/mounts");
    std::string line;
    while (std::getline(mounts, line)) {
        std::istringstream fields(line);
        std::string dev, dir, type;
        if (fields >> dev >> dir >> type && type == "hugetlbfs") out.push_back(dir);
    }
    return out;
}

// EAL 22.11 leaves a primary's hugepage files (<hugedir>/<prefix>map_<n>) after
// rte_eal_cleanup, for secondaries that might attach later; but once the primary is gone
// none can (its multi-process socket is gone), and the files hold the pages: 256 MiB per
// run of a 512 MiB switch. --huge-unlink would free them too, but unlinks them at start-up,
// which keeps dpdk-dumpcap from attaching while the switch runs. A secondary still attached
// keeps its mappings: unlinking does not take pages from under it.
void remove_hugepage_files(const std::string &prefix) {
    const std::string stem = prefix + "map_";
    for (const auto &dir : hugetlbfs_mounts()) {
        std::error_code ec, gone;   // best effort: a file another cleanup removed is fine
        for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            // <prefix>map_<digits> only: another prefix may begin with this one's stem.
            const std::string name = it->path().filename().string();
            if (name.size() > stem.size() && name.rfind(stem, 0) == 0 &&
                name.find_first_not_of("0123456789", stem.size()) == std::string::npos)
                std::filesystem::remove(it->path(), gone);
        }
    }
}
}  // namespace

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
    // EAL's own default prefix when none is given.
    eal.file_prefix_ = eal_option_value(args, "--file-prefix");
    if (eal.file_prefix_.empty()) eal.file_prefix_ = "rte";
    return eal;
}

Eal::~Eal() {
    if (!owned_) return;
    rte_eal_cleanup();
    remove_hugepage_files(file_prefix_);
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
