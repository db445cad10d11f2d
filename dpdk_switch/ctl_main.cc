// dpdk_switch_ctl: sends one command to a running switch (exit 1 on error), or, with no
// command, runs the same interactive prompt as `dpdk_switch -i` over the control socket.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include <getopt.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "dpdk_switch/control/ctl_client.h"
#include "dpdk_switch/control/readline_completion.h"
#include "dsw_version.h"

namespace {

constexpr const char *kUsage =
    "usage: dpdk_switch_ctl [--socket PATH] [--json] [COMMAND...]\n"
    "       dpdk_switch_ctl --version\n"
    "  default socket: $DSW_CTL_SOCKET or /run/dpdk_switch/sw0.sock\n"
    "  with no COMMAND: interactive prompt (try 'help')\n"
    "  monitor [seconds] [count N]: live per-port rates, refreshed in place\n";

// Prints a reply; returns true if the command succeeded.
bool print_reply(const nlohmann::json &reply, bool as_json) {
    const bool ok = reply.value("ok", false);
    if (as_json) {
        std::printf("%s\n", reply.value("json", nlohmann::json::object()).dump().c_str());
    } else {
        const std::string text = reply.value("text", "");
        std::fprintf(ok ? stdout : stderr, "%s\n", text.c_str());
    }
    return ok;
}

// `monitor [seconds] [count N]`: a compact live view, refreshed in place (as `top`), until
// Ctrl-C or N refreshes. Rates come from the switch (since the previous `show port stats`).
int monitor(dsw::CtlClient &client, const std::string &args) {
    std::istringstream in(args);
    std::string word;
    double interval = 1.0;
    long count = -1;
    in >> word;   // "monitor"
    while (in >> word) {
        if (word == "count" && (in >> count)) continue;
        try {
            interval = std::stod(word);
        } catch (...) {
            std::fprintf(stderr, "usage: monitor [seconds] [count N]\n");
            return 2;
        }
    }
    const bool tty = isatty(STDOUT_FILENO);
    for (long n = 0; count < 0 || n < count; ++n) {
        auto ports = client.call("show port stats all");
        auto sw = client.call("show switch stats");
        if (!ports || !sw) {
            std::fprintf(stderr, "dpdk_switch_ctl: %s\n", (!ports ? ports : sw).error().message.c_str());
            return 1;
        }
        if (tty) std::printf("\033[H\033[2J");
        const auto &s = sw.value()["json"];
        std::printf("MACs %s/%s  learned %s  moves %s  flooded %s  arp replies %s  nd replies %s\n",
                    s.value("mac_entries", nlohmann::json(0)).dump().c_str(), s.value("mac_capacity", nlohmann::json(0)).dump().c_str(),
                    s.value("learned", nlohmann::json(0)).dump().c_str(), s.value("moves", nlohmann::json(0)).dump().c_str(),
                    s.value("flooded", nlohmann::json(0)).dump().c_str(), s.value("arp_proxy_replies", nlohmann::json(0)).dump().c_str(),
                    s.value("nd_proxy_replies", nlohmann::json(0)).dump().c_str());
        // DROPS: what the switch dropped (by reason in `show port stats`); RX-MISSED: what never
        // reached it, lost at a full RX ring or an empty mbuf pool (imissed, rx_nombuf, and the
        // kernel's rx_ring_full of af_packet and af_xdp ports, which their PMDs do not count).
        std::printf("%-16s %12s %12s %12s %12s %10s %10s\n", "PORT", "RX-pps", "TX-pps", "RX-Mbps", "TX-Mbps", "DROPS",
                    "RX-MISSED");
        for (const auto &p : ports.value()["json"]["ports"]) {
            uint64_t drops = 0;
            for (const auto &d : p["drops"]) drops += d.get<uint64_t>();
            const nlohmann::json none = nlohmann::json::object();
            const nlohmann::json &pmd = p.contains("pmd") ? p["pmd"] : none;
            const nlohmann::json &kernel = p.contains("kernel") ? p["kernel"] : none;
            const uint64_t missed =
                pmd.value("imissed", uint64_t{0}) + pmd.value("rx_nombuf", uint64_t{0}) + kernel.value("rx_ring_full", uint64_t{0});
            std::printf("%-16s %12lu %12lu %12.1f %12.1f %10lu %10lu\n", p["name"].get<std::string>().c_str(),
                        static_cast<unsigned long>(p.value("rx_pps", 0UL)), static_cast<unsigned long>(p.value("tx_pps", 0UL)),
                        static_cast<double>(p.value("rx_bps", 0UL)) / 1e6, static_cast<double>(p.value("tx_bps", 0UL)) / 1e6,
                        static_cast<unsigned long>(drops), static_cast<unsigned long>(missed));
        }
        std::fflush(stdout);
        if (count < 0 || n + 1 < count) usleep(static_cast<useconds_t>(interval * 1e6));
    }
    return 0;
}

// The switch's port names (`show port info all`), kinds and their keys (`help`), asked at each
// Tab: ports come and go. A failed call completes nothing rather than ending the prompt.
dsw::CompletionNames switch_names(dsw::CtlClient &client) {
    dsw::CompletionNames n;
    if (auto info = client.call("show port info all"); info && info.value().value("ok", false))
        for (const auto &p : info.value()["json"].value("ports", nlohmann::json::array()))
            n.ports.push_back(p.value("name", ""));
    if (auto help = client.call("help"); help && help.value().value("ok", false)) {
        const nlohmann::json &h = help.value()["json"];
        for (const auto &k : h.value("port_kinds", nlohmann::json::array()))
            if (k.is_string()) n.kinds.push_back(k.get<std::string>());
        // The keys each kind takes, as the switch's config loader has them: a switch of another
        // version (or a kind registered at run time) completes its own.
        const nlohmann::json by_kind = h.value("port_keys", nlohmann::json::object());
        for (const auto &[kind, keys] : by_kind.items())
            for (const auto &k : keys)
                if (k.is_string()) n.kind_keys[kind].push_back(k.get<std::string>());
    }
    return n;
}

// `quit`, or a prefix of it (`q`): the switch closes this client after its answer.
bool is_quit(const std::string &line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    auto found = dsw::resolve_command(words);
    return found && found->spec != nullptr && found->spec->id == dsw::CommandId::quit;
}

int interactive(dsw::CtlClient &client, bool as_json) {
    dsw::install_readline_completion([&client] { return switch_names(client); });
    for (;;) {
        char *raw = readline("dpdk_switch> ");
        if (raw == nullptr) break;
        std::string line(raw);
        std::free(raw);
        if (line.find_first_not_of(" \t") == std::string::npos) continue;
        add_history(line.c_str());
        auto reply = client.call(line);
        if (!reply) {
            std::fprintf(stderr, "dpdk_switch_ctl: %s\n", reply.error().message.c_str());
            return 1;
        }
        print_reply(reply.value(), as_json);
        if (is_quit(line)) break;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const char *env = std::getenv("DSW_CTL_SOCKET");
    std::string sock = env ? env : "/run/dpdk_switch/sw0.sock";
    bool as_json = false;
    // Options through getopt_long, up to the first word that is not one ("+"): the command's
    // words are the switch's to read. ":": a missing value is told apart from an unknown option.
    const option longopts[] = {
        {"socket", required_argument, nullptr, 's'},
        {"json", no_argument, nullptr, 'j'},
        {"help", no_argument, nullptr, 'h'},
        {"version", no_argument, nullptr, 'V'},
        {nullptr, 0, nullptr, 0},
    };
    opterr = 0;
    for (int c; (c = getopt_long(argc, argv, "+:h", longopts, nullptr)) != -1;) {
        const std::string word = argv[optind - 1];
        const std::string given = (word.rfind("--", 0) == 0 || optopt == 0) ? word : std::string("-") + char(optopt);
        switch (c) {
        case 's': sock = optarg; break;
        case 'j': as_json = true; break;
        case 'h': std::fputs(kUsage, stdout); return 0;
        case 'V': std::printf("dpdk_switch_ctl %s\n", DSW_VERSION); return 0;
        case ':': std::fprintf(stderr, "dpdk_switch_ctl: %s needs a value\n%s", given.c_str(), kUsage); return 2;
        default: std::fprintf(stderr, "dpdk_switch_ctl: unknown option '%s'\n%s", given.c_str(), kUsage); return 2;
        }
    }
    std::string command;
    for (int i = optind; i < argc; ++i) {
        if (!command.empty()) command += ' ';
        command += argv[i];
    }

    auto client = dsw::CtlClient::connect(sock);
    if (!client) {
        if (as_json)
            std::printf("%s\n", nlohmann::json{{"error", client.error().message}}.dump().c_str());
        std::fprintf(stderr, "dpdk_switch_ctl: %s\n", client.error().message.c_str());
        return 1;
    }
    if (command.empty()) return interactive(client.value(), as_json);
    if (command.rfind("monitor", 0) == 0) return monitor(client.value(), command);
    auto reply = client->call(command);
    if (!reply) {
        std::fprintf(stderr, "dpdk_switch_ctl: %s\n", reply.error().message.c_str());
        return 1;
    }
    return print_reply(reply.value(), as_json) ? 0 : 1;
}
