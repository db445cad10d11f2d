// The YAML text of a Config, as `--config` reads it back: what `save config` writes. The keys and
// ranges come from the loader's own tables (config_fields.h), so that what is written is read.
#pragma once

#include <string>

#include "dpdk_switch/control/config.h"

namespace dsw {

// Every eal: and switch: key; per port its name, type and attachment, and each other key its
// kind takes whose value is not the default (what a user gave); the static MACs and ARP
// bindings. `header`: a comment line on top (empty: none).
std::string config_to_yaml(const Config &cfg, const std::string &header = "");

}  // namespace dsw
