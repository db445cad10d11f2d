#include "dpdk_switch/control/commands.h"

#include <charconv>
#include <map>
#include <sstream>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/grammar.h"
#include "dpdk_switch/control/render_text.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/ports/port_kind.h"
#include "commands/handlers.h"

namespace dsw {

using nlohmann::json;
using Args = std::vector<std::string>;

Reply Reply::error(const std::string &message) {
    Reply r;
    r.ok = false;
    r.json = nlohmann::json{{"error", message}};
    r.text = "error: " + message;
    return r;
}

std::vector<std::string> tokenize(const std::string &line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

namespace cmd {

std::optional<unsigned long> parse_uint(const std::string &s, unsigned long max) {
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

json drops_json(const std::array<uint64_t, kDropReasons> &drops) {
    json d = json::object();
    for (unsigned r = 0; r < kDropReasons; ++r)
        if (drops[r] != 0) d[kDropReasonNames[r]] = drops[r];
    return d;
}

}  // namespace cmd

namespace {

using cmd::Answer;

// The port kinds `port add` takes, as the config names them.
std::vector<std::string> port_kind_names() {
    std::vector<std::string> kinds;
    for (const PortKind *k : port_kinds()) kinds.emplace_back(k->name);
    return kinds;
}

// By kind: the keys `port add` takes for it.
std::map<std::string, std::vector<std::string>> port_add_keys_by_kind() {
    std::map<std::string, std::vector<std::string>> keys;
    for (const PortKind *k : port_kinds()) keys[std::string(k->name)] = port_add_keys(k->type);
    return keys;
}

// port_kinds and port_keys: for dpdk_switch_ctl's completion of `port add <name> <Tab>` and of
// the keys after the kind.
Answer help(Switch &, const Args &) {
    return json{{"commands", command_synopsis()}, {"port_kinds", port_kind_names()}, {"port_keys", port_add_keys_by_kind()}};
}

Answer quit(Switch &, const Args &) { return json{{"ok", true}}; }

using Handler = Answer (*)(Switch &, const Args &);

Handler handler_of(CommandId id) {
    switch (id) {
    case CommandId::help: return help;
    case CommandId::show_port_info: return cmd::show_port_info;
    case CommandId::show_port_stats: return cmd::show_port_stats;
    case CommandId::clear_port_stats: return cmd::clear_port_stats;
    case CommandId::show_mac_table: return cmd::show_mac_table;
    case CommandId::mac_add: return cmd::mac_add;
    case CommandId::mac_del: return cmd::mac_del;
    case CommandId::mac_flush: return cmd::mac_flush;
    case CommandId::show_switch_stats: return cmd::show_switch_stats;
    case CommandId::set_mac_aging: return cmd::set_mac_aging;
    case CommandId::set_tx_flush: return cmd::set_tx_flush;
    case CommandId::set_log_level: return cmd::set_log_level;
    case CommandId::show_lcores: return cmd::show_lcores;
    case CommandId::show_arp_table: return cmd::show_arp_table;
    case CommandId::show_nd_table: return cmd::show_nd_table;
    case CommandId::arp_add: return cmd::arp_add;
    case CommandId::arp_del: return cmd::arp_del;
    case CommandId::port_add: return cmd::port_add;
    case CommandId::port_del: return cmd::port_del;
    case CommandId::show_capture: return cmd::show_capture;
    case CommandId::capture: return cmd::capture;
    case CommandId::capture_stop: return cmd::capture_stop;
    case CommandId::save_config: return cmd::save_config;
    case CommandId::show_vxlan: return cmd::show_vxlan;
    case CommandId::vxlan_vtep_add: return cmd::vxlan_vtep_add;
    case CommandId::vxlan_vtep_del: return cmd::vxlan_vtep_del;
    case CommandId::quit: return quit;
    }
    return nullptr;
}

}  // namespace

const std::vector<std::string> &command_synopsis() {
    static const std::vector<std::string> list = grammar_synopsis();
    return list;
}

CompletionNames completion_names(Switch &sw) {
    CompletionNames n;
    for (const SwitchPort *sp : sw.ports()) n.ports.push_back(sw.port_name(sp->index));
    n.kinds = port_kind_names();
    n.kind_keys = port_add_keys_by_kind();
    return n;
}

Reply run_command(Switch &sw, const std::string &line) {
    // A word with a NUL would reach C calls (paths, names) cut short at it: refuse the line.
    if (auto st = check_no_nul(line); !st) return Reply::error("the command " + st.error().message);
    const Args words = tokenize(line);
    if (words.empty()) return Reply::error("empty command (try 'help')");
    auto found = resolve_command(words);
    if (!found) return Reply::error(found.error().message + " (try 'help')");
    if (found->spec == nullptr) return Reply::error("unknown command '" + line + "' (try 'help')");
    const CommandSpec &c = *found->spec;
    const Args &a = found->tokens;
    if (a.size() < c.min_tokens || a.size() > c.max_tokens) return Reply::error("usage: " + std::string(c.synopsis));
    try {
        Handler run = handler_of(c.id);
        auto answer = run(sw, a);
        if (!answer) return Reply::error(answer.error().message);
        Reply r;
        r.json = std::move(answer.value());
        r.text = render_text(c.id, a, r.json);
        r.quit = c.id == CommandId::quit;
        return r;
    } catch (const std::exception &e) {   // e.g. a JSON type error: a bug, but not a crash
        return Reply::error(std::string("internal error: ") + e.what());
    }
}

}  // namespace dsw
