// The CNI_* environment a runtime runs the plugin with (spec section 2, "Parameters").
#pragma once

#include <string>

#include "dpdk_switch/result.h"

namespace dsw::cni {

enum class Command { add, del, check, version };

struct CniEnv {
    Command command = Command::version;
    std::string container_id;
    std::string netns;    // may be empty on DEL (the container may be gone)
    std::string ifname;
    std::string path;     // CNI_PATH: where delegated plugins (IPAM) are looked up
    std::string args;     // CNI_ARGS: "K=V;K=V"
};

// Reads and checks what `command` requires; an error (kInvalidEnvironment) names the variable.
Result<CniEnv> read_env();

// The value of KEY in CNI_ARGS ("" when absent).
std::string cni_arg(const std::string &args, const std::string &key);

}  // namespace dsw::cni
