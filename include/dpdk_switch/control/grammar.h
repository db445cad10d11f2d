// The CLI grammar: one table of commands (their words, their arguments' kinds, their options)
// that drives dispatch, `help`, unique-prefix expansion and Tab completion. It includes no DPDK
// header: dpdk_switch_ctl completes with it too, without linking the switch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dpdk_switch/result.h"

namespace dsw {

// One per command; names the handler and the text renderer of its reply.
enum class CommandId : uint8_t {
    help, show_port_info, show_port_stats, clear_port_stats, show_mac_table, mac_add, mac_del, mac_flush,
    show_switch_stats, set_mac_aging, set_tx_flush, set_log_level, show_lcores, show_arp_table, show_nd_table,
    arp_add, arp_del, port_add, port_del, show_capture, capture, capture_stop, save_config, show_vxlan,
    vxlan_vtep_add, vxlan_vtep_del, quit,
};

// What an argument is, for completion (port names and kinds are completed; a path by file name).
enum class ArgKind : uint8_t { none, port, port_or_all, new_name, port_kind, mac, ip, vlan, number, path, key_value,
                               log_level, pattern };

// A keyword that may follow the positional arguments, alone (`overwrite`) or with a value (`vlan 10`).
struct CommandOption {
    std::string_view keyword;
    ArgKind value = ArgKind::none;
};

struct CommandSpec {
    CommandId id;
    std::vector<std::string_view> words;      // the command's own words, in full
    std::vector<ArgKind> args;                // then these arguments, in order; a last key_value repeats
    std::vector<CommandOption> options;       // then any of these
    size_t min_tokens, max_tokens;            // whole line, words included
    const char *synopsis;                     // as `help` and usage errors show it
    bool in_help = true;                      // false: `help` shows it within another row's synopsis
};

const std::vector<CommandSpec> &command_table();

// `help`'s list: the synopses of the table, in its order.
std::vector<std::string> grammar_synopsis();

// The line's tokens with the command's words spelled out in full (`sh po st all` -> `show port
// stats all`) and its row (nullptr: no command has these words); or an error naming an ambiguous
// prefix and its candidates. A word is expanded only where no shorter command could take it as
// an argument.
struct ResolvedCommand {
    const CommandSpec *spec;
    std::vector<std::string> tokens;
};
Result<ResolvedCommand> resolve_command(const std::vector<std::string> &tokens);

// What completes a partial word, given the words before it: command words, keywords, and the
// names below. file_name: the word is a path (the prompt completes it from the file system).
struct CompletionNames {
    std::vector<std::string> ports;
    std::vector<std::string> kinds;
    // By kind: the keys a key_value argument takes after it (`port add <name> <kind> key=value`),
    // as the switch's config loader has them (port_add_keys); a kind not here has none to offer.
    std::map<std::string, std::vector<std::string>> kind_keys;
};
struct Completion {
    // Sorted, each starting with the partial word. A key is offered with its '=' ("iface="):
    // the value follows it without a space.
    std::vector<std::string> candidates;
    bool file_name = false;
};
Completion complete_command(const std::vector<std::string> &before, const std::string &partial,
                            const CompletionNames &names);

// The log levels `set log level` takes, in rte_log's order (emerg is 1).
const std::vector<std::string> &log_level_names();

}  // namespace dsw
