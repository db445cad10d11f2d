// libFuzzer target for the CLI: each line of the input is one command, as the prompt and the
// control socket hand it to run_command, against a started Switch on a real EAL. The switch is a
// VTEP (vxlan: over the underlay port "u", VLANs 10 and 20 mapped) with an access port "a" and a
// trunk "t", all net_null devices that receive nothing, so the VXLAN, MAC, ARP and show commands
// reach their handlers with state to act on. Built and run by scripts/fuzz.sh; seeds in
// tests/fuzz/cli_seeds.
//
// What is parsed but not run: `port add` goes to port_from_words (the parsing it does before
// opening anything), since opening a fuzzed tap, af_packet or vhost port would reach the host;
// `port del`, `capture` and `save config` are not run (they would remove the rig's ports or
// write files at fuzzed paths). Every line is also completed as the prompt's Tab would.
// A line that changed the switch (a command that answered ok and is not a `show`) makes the next
// input start from a fresh switch, so that every input reproduces from itself alone.
//
// Checks, besides what ASan and UBSan catch:
//   - every line answers: an error has a message, never an exception (run_command's "internal
//     error" is a handler that threw: a bug);
//   - completion candidates are sorted and each starts with the partial word.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <rte_log.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/grammar.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dpdk/eal.h"

namespace {

using dsw::CommandId;

[[noreturn]] void die(const std::string &what, const std::string &detail = "") {
    std::fprintf(stderr, "cli_fuzzer: %s\n%s\n", what.c_str(), detail.c_str());
    std::abort();
}

// idle_sleep_us: the worker has nothing to poll, so it sleeps instead of spinning a CPU.
const char *const kRig = R"(
switch: { mac_table_size: 1024, idle_sleep_us: 100000, mbufs: 8192 }
ports:
  - { name: u, type: dpdk, devargs: "net_null_fzu,no-rx=1" }
  - { name: a, type: dpdk, devargs: "net_null_fza,no-rx=1", vlan: 10 }
  - { name: t, type: dpdk, devargs: "net_null_fzt,no-rx=1", trunk: [10, 20] }
static_macs:
  - { mac: "02:00:00:00:00:0a", port: a }
arp:
  - { ip: 10.0.0.10, mac: "02:00:00:00:00:0a" }
vxlan:
  local_ip: 192.168.9.1/24
  gateway: 192.168.9.254
  underlay: u
  vni_map:
    - { vlan: 10, vni: 1010, remotes: [192.168.9.2] }
    - { vlan: 20, vni: 2020, remotes: [10.9.0.3] }
)";

dsw::Eal *g_eal;
std::unique_ptr<dsw::Switch> g_switch;

std::unique_ptr<dsw::Switch> make_switch() {
    auto cfg = dsw::parse_config(kRig, "cli_fuzzer rig");
    if (!cfg) die("rig config", cfg.error().message);
    auto sw = dsw::Switch::create(cfg.value());
    if (!sw) die("Switch::create", sw.error().message);
    if (auto st = sw.value()->start(); !st) die("Switch::start", st.error().message);
    return std::move(sw.value());
}

bool is_show(CommandId id) {
    switch (id) {
    case CommandId::help:
    case CommandId::show_port_info:
    case CommandId::show_port_stats:
    case CommandId::show_mac_table:
    case CommandId::show_switch_stats:
    case CommandId::show_lcores:
    case CommandId::show_arp_table:
    case CommandId::show_nd_table:
    case CommandId::show_capture:
    case CommandId::show_vxlan:
    case CommandId::capture_stop:
    case CommandId::quit:
        return true;
    default:
        return false;
    }
}

void check_completion(const std::vector<std::string> &words, const std::string &line) {
    if (words.empty()) return;
    const std::vector<std::string> before(words.begin(), words.end() - 1);
    const std::string &partial = words.back();
    const dsw::CompletionNames names{{"u", "a", "t"}, {"af_packet", "memif", "tap", "vhost"}};
    const dsw::Completion c = dsw::complete_command(before, partial, names);
    if (!std::is_sorted(c.candidates.begin(), c.candidates.end())) die("completion not sorted", line);
    for (const std::string &s : c.candidates)
        if (s.rfind(partial, 0) != 0) die("completion '" + s + "' does not start with '" + partial + "'", line);
}

// One line; true when it may have changed the switch.
bool run_line(const std::string &line) {
    const std::vector<std::string> words = dsw::tokenize(line);
    check_completion(words, line);
    if (!words.empty() && line.find('\0') == std::string::npos) {
        auto found = dsw::resolve_command(words);
        if (found && found->spec != nullptr) {
            const dsw::CommandSpec &c = *found->spec;
            const std::vector<std::string> &a = found->tokens;
            const bool fits = a.size() >= c.min_tokens && a.size() <= c.max_tokens;
            switch (c.id) {
            case CommandId::port_add:
                if (fits) {
                    auto pc = dsw::port_from_words(a[2], a[3], std::vector<std::string>(a.begin() + 4, a.end()));
                    if (!pc && pc.error().message.empty()) die("port_from_words: an error without a message", line);
                }
                return false;
            case CommandId::port_del:
            case CommandId::capture:
            case CommandId::save_config:
                return false;
            default:
                break;
            }
        }
    }
    const dsw::Reply r = dsw::run_command(*g_switch, line);
    if (!r.ok) {
        const std::string msg = r.json.value("error", std::string());
        if (msg.empty()) die("an error reply without a message", line);
        if (msg.rfind("internal error", 0) == 0) die("a handler threw: " + msg, line);
        return false;
    }
    auto found = dsw::resolve_command(words);
    return !(found && found->spec != nullptr && is_show(found->spec->id));
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    const std::string prefix = "dswfuzz" + std::to_string(getpid());
    auto eal = dsw::Eal::init({"dsw_fuzz", "-l", "0-1", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
                               "--file-prefix", prefix, "--log-level", "*:error"});
    if (!eal) die("EAL", eal.error().message);
    g_eal = new dsw::Eal(std::move(eal.value()));
    g_switch = make_switch();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static bool dirty = false;
    if (dirty) {
        g_switch.reset();
        g_switch = make_switch();
        rte_log_set_global_level(RTE_LOG_ERR);
        dirty = false;
    }
    const std::string input(reinterpret_cast<const char *>(data), size);
    size_t at = 0;
    for (unsigned n = 0; n < 16 && at <= input.size(); ++n) {
        size_t end = input.find('\n', at);
        if (end == std::string::npos) end = input.size();
        if (run_line(input.substr(at, end - at))) dirty = true;
        at = end + 1;
    }
    return 0;
}
