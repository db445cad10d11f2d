#include "dpdk_switch/control/grammar.h"

#include <algorithm>

namespace dsw {

namespace {

using A = ArgKind;
using C = CommandId;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Whether the row's first n words are words[0, n): false when either has fewer (a line of one
// word is compared with rows of three).
bool row_begins_with(const CommandSpec &c, const std::vector<std::string> &words, size_t n) {
    if (c.words.size() < n || words.size() < n) return false;
    for (size_t i = 0; i < n; ++i)
        if (c.words[i] != words[i]) return false;
    return true;
}

// The command words that may come at position `depth` after words[0, depth), and whether a
// command ends there (then the next word may be its argument, and is never expanded).
struct NextWords {
    std::vector<std::string> words;
    bool command_ends = false;
};

NextWords next_words(const std::vector<std::string> &words, size_t depth) {
    NextWords n;
    for (const CommandSpec &c : command_table()) {
        if (!row_begins_with(c, words, depth)) continue;
        if (c.words.size() == depth) n.command_ends = true;
        else n.words.emplace_back(c.words[depth]);
    }
    std::sort(n.words.begin(), n.words.end());
    n.words.erase(std::unique(n.words.begin(), n.words.end()), n.words.end());
    return n;
}

std::string joined(const std::vector<std::string> &words) {
    std::string s;
    for (const auto &w : words) s += (s.empty() ? "" : ", ") + w;
    return s;
}

// Spells out the command words of `words` in place; returns how many there are, or an error for
// an ambiguous prefix.
Result<size_t> expand_words(std::vector<std::string> &words) {
    size_t depth = 0;
    for (; depth < words.size(); ++depth) {
        const NextWords next = next_words(words, depth);
        const std::string &w = words[depth];
        if (std::find(next.words.begin(), next.words.end(), w) != next.words.end()) continue;
        if (next.command_ends || next.words.empty()) break;
        std::vector<std::string> matches;
        for (const auto &n : next.words)
            if (starts_with(n, w)) matches.push_back(n);
        if (matches.size() == 1) {
            words[depth] = matches[0];
            continue;
        }
        if (matches.size() > 1) return fail("ambiguous '" + w + "': " + joined(matches));
        break;
    }
    return depth;
}

// The longest row whose words are all among the line's first words.
const CommandSpec *find_row(const std::vector<std::string> &tokens) {
    const CommandSpec *best = nullptr;
    for (const CommandSpec &c : command_table())
        if (row_begins_with(c, tokens, c.words.size()) && (best == nullptr || c.words.size() > best->words.size()))
            best = &c;
    return best;
}

void add_kind(Completion &out, ArgKind kind, const CompletionNames &names) {
    auto &c = out.candidates;
    switch (kind) {
    case A::port_or_all: c.emplace_back("all"); [[fallthrough]];
    case A::port: c.insert(c.end(), names.ports.begin(), names.ports.end()); break;
    case A::port_kind: c.insert(c.end(), names.kinds.begin(), names.kinds.end()); break;
    case A::log_level: c.insert(c.end(), log_level_names().begin(), log_level_names().end()); break;
    case A::path: out.file_name = true; break;
    default: break;   // a MAC, an IP, a number, a new name: nothing to offer
    }
}

// The keys of the kind named among `args` (at the row's port_kind argument) that no key=value of
// `args` has given yet, each with its '='.
void add_keys(Completion &out, const CommandSpec &c, const std::vector<std::string> &args, const CompletionNames &names) {
    const auto kind_at = std::find(c.args.begin(), c.args.end(), A::port_kind);
    const auto at = static_cast<size_t>(kind_at - c.args.begin());
    if (kind_at == c.args.end() || at >= args.size()) return;
    const auto keys = names.kind_keys.find(args[at]);
    if (keys == names.kind_keys.end()) return;
    for (const std::string &k : keys->second) {
        const std::string offered = k + "=";
        const bool given = std::any_of(args.begin() + static_cast<long>(at) + 1, args.end(),
                                       [&](const std::string &a) { return starts_with(a, offered); });
        if (!given) out.candidates.push_back(offered);
    }
}

// What may follow a row's words and `args` (the arguments typed so far).
void add_after(Completion &out, const CommandSpec &c, const std::vector<std::string> &args, const CompletionNames &names) {
    // From its key_value argument on, a row takes key=value words, any number, in any order.
    const auto kv = std::find(c.args.begin(), c.args.end(), A::key_value);
    if (kv != c.args.end() && args.size() >= static_cast<size_t>(kv - c.args.begin())) return add_keys(out, c, args, names);
    if (args.size() < c.args.size()) return add_kind(out, c.args[args.size()], names);
    if (!args.empty() && args.size() > c.args.size())
        for (const CommandOption &o : c.options)
            if (o.keyword == args.back() && o.value != A::none) return add_kind(out, o.value, names);
    for (const CommandOption &o : c.options)
        if (std::find(args.begin() + static_cast<long>(c.args.size()), args.end(), o.keyword) == args.end())
            out.candidates.emplace_back(o.keyword);
}

}  // namespace

const std::vector<std::string> &log_level_names() {
    static const std::vector<std::string> names = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    return names;
}

// The grammar. Rows are matched by their longest words (`capture stop` before `capture`); the
// order is `help`'s.
const std::vector<CommandSpec> &command_table() {
    static const std::vector<CommandSpec> table = {
        {C::help, {"help"}, {}, {}, 1, 1, "help"},
        {C::show_port_info, {"show", "port", "info"}, {A::port_or_all}, {}, 4, 4, "show port info all|<port>"},
        {C::show_port_stats, {"show", "port", "stats"}, {A::port_or_all}, {}, 4, 4, "show port stats all|<port>"},
        {C::clear_port_stats, {"clear", "port", "stats"}, {A::port_or_all}, {}, 4, 4, "clear port stats all|<port>"},
        {C::show_mac_table, {"show", "mac", "table"}, {}, {{"vlan", A::vlan}}, 3, 5, "show mac table [vlan <N>]"},
        {C::mac_add, {"mac", "add"}, {A::mac, A::port}, {{"vlan", A::vlan}}, 4, 7,
         "mac add <MAC> <port>|vtep <IP> [vlan <N>]"},
        {C::mac_del, {"mac", "del"}, {A::mac}, {{"vlan", A::vlan}}, 3, 5, "mac del <MAC> [vlan <N>]"},
        {C::mac_flush, {"mac", "flush"}, {A::port}, {}, 2, 3, "mac flush [<port>]"},
        {C::show_switch_stats, {"show", "switch", "stats"}, {}, {}, 3, 3, "show switch stats"},
        {C::set_mac_aging, {"set", "mac", "aging"}, {A::number}, {}, 4, 4, "set mac aging <seconds>"},
        {C::set_tx_flush, {"set", "tx", "flush"}, {A::number}, {}, 4, 4, "set tx flush <microseconds>"},
        {C::set_log_level, {"set", "log", "level"}, {A::log_level, A::pattern}, {}, 4, 5,
         "set log level <level> [<logtype pattern>]"},
        {C::show_lcores, {"show", "lcores"}, {}, {}, 2, 2, "show lcores"},
        {C::show_arp_table, {"show", "arp", "table"}, {}, {}, 3, 3, "show arp table"},
        {C::show_nd_table, {"show", "nd", "table"}, {}, {}, 3, 3, "show nd table"},
        {C::arp_add, {"arp", "add"}, {A::ip, A::mac}, {{"vlan", A::vlan}}, 4, 6, "arp add <IP> <MAC> [vlan <N>]"},
        {C::arp_del, {"arp", "del"}, {A::ip}, {{"vlan", A::vlan}}, 3, 5, "arp del <IP> [vlan <N>]"},
        {C::port_add, {"port", "add"}, {A::new_name, A::port_kind, A::key_value}, {}, 4, 64,
         "port add <name> <type> key=value..."},
        {C::port_del, {"port", "del"}, {A::port}, {}, 3, 3, "port del <name>"},
        {C::show_capture, {"show", "capture"}, {}, {}, 2, 2, "show capture"},
        {C::capture_stop, {"capture", "stop"}, {A::port}, {}, 3, 3, "capture stop <port>", false},
        {C::capture, {"capture"}, {A::port, A::path},
         {{"count", A::number}, {"rx"}, {"tx"}, {"both"}, {"overwrite"}}, 3, 8,
         "capture <port> <file> [count <N>] [rx|tx|both] [overwrite] | capture stop <port>"},
        {C::save_config, {"save", "config"}, {A::path}, {}, 2, 3, "save config [<file>]"},
        {C::show_vxlan, {"show", "vxlan"}, {}, {}, 2, 2, "show vxlan"},
        {C::vxlan_vtep_add, {"vxlan", "vtep", "add"}, {A::ip}, {{"vni", A::number}}, 4, 6, "vxlan vtep add <IP> [vni <N>]"},
        {C::vxlan_vtep_del, {"vxlan", "vtep", "del"}, {A::ip}, {{"vni", A::number}}, 4, 6, "vxlan vtep del <IP> [vni <N>]"},
        {C::quit, {"quit"}, {}, {}, 1, 1, "quit"},
    };
    return table;
}

std::vector<std::string> grammar_synopsis() {
    std::vector<std::string> s;
    for (const CommandSpec &c : command_table())
        if (c.in_help) s.emplace_back(c.synopsis);
    return s;
}

Result<ResolvedCommand> resolve_command(const std::vector<std::string> &tokens) {
    ResolvedCommand r{nullptr, tokens};
    auto words = expand_words(r.tokens);
    if (!words) return words.error();
    r.spec = find_row(r.tokens);
    return r;
}

Completion complete_command(const std::vector<std::string> &before, const std::string &partial,
                            const CompletionNames &names) {
    Completion out;
    std::vector<std::string> words = before;
    auto depth = expand_words(words);
    if (!depth) return out;   // an ambiguous word before: nothing completes after it
    if (*depth == words.size()) {
        const NextWords next = next_words(words, words.size());
        out.candidates = next.words;
        if (next.command_ends)
            if (const CommandSpec *c = find_row(words); c != nullptr && c->words.size() == words.size())
                add_after(out, *c, {}, names);
    } else if (const CommandSpec *c = find_row(words)) {
        add_after(out, *c, std::vector<std::string>(words.begin() + static_cast<long>(c->words.size()), words.end()), names);
    }
    auto &cand = out.candidates;
    cand.erase(std::remove_if(cand.begin(), cand.end(), [&](const std::string &s) { return !starts_with(s, partial); }),
               cand.end());
    std::sort(cand.begin(), cand.end());
    cand.erase(std::unique(cand.begin(), cand.end()), cand.end());
    return out;
}

}  // namespace dsw
