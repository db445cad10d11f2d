// Prompt: the interactive `dpdk_switch>` prompt on stdin (readline, with history), serviced from
// the main lcore's poll loop through readline's callback interface so that it never blocks the
// control socket or the aging sweep.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <poll.h>

namespace dsw {

class Prompt {
public:
    // on_line gets each entered line; returns false to end the prompt. End of input (Ctrl-D) also
    // ends it.
    using LineHandler = std::function<bool(const std::string &line)>;

    explicit Prompt(LineHandler on_line);
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
