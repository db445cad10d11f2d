// The CLI: one grammar (grammar.h) for the interactive prompt and the control socket. Every
// command answers a Reply holding a JSON object (for --json) and the text a person reads,
// rendered from that JSON (render_text.h); a bad command is an error Reply, never an exception
// or a crash.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpdk_switch/control/grammar.h"

namespace dsw {

class Switch;

struct Reply {
    bool ok = true;
    nlohmann::json json = nlohmann::json::object();
    std::string text;
    bool quit = false;   // `quit`: the prompt stops the switch, a socket client is closed

    static Reply error(const std::string &message);
};

std::vector<std::string> tokenize(const std::string &line);
Reply run_command(Switch &sw, const std::string &line);

// The command list shown by `help`.
const std::vector<std::string> &command_synopsis();

// The switch's port names and port kinds, for Tab completion at the `-i` prompt.
CompletionNames completion_names(Switch &sw);

}  // namespace dsw
