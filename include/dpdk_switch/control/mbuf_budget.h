// The mbuf budget shared by Switch::create (the pool's size) and hot-plug (what a port may hold).
#pragma once

#include "dpdk_switch/control/config.h"

namespace dsw {

// The pool's size: switch.mbufs, else what the config's ports and a few spare ones may hold
// beside the headroom no port may count on.
unsigned pool_size(const Config &cfg);

}  // namespace dsw
