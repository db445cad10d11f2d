#include "dpdk_switch/control/command_line.h"

#include <getopt.h>

#include "dsw_version.h"

namespace dsw {

const char *usage_text() {
    return "usage: dpdk_switch [EAL options] -- [--config FILE] [--ctl-socket PATH] [--metrics ADDR:PORT]\n"
           "                   [-i|--interactive]\n"
           "       dpdk_switch --version\n"
           "  With no EAL options, the config's eal: section supplies them; with no config, an embedded\n"
           "  default runs: --no-huge -m 512 --no-pci, lcores 0-1, file prefix sw0, no ports.\n"
           "  Control socket default: /run/dpdk_switch/<file-prefix>.sock\n"
           "  --metrics 127.0.0.1:9417 serves Prometheus /metrics there (off by default; switch.metrics)\n";
}

const char *version_text() { return "dpdk_switch " DSW_VERSION; }

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
    // The application's options through getopt_long, over argv[0] and what follows "--". "+":
    // stop at the first word that is not an option (it is refused below); ":": a missing value
    // is told apart from an unknown option. Errors are ours (opterr 0), in the usual words.
    std::vector<char *> args = {argv[0]};
    args.insert(args.end(), argv + i, argv + argc);
    args.push_back(nullptr);
    const option longopts[] = {
        {"config", required_argument, nullptr, 'c'},
        {"ctl-socket", required_argument, nullptr, 's'},
        {"metrics", required_argument, nullptr, 'm'},
        {"interactive", no_argument, nullptr, 'i'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    const int n = static_cast<int>(args.size()) - 1;
    const int saved_opterr = opterr;
    optind = 0;   // glibc: start afresh
    opterr = 0;
    std::string error;
    for (int c; error.empty() && (c = getopt_long(n, args.data(), "+:c:ih", longopts, nullptr)) != -1;) {
        // What the user typed: the whole word for a long option, the letter for a short one.
        const std::string word = args[optind - 1] ? args[optind - 1] : "";
        const std::string given = (word.rfind("--", 0) == 0 || optopt == 0) ? word : std::string("-") + char(optopt);
        switch (c) {
        case 'c': o.config_path = optarg; break;
        case 's': o.ctl_socket = optarg; break;
        case 'm': o.metrics = optarg; break;
        case 'i': o.interactive = true; break;
        case 'h': o.help = true; break;
        case 'V': o.version = true; break;
        case ':': error = given + " needs a value"; break;
        default: error = "unknown option '" + given + "'\n" + usage_text(); break;
        }
    }
    if (error.empty() && optind < n) error = "unknown option '" + std::string(args[optind]) + "'\n" + usage_text();
    // Leave getopt as a program finds it: EAL parses its own options next, with its messages.
    optind = 1;
    opterr = saved_opterr;
    if (!error.empty()) return fail(error, kExitConfigError);
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
