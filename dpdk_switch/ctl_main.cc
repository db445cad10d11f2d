// dpdk_switch_ctl: sends one command to a running switch (exit 1 on error), or, with no
// command, runs the same interactive prompt as `dpdk_switch -i` over the control socket.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <readline/history.h>
#include <readline/readline.h>

#include "dpdk_switch/control/ctl_client.h"

namespace {

constexpr const char *kUsage =
    "usage: dpdk_switch_ctl [--socket PATH] [--json] [COMMAND...]\n"
    "  default socket: $DSW_CTL_SOCKET or /run/dpdk_switch/sw0.sock\n"
    "  with no COMMAND: interactive prompt (try 'help')\n";

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

int interactive(dsw::CtlClient &client, bool as_json) {
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
        if (line == "quit") break;
    }
    return 0;
}

}  // namespace

int main(int argc, char **argv) {
    const char *env = std::getenv("DSW_CTL_SOCKET");
    std::string sock = env ? env : "/run/dpdk_switch/sw0.sock";
    bool as_json = false;
    std::string command;
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--socket" && i + 1 < argc) {
            sock = argv[++i];
        } else if (a == "--json") {
            as_json = true;
        } else if (a == "-h" || a == "--help") {
            std::fputs(kUsage, stdout);
            return 0;
        } else if (a.rfind("--", 0) == 0) {
            std::fprintf(stderr, "dpdk_switch_ctl: unknown option '%s'\n%s", a.c_str(), kUsage);
            return 1;
        } else {
            break;
        }
    }
    for (; i < argc; ++i) {
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
    auto reply = client->call(command);
    if (!reply) {
        std::fprintf(stderr, "dpdk_switch_ctl: %s\n", reply.error().message.c_str());
        return 1;
    }
    return print_reply(reply.value(), as_json) ? 0 : 1;
}
