// The YAML config loader: one small reader per section of DESIGN.md §4. Ports are read in
// config_port.cc and scalars in config_fields.cc. Everything is validated before anything is used,
// so that a bad file stops the switch at start instead of leaving it half-configured.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <rte_lcore.h>

#include "config_fields.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/limits.h"

namespace dsw {
namespace {

using config_detail::config_error;
using config_detail::Empty;
using config_detail::index_path;
using config_detail::key_path;
using config_detail::kMaxVlan;

// ---- eal: -------------------------------------------------------------------------------------

bool only_chars(const std::string &s, bool (*allowed)(char)) {
    for (char c : s)
        if (!allowed(c))
            return false;
    return true;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// What EAL's -l / --lcores take: "0-3", "1,3", "(0-3)@0", ...; EAL itself checks the meaning.
bool lcores_char(char c) {
    return is_digit(c) || c == ',' || c == '-' || c == '@' || c == '(' || c == ')';
}

// file_prefix names files under /run and /dev/hugepages: keep it a plain word.
bool prefix_char(char c) {
    return is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '-';
}

Status parse_eal_extra(const YAML::Node &n, const std::string &path, EalConfig &eal) {
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    eal.extra.clear();
    for (size_t i = 0; i < n.size(); ++i) {
        std::string arg;
        if (auto st = config_detail::read_string(n[i], index_path(path, i), arg); !st)
            return st;
        eal.extra.push_back(arg);
    }
    return Ok{};
}

Status parse_eal(const YAML::Node &n, EalConfig &eal) {
    const std::string path = "eal";
    if (auto st = config_detail::check_map(
            n, path, {"lcores", "no_huge", "memory_mb", "file_prefix", "extra"}, true); !st)
        return st;
    if (n.IsNull())
        return Ok{};
    if (auto st = config_detail::read_string_key(n, path, "lcores", eal.lcores); !st)
        return st;
    if (!only_chars(eal.lcores, lcores_char))
        return config_error(key_path(path, "lcores"), "invalid lcore list '" + eal.lcores + "'");
    if (auto st = config_detail::read_bool_key(n, path, "no_huge", eal.no_huge); !st)
        return st;
    if (auto st = config_detail::read_uint_key(n, path, "memory_mb", 64, UINT32_MAX,
                                               eal.memory_mb); !st)
        return st;
    if (auto st = config_detail::read_string_key(n, path, "file_prefix", eal.file_prefix); !st)
        return st;
    if (!only_chars(eal.file_prefix, prefix_char))
        return config_error(key_path(path, "file_prefix"),
                            "invalid file prefix '" + eal.file_prefix + "' (A-Z a-z 0-9 _ -)");
    if (const YAML::Node extra = n["extra"]; extra.IsDefined())
        return parse_eal_extra(extra, key_path(path, "extra"), eal);
    return Ok{};
}

// ---- switch: ----------------------------------------------------------------------------------

Status parse_switch(const YAML::Node &n, SwitchConfig &sw) {
    const std::string path = "switch";
    if (auto st = config_detail::check_map(n, path,
                                           {"burst", "mac_table_size", "mac_aging_s", "arp_proxy",
                                            "ctl_socket", "mbufs", "idle_sleep_us", "tx_flush_us"},
                                           true); !st)
        return st;
    if (n.IsNull())
        return Ok{};
    if (auto st = config_detail::read_uint_key(n, path, "burst", 1, kMaxBurst, sw.burst); !st)
        return st;
    if (auto st = config_detail::read_uint_key(n, path, "mac_table_size", 1024, 16777216,
                                               sw.mac_table_size); !st)
        return st;
    // 0 turns aging off (static-only or lab setups).
    if (auto st = config_detail::read_uint_key(n, path, "mac_aging_s", 0, 1000000,
                                               sw.mac_aging_s); !st)
        return st;
    if (auto st = config_detail::read_bool_key(n, path, "arp_proxy", sw.arp_proxy); !st)
        return st;
    // An empty ctl_socket is the documented default (/run/dpdk_switch/<file_prefix>.sock).
    if (auto st = config_detail::read_string_key(n, path, "ctl_socket", sw.ctl_socket,
                                                 Empty::allow); !st)
        return st;
    if (auto st = config_detail::check_socket_path(sw.ctl_socket, key_path(path, "ctl_socket")); !st)
        return st;
    if (auto st = config_detail::read_uint_key(n, path, "mbufs", 0, UINT32_MAX, sw.mbufs); !st)
        return st;
    if (auto st = config_detail::read_uint_key(n, path, "idle_sleep_us", 0, 100000, sw.idle_sleep_us); !st)
        return st;
    if (auto st = config_detail::read_uint_key(n, path, "tx_flush_us", 0, kMaxTxFlushUs, sw.tx_flush_us); !st)
        return st;
    // Fewer mbufs than a few bursts per port would starve RX at once; 0 asks for auto sizing.
    if (sw.mbufs != 0 && sw.mbufs < 1024)
        return config_error(key_path(path, "mbufs"),
                            "must be 0 (sized from the ports) or at least 1024, got " +
                                std::to_string(sw.mbufs));
    return Ok{};
}

// ---- ports: -----------------------------------------------------------------------------------

Status parse_ports(const YAML::Node &n, std::vector<PortConfig> &ports) {
    const std::string path = "ports";
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    for (size_t i = 0; i < n.size(); ++i) {
        PortConfig port;
        if (auto st = config_detail::parse_port(n[i], index_path(path, i), port); !st)
            return st;
        for (size_t j = 0; j < ports.size(); ++j)
            if (ports[j].name == port.name)
                return config_error(key_path(index_path(path, i), "name"),
                                    "duplicate port name '" + port.name + "' (also " +
                                        index_path(path, j) + ")");
        ports.push_back(std::move(port));
    }
    return Ok{};
}

// ---- MAC and IPv4 values ----------------------------------------------------------------------

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// "xx:xx:xx:xx:xx:xx" into six bytes; false for anything else.
bool parse_mac(const std::string &s, uint8_t (&mac)[6]) {
    if (s.size() != 17)
        return false;
    for (size_t i = 0; i < 6; ++i) {
        const int hi = hex_value(s[3 * i]);
        const int lo = hex_value(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return false;
        mac[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

// A unicast MAC, stored lowercase so that later comparisons of the text are exact.
Status read_unicast_mac(const YAML::Node &n, const std::string &path, std::string &out) {
    if (!n.IsDefined())
        return config_error(path, "missing required key");
    std::string text;
    if (auto st = config_detail::read_string(n, path, text); !st)
        return st;
    uint8_t mac[6];
    if (!parse_mac(text, mac))
        return config_error(path, "invalid MAC address '" + text + "' (expected xx:xx:xx:xx:xx:xx)");
    // A multicast or all-zero address never is a frame's source, so an entry for it is a mistake.
    if (mac[0] & 0x01)
        return config_error(path, "'" + text + "' is a multicast MAC address");
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
        return config_error(path, "the all-zero MAC address is not valid here");
    char canonical[18];
    std::snprintf(canonical, sizeof(canonical), "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
                  mac[2], mac[3], mac[4], mac[5]);
    out = canonical;
    return Ok{};
}

Status read_unicast_ipv4(const YAML::Node &n, const std::string &path, std::string &out) {
    if (!n.IsDefined())
        return config_error(path, "missing required key");
    std::string text;
    if (auto st = config_detail::read_string(n, path, text); !st)
        return st;
    in_addr addr{};
    // glibc's inet_pton takes only the four-part dotted decimal form, without leading zeros.
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1)
        return config_error(path, "invalid IPv4 address '" + text + "'");
    const uint32_t host = ntohl(addr.s_addr);
    if (host == 0 || host == 0xffffffffu || (host >> 28) == 0xe)
        return config_error(path, "'" + text + "' is not a unicast IPv4 address");
    out = text;
    return Ok{};
}

// ---- static_macs: -----------------------------------------------------------------------------

const PortConfig *find_port(const std::vector<PortConfig> &ports, const std::string &name) {
    for (const PortConfig &p : ports)
        if (p.name == name)
            return &p;
    return nullptr;
}

bool port_in_vlan(const PortConfig &p, uint16_t vlan) {
    if (p.trunk.empty())
        return p.vlan == vlan;
    for (uint16_t v : p.trunk)
        if (v == vlan)
            return true;
    return false;
}

// The entry's VLAN: as written, or the access VLAN of its port (a trunk has no single one).
Status read_static_vlan(const YAML::Node &n, const std::string &path, const PortConfig &port,
                        StaticMac &out) {
    const std::string vlan_path = key_path(path, "vlan");
    const YAML::Node vlan = n["vlan"];
    if (!vlan.IsDefined()) {
        if (!port.trunk.empty())
            return config_error(vlan_path, "required for trunk port '" + port.name + "'");
        out.vlan = port.vlan;
        return Ok{};
    }
    if (auto st = config_detail::read_uint(vlan, vlan_path, 0, kMaxVlan, out.vlan); !st)
        return st;
    if (!port_in_vlan(port, out.vlan))
        return config_error(vlan_path, "port '" + port.name + "' is not in VLAN " +
                                           std::to_string(out.vlan));
    return Ok{};
}

Status parse_static_mac(const YAML::Node &n, const std::string &path,
                        const std::vector<PortConfig> &ports, StaticMac &out) {
    if (auto st = config_detail::check_map(n, path, {"mac", "port", "vlan"}, false); !st)
        return st;
    if (auto st = read_unicast_mac(n["mac"], key_path(path, "mac"), out.mac); !st)
        return st;
    const std::string port_path = key_path(path, "port");
    if (!n["port"].IsDefined())
        return config_error(port_path, "missing required key");
    if (auto st = config_detail::read_string(n["port"], port_path, out.port); !st)
        return st;
    const PortConfig *port = find_port(ports, out.port);
    if (port == nullptr)
        return config_error(port_path, "unknown port '" + out.port + "'");
    return read_static_vlan(n, path, *port, out);
}

Status parse_static_macs(const YAML::Node &n, const std::vector<PortConfig> &ports,
                         std::vector<StaticMac> &macs) {
    const std::string path = "static_macs";
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    for (size_t i = 0; i < n.size(); ++i) {
        StaticMac entry;
        if (auto st = parse_static_mac(n[i], index_path(path, i), ports, entry); !st)
            return st;
        // The MAC table holds one port per (MAC, VLAN): a second entry would contradict the first.
        for (const StaticMac &seen : macs)
            if (seen.mac == entry.mac && seen.vlan == entry.vlan)
                return config_error(key_path(index_path(path, i), "mac"),
                                    "duplicate static MAC " + entry.mac + " in VLAN " +
                                        std::to_string(entry.vlan));
        macs.push_back(std::move(entry));
    }
    return Ok{};
}

// ---- arp: -------------------------------------------------------------------------------------

Status parse_arp(const YAML::Node &n, std::vector<StaticArp> &arp) {
    const std::string path = "arp";
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string entry_path = index_path(path, i);
        const YAML::Node entry = n[i];
        if (auto st = config_detail::check_map(entry, entry_path, {"ip", "mac"}, false); !st)
            return st;
        StaticArp binding;
        if (auto st = read_unicast_ipv4(entry["ip"], key_path(entry_path, "ip"), binding.ip); !st)
            return st;
        if (auto st = read_unicast_mac(entry["mac"], key_path(entry_path, "mac"), binding.mac); !st)
            return st;
        for (const StaticArp &seen : arp)
            if (seen.ip == binding.ip)
                return config_error(key_path(entry_path, "ip"),
                                    "duplicate ARP entry for " + binding.ip);
        arp.push_back(std::move(binding));
    }
    return Ok{};
}

// ---- the document -----------------------------------------------------------------------------

// A section's node; an absent section reads like an empty one (null).
YAML::Node section(const YAML::Node &root, const char *key) {
    const YAML::Node n = root[key];
    return n.IsDefined() ? n : YAML::Node();
}

Status parse_root(const YAML::Node &root, Config &cfg) {
    if (auto st = config_detail::check_map(root, "",
                                           {"eal", "switch", "ports", "static_macs", "arp"}, true);
        !st)
        return st;
    if (root.IsNull())
        return Ok{};
    // A fixed order, whatever the file's: static_macs refer to ports.
    if (auto st = parse_eal(section(root, "eal"), cfg.eal); !st)
        return st;
    if (auto st = parse_switch(section(root, "switch"), cfg.sw); !st)
        return st;
    if (auto st = parse_ports(section(root, "ports"), cfg.ports); !st)
        return st;
    if (auto st = parse_static_macs(section(root, "static_macs"), cfg.ports, cfg.static_macs); !st)
        return st;
    return parse_arp(section(root, "arp"), cfg.arp);
}

Error with_source(const std::string &source, const Error &e) {
    return fail(source + ": " + e.message, e.code);
}

// yaml-cpp's marks count from 0; editors count lines and columns from 1.
Error yaml_error(const std::string &source, const YAML::Exception &e) {
    if (e.mark.is_null())
        return fail(source + ": " + e.msg, kExitConfigError);
    return fail(source + ":" + std::to_string(e.mark.line + 1) + ":" +
                    std::to_string(e.mark.column + 1) + ": " + e.msg,
                kExitConfigError);
}

}  // namespace

Result<Config> parse_config(const std::string &yaml_text, const std::string &source) {
    try {
        Config cfg;
        cfg.source = source;
        const std::vector<YAML::Node> docs = YAML::LoadAll(yaml_text);
        if (docs.size() > 1)
            return with_source(source, config_error("", "more than one YAML document"));
        if (docs.empty())
            return cfg;
        if (auto st = parse_root(docs[0], cfg); !st)
            return with_source(source, st.error());
        return cfg;
    } catch (const YAML::Exception &e) {
        return yaml_error(source, e);
    } catch (const std::exception &e) {  // e.g. bad_alloc: still an answer, never a throw
        return fail(source + ": " + e.what(), kExitConfigError);
    }
}

Result<Config> load_config_file(const std::string &path) {
    std::FILE *f = std::fopen(path.c_str(), "rb");
    if (f == nullptr)
        return fail(path + ": cannot read: " + std::strerror(errno), kExitConfigError);
    std::string text;
    char buf[4096];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0)
        text.append(buf, n);
    // fopen succeeds on a directory; the read is what fails (EISDIR).
    const int read_errno = std::ferror(f) ? errno : 0;
    std::fclose(f);
    if (read_errno != 0)
        return fail(path + ": cannot read: " + std::strerror(read_errno), kExitConfigError);
    return parse_config(text, path);
}

Status validate_lcores(const Config &cfg) {
    const unsigned main_lcore = rte_get_main_lcore();
    for (size_t i = 0; i < cfg.ports.size(); ++i) {
        const std::optional<unsigned> &lcore = cfg.ports[i].lcore;
        if (!lcore)
            continue;
        // The main lcore runs the control plane and must never busy-poll a port.
        if (*lcore == main_lcore || !rte_lcore_is_enabled(*lcore))
            return fail(cfg.source + ": " + index_path("ports", i) + ".lcore: lcore " +
                            std::to_string(*lcore) + " is not an enabled worker lcore",
                        kExitConfigError);
    }
    return Ok{};
}

}  // namespace dsw
