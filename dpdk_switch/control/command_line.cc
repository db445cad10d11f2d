#include "dpdk_switch/control/command_line.h"

namespace dsw {

const char *usage_text() {
    return "usage: dpdk_switch [EAL options] -- [--config FILE] [--ctl-socket PATH] [-i|--interactive]\n"
           "  With no EAL options, the config's eal: section supplies them; with no config, an embedded\n"
           "  default runs: --no-huge -m 512 --no-pci, lcores 0-1, file prefix sw0, no ports.\n"
           "  Control socket default: /run/dpdk_switch/<file-prefix>.sock\n";
}

Result<AppOptions> parse_command_line(int argc, char **argv) {
    AppOptions o;
    int i = 1;
    bool saw_separator = false;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") {
            saw_separator = true;
            ++i;
            break;
        }
        o.eal_args.push_back(a);
    }
    if (!saw_separator) {
        // No "--": everything is an application option (so `dpdk_switch --config x` works).
        i = 1;
        o.eal_args.clear();
    }
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&](const std::string &opt) -> Result<std::string> {
            if (i + 1 >= argc) return fail(opt + " needs a value", kExitConfigError);
            return std::string(argv[++i]);
        };
        if (a == "--config" || a == "-c") {
            auto v = value(a);
            if (!v) return v.error();
            o.config_path = v.value();
        } else if (a == "--ctl-socket") {
            auto v = value(a);
            if (!v) return v.error();
            o.ctl_socket = v.value();
        } else if (a == "-i" || a == "--interactive") {
            o.interactive = true;
        } else if (a == "-h" || a == "--help") {
            o.help = true;
        } else {
            return fail("unknown option '" + a + "'\n" + usage_text(), kExitConfigError);
        }
    }
    return o;
}

std::vector<std::string> eal_args_from_config(const EalConfig &eal) {
    // --no-pci: the switch's ports are virtual devices; probing PCI would grab (and fail on)
    // the host's own NICs.
    std::vector<std::string> a = {"-l", eal.lcores, "--no-pci", "--file-prefix", eal.file_prefix,
                                  "-m", std::to_string(eal.memory_mb)};
    if (eal.no_huge) a.push_back("--no-huge");
    a.insert(a.end(), eal.extra.begin(), eal.extra.end());
    return a;
}

}  // namespace dsw
