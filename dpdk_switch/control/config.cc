// The YAML config loader: one small reader per section of DESIGN.md §4. Ports are read in
// config_port.cc and scalars in config_fields.cc. Everything is validated before anything is used,
// so that a bad file stops the switch at start instead of leaving it half-configured.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include <rte_lcore.h>

#include "config_fields.h"
#include "yaml_documents.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/file_kind.h"
#include "dpdk_switch/control/listen_address.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/tables/mac_key.h"

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
    std::vector<std::string_view> keys(std::begin(config_detail::kSwitchOtherKeys),
                                       std::end(config_detail::kSwitchOtherKeys));
    for (const auto &f : config_detail::kSwitchUints)
        keys.push_back(f.key);
    if (auto st = config_detail::check_map(n, path, keys, true); !st)
        return st;
    if (n.IsNull())
        return Ok{};
    if (auto st = config_detail::read_uint_fields(n, path, config_detail::kSwitchUints, sw); !st)
        return st;
    if (auto st = config_detail::read_bool_key(n, path, "arp_proxy", sw.arp_proxy); !st)
        return st;
    // An empty ctl_socket is the documented default (/run/dpdk_switch/<file_prefix>.sock).
    if (auto st = config_detail::read_string_key(n, path, "ctl_socket", sw.ctl_socket,
                                                 Empty::allow); !st)
        return st;
    if (auto st = config_detail::check_socket_path(sw.ctl_socket, key_path(path, "ctl_socket")); !st)
        return st;
    // Off when absent or empty; the address is bound before EAL starts (main.cc), its syntax here.
    if (auto st = config_detail::read_string_key(n, path, "metrics", sw.metrics, Empty::allow); !st)
        return st;
    if (!sw.metrics.empty())
        if (auto a = parse_listen_address(sw.metrics); !a)
            return config_error(key_path(path, "metrics"), a.error().message);
    // Past kMaxMbufs the pool alone would need tens of GB of EAL memory: a typo, not a size.
    if (sw.mbufs > kMaxMbufs)
        return config_error(key_path(path, "mbufs"),
                            "must be at most " + std::to_string(kMaxMbufs) + ", a pool of about " +
                                std::to_string(mbuf_pool_mb(kMaxMbufs)) +
                                " MB of EAL memory, got " + std::to_string(sw.mbufs));
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
    // Before reading them: a port list past the limit is refused at once, however long.
    if (n.size() > kMaxPorts)
        return config_error(path, std::to_string(n.size()) + " ports, the switch holds at most " +
                                      std::to_string(kMaxPorts));
    std::unordered_map<std::string, size_t> names, attached;
    for (size_t i = 0; i < n.size(); ++i) {
        PortConfig port;
        const std::string port_path = index_path(path, i);
        if (auto st = config_detail::parse_port(n[i], port_path, port); !st)
            return st;
        if (auto [it, fresh] = names.try_emplace(port.name, i); !fresh)
            return config_error(key_path(port_path, "name"),
                                "duplicate port name '" + port.name + "' (also " +
                                    index_path(path, it->second) + ")");
        const PortKind &kind = port_kind(port.type);   // what it attaches to, two ports may not share
        const Attachment a = kind.attachment ? kind.attachment(port) : Attachment{};
        if (auto [it, fresh] = attached.try_emplace(a.what, i); !fresh && !a.what.empty())
            return config_error(key_path(port_path, a.key),
                                a.what + " is port " + ports[it->second].name + " (" +
                                    index_path(path, it->second) + ") already");
        ports.push_back(std::move(port));
    }
    return Ok{};
}

// ---- MAC and IPv4 values ----------------------------------------------------------------------

// A unicast MAC (validate.h), stored lowercase so that later comparisons of the text are exact.
Status read_unicast_mac(const YAML::Node &n, const std::string &path, std::string &out) {
    if (!n.IsDefined())
        return config_error(path, "missing required key");
    std::string text;
    if (auto st = config_detail::read_string(n, path, text); !st)
        return st;
    const Result<uint64_t> mac = parse_unicast_mac(text);
    if (!mac)
        return config_error(path, mac.error().message);
    out = mac_to_string(mac.value());
    return Ok{};
}

Status read_unicast_ipv4(const YAML::Node &n, const std::string &path, std::string &out) {
    if (!n.IsDefined())
        return config_error(path, "missing required key");
    std::string text;
    if (auto st = config_detail::read_string(n, path, text); !st)
        return st;
    if (const Result<uint32_t> ip = parse_unicast_ipv4(text); !ip)
        return config_error(path, ip.error().message);
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

// The entry's VLAN: as written, or the access VLAN of its port (a trunk has no single one).
Status read_static_vlan(const YAML::Node &n, const std::string &path, const PortConfig &port,
                        StaticMac &out) {
    const std::string vlan_path = key_path(path, "vlan");
    std::optional<uint16_t> given;
    if (const YAML::Node vlan = n["vlan"]; vlan.IsDefined()) {
        uint16_t v = 0;
        if (auto st = config_detail::read_uint(vlan, vlan_path, 0, kMaxVlan, v); !st)
            return st;
        given = v;
    }
    const Result<uint16_t> vlan = static_mac_vlan(port, given);
    if (!vlan)
        return config_error(vlan_path, vlan.error().message);
    out.vlan = vlan.value();
    return Ok{};
}

// Behind a remote VTEP: its address, and the VLAN as written (0 by default, as `mac add`); the
// vxlan: section, read later, checks both (config_vxlan.cc).
Status read_static_vtep(const YAML::Node &n, const std::string &path, StaticMac &out) {
    if (auto st = read_unicast_ipv4(n["vtep"], key_path(path, "vtep"), out.vtep); !st)
        return st;
    if (const YAML::Node vlan = n["vlan"]; vlan.IsDefined())
        return config_detail::read_uint(vlan, key_path(path, "vlan"), 0, kMaxVlan, out.vlan);
    return Ok{};
}

Status parse_static_mac(const YAML::Node &n, const std::string &path,
                        const std::vector<PortConfig> &ports, StaticMac &out) {
    if (auto st = config_detail::check_map(n, path, {"mac", "port", "vtep", "vlan"}, false); !st)
        return st;
    if (auto st = read_unicast_mac(n["mac"], key_path(path, "mac"), out.mac); !st)
        return st;
    const std::string port_path = key_path(path, "port");
    if (n["vtep"].IsDefined() && n["port"].IsDefined())
        return config_error(port_path, "an entry is on a port or behind a vtep, not both");
    if (n["vtep"].IsDefined())
        return read_static_vtep(n, path, out);
    if (!n["port"].IsDefined())
        return config_error(port_path, "missing required key");
    if (auto st = config_detail::read_string(n["port"], port_path, out.port); !st)
        return st;
    const PortConfig *port = find_port(ports, out.port);
    if (port == nullptr)
        return config_error(port_path, "unknown port '" + out.port + "'");
    return read_static_vlan(n, path, *port, out);
}

// A table sized by switch.mac_table_size cannot take more entries than that: refused before the
// entries are read, so that a huge list costs no time.
Status check_capacity(const YAML::Node &n, const std::string &path, const char *table,
                      unsigned capacity) {
    if (n.IsSequence() && n.size() > capacity)
        return config_error(path, std::to_string(n.size()) + " entries, the " + table + " holds " +
                                      std::to_string(capacity) + " (switch.mac_table_size)");
    return Ok{};
}

Status parse_static_macs(const YAML::Node &n, const std::vector<PortConfig> &ports,
                         unsigned capacity, std::vector<StaticMac> &macs) {
    const std::string path = "static_macs";
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    if (auto st = check_capacity(n, path, "MAC table", capacity); !st)
        return st;
    // (MAC, VLAN) -> its entry's index: a set, so that a long list is not read in quadratic time.
    std::unordered_map<uint64_t, size_t> seen;
    for (size_t i = 0; i < n.size(); ++i) {
        StaticMac entry;
        if (auto st = parse_static_mac(n[i], index_path(path, i), ports, entry); !st)
            return st;
        // The MAC table holds one port per (MAC, VLAN): a second entry would contradict the first.
        const uint64_t key = make_mac_key(mac_from_string(entry.mac).value_or(0), entry.vlan);
        if (auto [it, fresh] = seen.try_emplace(key, i); !fresh)
            return config_error(key_path(index_path(path, i), "mac"),
                                "duplicate static MAC " + entry.mac + " in VLAN " +
                                    std::to_string(entry.vlan) + " (also " +
                                    index_path(path, it->second) + ")");
        macs.push_back(std::move(entry));
    }
    return Ok{};
}

// ---- arp: -------------------------------------------------------------------------------------

Status parse_arp(const YAML::Node &n, unsigned capacity, std::vector<StaticArp> &arp) {
    const std::string path = "arp";
    if (auto st = config_detail::check_list(n, path); !st)
        return st;
    if (auto st = check_capacity(n, path, "ARP/ND table", capacity); !st)
        return st;
    std::unordered_map<std::string, size_t> seen;   // IP -> its entry's index
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string entry_path = index_path(path, i);
        const YAML::Node entry = n[i];
        if (auto st = config_detail::check_map(entry, entry_path, {"ip", "mac", "vlan"}, false); !st)
            return st;
        StaticArp binding;
        if (auto st = read_unicast_ipv4(entry["ip"], key_path(entry_path, "ip"), binding.ip); !st)
            return st;
        if (auto st = read_unicast_mac(entry["mac"], key_path(entry_path, "mac"), binding.mac); !st)
            return st;
        if (const YAML::Node vlan = entry["vlan"]; vlan.IsDefined()) {
            uint16_t v = 0;
            if (auto st = config_detail::read_uint(vlan, key_path(entry_path, "vlan"), 0, kMaxVlan, v); !st)
                return st;
            binding.vlan = v;
        }
        // One binding per (VLAN, IP), as the table holds them; an entry without a VLAN is keyed
        // by its IP alone (its VLAN is known only once the static MACs are).
        const std::string id = binding.vlan ? std::to_string(*binding.vlan) + "/" + binding.ip : binding.ip;
        if (auto [it, fresh] = seen.try_emplace(id, i); !fresh)
            return config_error(key_path(entry_path, "ip"),
                                "duplicate ARP entry for " + binding.ip + " (also " +
                                    index_path(path, it->second) + ")");
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
                                           {"eal", "switch", "ports", "static_macs", "arp", "vxlan"}, true);
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
    if (auto st = parse_static_macs(section(root, "static_macs"), cfg.ports, cfg.sw.mac_table_size,
                                    cfg.static_macs); !st)
        return st;
    if (auto st = parse_arp(section(root, "arp"), cfg.sw.mac_table_size, cfg.arp); !st)
        return st;
    if (const YAML::Node vx = root["vxlan"]; vx.IsDefined())
        return config_detail::parse_vxlan(vx, cfg, cfg.vxlan);
    return config_detail::check_static_vteps(cfg);
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
        // Counted first: YAML::LoadAll may never return (yaml_documents.cc).
        const size_t docs = config_detail::count_yaml_documents(yaml_text, 1);
        if (docs > 1)
            return with_source(source, config_error("", "more than one YAML document"));
        if (docs == 0)
            return cfg;
        if (auto st = parse_root(YAML::Load(yaml_text), cfg); !st)
            return with_source(source, st.error());
        return cfg;
    } catch (const YAML::Exception &e) {
        return yaml_error(source, e);
    } catch (const std::exception &e) {  // e.g. bad_alloc: still an answer, never a throw
        return fail(source + ": " + e.what(), kExitConfigError);
    }
}

namespace {

Error file_error(const std::string &path, const std::string &reason) {
    return fail(path + ": " + reason, kExitConfigError);
}

std::string too_big() {
    return "larger than " + std::to_string(kMaxConfigBytes) + " bytes (1 MiB), the most a config may hold";
}

}  // namespace

Result<Config> load_config_file(const std::string &path) {
    // O_NONBLOCK: opening a FIFO nobody writes to would otherwise wait forever, before fstat could
    // say what it is. O_NOCTTY: a terminal device must not become the switch's.
    const int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return file_error(path, std::string("cannot read: ") + std::strerror(errno));
    struct stat st{};
    if (fstat(fd, &st) != 0) {
        const int err = errno;
        close(fd);
        return file_error(path, std::string("cannot read: ") + std::strerror(err));
    }
    // A device (/dev/zero), a FIFO or a socket never ends or may never answer; only a regular
    // file has a size to check before reading.
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return file_error(path, std::string("is ") + file_kind(st.st_mode) + ", not a regular file");
    }
    if (st.st_size > kMaxConfigBytes) {
        close(fd);
        return file_error(path, std::to_string(st.st_size) + " bytes: " + too_big());
    }
    // Read one byte past the limit: a file that grew since fstat is refused as well.
    std::string text(static_cast<size_t>(kMaxConfigBytes) + 1, '\0');
    size_t have = 0;
    while (have < text.size()) {
        const ssize_t n = read(fd, text.data() + have, text.size() - have);
        if (n == 0)
            break;
        if (n < 0) {
            if (errno == EINTR)
                continue;
            const int err = errno;
            close(fd);
            return file_error(path, std::string("cannot read: ") + std::strerror(err));
        }
        have += static_cast<size_t>(n);
    }
    close(fd);
    if (have > static_cast<size_t>(kMaxConfigBytes))
        return file_error(path, "grew while read: " + too_big());
    text.resize(have);
    Result<Config> cfg = parse_config(text, path);
    if (cfg)
        cfg.value().path = path;   // where `save config` writes by default
    return cfg;
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
