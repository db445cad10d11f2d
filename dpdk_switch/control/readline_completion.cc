#include "dpdk_switch/control/readline_completion.h"

#include <algorithm>
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
    // A key ("iface=") is followed by its value, not by a space.
    rl_completion_suppress_append = !c.candidates.empty() &&
        std::all_of(c.candidates.begin(), c.candidates.end(), [](const std::string &s) { return !s.empty() && s.back() == '='; });
    g_matches = std::move(c.candidates);
    return rl_completion_matches(text, next_match);
}

}  // namespace

void install_readline_completion(std::function<CompletionNames()> names) {
    // readline's default breaks words at '=' too: "iface=v1" is one word of the grammar's.
    static char word_breaks[] = " \t\n\"\\'`@$><;|&{(";
    rl_completer_word_break_characters = word_breaks;
    g_names = std::move(names);
    rl_attempted_completion_function = complete_line;
}

}  // namespace dsw
