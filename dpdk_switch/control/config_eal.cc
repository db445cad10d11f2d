// Checks of a config against the EAL arguments the switch is about to start with: what EAL itself
// would refuse only once it runs (with exit code 1 and no key path), or what would fail after it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <string>
#include <vector>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/dpdk/eal.h"

namespace dsw {
namespace {

bool has_arg(const std::vector<std::string> &args, const std::string &arg) {
    return std::find(args.begin(), args.end(), arg) != args.end();
}

// Where EAL names a setting in its messages: the config's key, or the command line's option.
struct Where {
    const Config &cfg;
    bool from_config;   // the EAL arguments come from the config's eal: section

    Error error(const std::string &key, const std::string &option, const std::string &reason) const {
        if (from_config)
            return fail(cfg.source + ": " + key + ": " + reason, kExitConfigError);
        return fail(option + " (command line): " + reason, kExitConfigError);
    }
};

Status check_hugepages(const Where &w, const std::vector<std::string> &eal_args) {
    if (!has_arg(eal_args, "--no-huge"))
        return Ok{};
    for (size_t i = 0; i < w.cfg.ports.size(); ++i) {
        if (w.cfg.ports[i].type != PortType::af_xdp)
            continue;
        // net_af_xdp registers the mbuf pool as one UMEM: only hugepage memory is contiguous.
        const std::string why = !w.from_config          ? "EAL runs with --no-huge (command line)"
                                : w.cfg.eal.no_huge      ? "eal.no_huge is true"
                                                         : "eal.extra has --no-huge";
        return fail(w.cfg.source + ": ports[" + std::to_string(i) +
                        "].type: af_xdp needs hugepages, and " + why,
                    kExitConfigError);
    }
    return Ok{};
}

// A pool of switch.mbufs that cannot fit in the memory EAL is given (-m) would fail only after
// EAL started; without -m (hugepages, memory grown on demand) EAL's own answer is the one.
Status check_pool_memory(const Where &w, const std::vector<std::string> &eal_args) {
    const std::string m = eal_option_value(eal_args, "-m");
    if (w.cfg.sw.mbufs == 0 || m.empty())
        return Ok{};
    const unsigned long memory_mb = std::strtoul(m.c_str(), nullptr, 10);
    const uint64_t pool_mb = mbuf_pool_mb(w.cfg.sw.mbufs);
    if (memory_mb == 0 || pool_mb < memory_mb)
        return Ok{};
    const std::string given = w.from_config ? "eal.memory_mb is " + m : "-m on the command line is " + m;
    return fail(w.cfg.source + ": switch.mbufs: a pool of " + std::to_string(w.cfg.sw.mbufs) +
                    " mbufs needs about " + std::to_string(pool_mb) + " MB of EAL memory, and " + given,
                kExitConfigError);
}

// EAL's runtime directory for a file prefix, as eal_create_runtime_dir() chooses it.
std::string runtime_dir(const std::string &prefix) {
    std::string base = "/var/run";
    if (getuid() != 0) {
        const char *xdg = std::getenv("XDG_RUNTIME_DIR");
        base = xdg != nullptr ? xdg : "/tmp";
    }
    return base + "/dpdk/" + prefix;
}

// A primary DPDK process holds a write lock on <runtime dir>/config as long as it runs; a second
// one with the same file prefix fails in rte_eal_init ("EAL init failed: Success"). Tested with
// F_GETLK, which names the holder.
Status check_file_prefix(const Where &w, const std::vector<std::string> &eal_args) {
    // No shared config file, or meant to join the running primary.
    if (has_arg(eal_args, "--in-memory") || has_arg(eal_args, "--no-shconf") ||
        !eal_option_value(eal_args, "--proc-type").empty())
        return Ok{};
    std::string prefix = eal_option_value(eal_args, "--file-prefix");
    if (prefix.empty())
        prefix = "rte";   // EAL's own default
    const std::string config = runtime_dir(prefix) + "/config";
    const int fd = open(config.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return Ok{};   // no process ever used the prefix, or EAL will say why it cannot
    struct flock lock{};
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    const int rc = fcntl(fd, F_GETLK, &lock);
    close(fd);
    if (rc != 0 || lock.l_type == F_UNLCK)
        return Ok{};
    const std::string reason = "'" + prefix + "' is in use by a running DPDK process (pid " +
                               std::to_string(lock.l_pid) + ")";
    if (!w.from_config || w.cfg.source != Config{}.source)
        return w.error("eal.file_prefix", "--file-prefix", reason);
    // Neither a config nor EAL options: the embedded default's prefix.
    return fail("file prefix " + reason + "; give another with --file-prefix or a config's eal.file_prefix",
                kExitConfigError);
}

}  // namespace

Status validate_before_eal(const Config &cfg, const std::vector<std::string> &eal_args, bool eal_from_config) {
    const Where w{cfg, eal_from_config};
    if (auto st = check_hugepages(w, eal_args); !st)
        return st;
    if (auto st = check_pool_memory(w, eal_args); !st)
        return st;
    return check_file_prefix(w, eal_args);
}

}  // namespace dsw
