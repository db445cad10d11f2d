// Prompt: the interactive `dpdk_switch>` prompt on stdin (readline, with history and Tab
// completion from the CLI grammar), serviced from the main lcore's poll loop through readline's
// callback interface so that it never blocks the control socket or the aging sweep.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <poll.h>

#include "dpdk_switch/control/grammar.h"

namespace dsw {

class Prompt {
public:
    // on_line gets each entered line; returns false to end the prompt. End of input (Ctrl-D) also
    // ends it.
    using LineHandler = std::function<bool(const std::string &line)>;

    // names: the switch's port names and kinds, for Tab completion (readline_completion.h).
    explicit Prompt(LineHandler on_line, std::function<CompletionNames()> names = {});
    ~Prompt();
    Prompt(const Prompt &) = delete;
    Prompt &operator=(const Prompt &) = delete;

    bool done() const { return done_; }
    void add_pollfds(std::vector<pollfd> &fds) const;
    void service(const std::vector<pollfd> &fds);

private:
    static void on_readline(char *line);
    LineHandler on_line_;
    bool done_ = false;
};

}  // namespace dsw
