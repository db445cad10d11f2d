#include "dpdk_switch/cni/env.h"

#include <cstdlib>

#include <net/if.h>

#include "dpdk_switch/cni/cni_error.h"

namespace dsw::cni {

namespace {

std::string getenv_str(const char *name) {
    const char *v = std::getenv(name);
    return v != nullptr ? v : "";
}

// The spec's container id: an alphanumeric, then alphanumerics, '_', '.' or '-'.
bool valid_container_id(const std::string &id) {
    if (id.empty() || !std::isalnum(static_cast<unsigned char>(id[0]))) return false;
    for (char c : id)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != '-') return false;
    return true;
}

// The kernel's rule for an interface name (dev_valid_name).
bool valid_ifname(const std::string &n) {
    if (n.empty() || n.size() >= IFNAMSIZ || n == "." || n == "..") return false;
    for (char c : n)
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) return false;
    return true;
}

Error env_error(const std::string &var, const std::string &why) { return fail(var + ": " + why, kInvalidEnvironment); }

}  // namespace

Result<CniEnv> read_env() {
    CniEnv e;
    const std::string cmd = getenv_str("CNI_COMMAND");
    if (cmd == "ADD") e.command = Command::add;
    else if (cmd == "DEL") e.command = Command::del;
    else if (cmd == "CHECK") e.command = Command::check;
    else if (cmd == "VERSION") e.command = Command::version;
    else if (cmd.empty()) return env_error("CNI_COMMAND", "not set (ADD, DEL, CHECK or VERSION)");
    else return env_error("CNI_COMMAND", "unknown command '" + cmd + "' (ADD, DEL, CHECK or VERSION)");
    if (e.command == Command::version) return e;

    e.container_id = getenv_str("CNI_CONTAINERID");
    e.netns = getenv_str("CNI_NETNS");
    e.ifname = getenv_str("CNI_IFNAME");
    e.path = getenv_str("CNI_PATH");
    e.args = getenv_str("CNI_ARGS");
    if (e.container_id.empty()) return env_error("CNI_CONTAINERID", "not set");
    if (!valid_container_id(e.container_id))
        return env_error("CNI_CONTAINERID", "'" + e.container_id + "' is not a container id (A-Z a-z 0-9, then also _ . -)");
    if (e.ifname.empty()) return env_error("CNI_IFNAME", "not set");
    if (!valid_ifname(e.ifname)) return env_error("CNI_IFNAME", "'" + e.ifname + "' is not an interface name");
    // DEL may come after the container and its namespace are gone.
    if (e.command != Command::del && e.netns.empty()) return env_error("CNI_NETNS", "not set");
    return e;
}

std::string cni_arg(const std::string &args, const std::string &key) {
    size_t pos = 0;
    while (pos <= args.size()) {
        size_t end = args.find(';', pos);
        if (end == std::string::npos) end = args.size();
        const std::string kv = args.substr(pos, end - pos);
        const size_t eq = kv.find('=');
        if (eq != std::string::npos && kv.substr(0, eq) == key) return kv.substr(eq + 1);
        pos = end + 1;
    }
    return "";
}

}  // namespace dsw::cni
