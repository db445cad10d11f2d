// The switch's command line: `dpdk_switch [EAL options] -- [--config FILE] [--ctl-socket PATH] [--metrics ADDR:PORT] [-i]`
// (getopt_long) or `dpdk_switch --version`,
// and the EAL arguments to use when the command line gives none (the config's eal: section).
#pragma once

#include <string>
#include <vector>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/result.h"

namespace dsw {

struct AppOptions {
    std::vector<std::string> eal_args;   // as given before "--" (argv[0] excluded)
    std::string config_path;
    std::string ctl_socket;
    std::string metrics;                 // --metrics ADDR:PORT (wins over switch.metrics)
    bool interactive = false;
    bool help = false;
    bool version = false;
};

Result<AppOptions> parse_command_line(int argc, char **argv);
std::vector<std::string> eal_args_from_config(const EalConfig &eal);
const char *usage_text();
const char *version_text();   // "dpdk_switch <meson project version>"

}  // namespace dsw
