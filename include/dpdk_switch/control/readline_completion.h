// Tab completion for a readline prompt, from the CLI grammar: command words, keywords, port
// names, port kinds and the keys of a kind (`port add c3 memif so` -> `socket=`); a path argument
// completes as a file name. Used by `dpdk_switch -i` and
// by dpdk_switch_ctl's prompt, so it includes no DPDK header.
#pragma once

#include <functional>

#include "dpdk_switch/control/grammar.h"

namespace dsw {

// names() is asked at each Tab for the ports, port kinds and their keys (it may ask the switch).
void install_readline_completion(std::function<CompletionNames()> names);

}  // namespace dsw
