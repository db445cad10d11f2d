// A warning on stderr: what the plugin could not undo or remove and goes on without. The runtime
// reads only stdout (the result or the error JSON), so stderr is where such things can be said.
#pragma once

#include <cstdio>
#include <string>

namespace dsw::cni {

inline void warn(const std::string &msg) { std::fprintf(stderr, "dpdk-switch: %s\n", msg.c_str()); }

}  // namespace dsw::cni
