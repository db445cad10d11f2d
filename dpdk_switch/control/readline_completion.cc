#include "dpdk_switch/control/readline_completion.h"

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <readline/readline.h>

namespace dsw {

namespace {

// readline's completion hooks are plain functions without a user pointer.
std::function<CompletionNames()> g_names;
std::vector<std::string> g_matches;

char *next_match(const char *, int state) {
    static size_t i = 0;
    if (state == 0) i = 0;
    return i < g_matches.size() ? strdup(g_matches[i++].c_str()) : nullptr;
}

char **complete_line(const char *text, int start, int) {
    std::istringstream in(std::string(rl_line_buffer, static_cast<size_t>(start)));
    std::vector<std::string> before;
    for (std::string w; in >> w;) before.push_back(w);
    Completion c = complete_command(before, text, g_names ? g_names() : CompletionNames{});
    if (c.file_name) return nullptr;   // readline's own file name completion
    rl_attempted_completion_over = 1;  // no file names where the grammar offers none
    g_matches = std::move(c.candidates);
    return rl_completion_matches(text, next_match);
}

}  // namespace

void install_readline_completion(std::function<CompletionNames()> names) {
    g_names = std::move(names);
    rl_attempted_completion_function = complete_line;
}

}  // namespace dsw
