// The text a person reads, rendered from a command's JSON reply: one renderer per reply kind, so
// that the text shows what the JSON has (a field a renderer does not place is still shown, by
// name, at the end of its block).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpdk_switch/control/grammar.h"

namespace dsw {

// words: the command as run (its words spelled out), for the replies that only say it was done.
std::string render_text(CommandId id, const std::vector<std::string> &words, const nlohmann::json &reply);

}  // namespace dsw
