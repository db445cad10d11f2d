#include "dpdk_switch/control/prompt.h"

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "dpdk_switch/control/readline_completion.h"

namespace dsw {

namespace {
Prompt *g_prompt = nullptr;   // readline's callback interface has no user pointer
constexpr const char *kPrompt = "dpdk_switch> ";
}  // namespace

Prompt::Prompt(LineHandler on_line, std::function<CompletionNames()> names) : on_line_(std::move(on_line)) {
    g_prompt = this;
    install_readline_completion(std::move(names));
    rl_callback_handler_install(kPrompt, &Prompt::on_readline);
}

Prompt::~Prompt() {
    rl_callback_handler_remove();
    g_prompt = nullptr;
}

void Prompt::on_readline(char *line) {
    Prompt *self = g_prompt;
    if (line == nullptr) {   // end of input
        std::printf("\n");
        self->done_ = true;
        rl_callback_handler_remove();
        return;
    }
    std::string text(line);
    std::free(line);
    if (!text.empty()) add_history(text.c_str());
    if (!self->on_line_(text)) {
        self->done_ = true;
        rl_callback_handler_remove();
    }
}

void Prompt::add_pollfds(std::vector<pollfd> &fds) const {
    if (!done_) fds.push_back({STDIN_FILENO, POLLIN, 0});
}

void Prompt::service(const std::vector<pollfd> &fds) {
    for (const pollfd &p : fds)
        if (p.fd == STDIN_FILENO && (p.revents & (POLLIN | POLLHUP)) && !done_) rl_callback_read_char();
}

}  // namespace dsw
