// One port's configuration: the per-port keys of DESIGN.md §4, shared by the config file's
// `ports:` list and the CLI's `port add <name> <type> key=value...`, so both refuse the same things.
#include <net/if.h>

#include <algorithm>
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <rte_config.h>

#include "config_fields.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/memif_wire.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/run_dir.h"

namespace dsw {
namespace {

using config_detail::config_error;
using config_detail::key_path;
using config_detail::kMaxVlan;

// Keys every kind of port takes.
constexpr std::array<std::string_view, 8> kCommonPortKeys{"name", "type", "queues", "lcore",
                                                          "vlan", "trunk", "mac_limit", "storm"};

// Every key of a port of some kind: a key none takes is unknown, one of another kind misplaced.
std::vector<std::string_view> port_keys() {
    std::vector<std::string_view> keys;
    for (const PortKind *k : port_kinds())
        for (std::string_view key : config_detail::kind_keys(*k))
            if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    return keys;
}

bool valid_port_name(const std::string &name) {
    if (name.empty() || name.size() > 16)
        return false;
    for (char c : name) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '_';
        if (!ok)
            return false;
    }
    return true;
}

// The kernel's own rule (dev_valid_name): shorter than IFNAMSIZ, no '/', ':' or space, not . or ..
bool valid_iface_name(const std::string &name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name == "." || name == "..")
        return false;
    for (char c : name)
        if (c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r'))
            return false;
    return true;
}

// "an af_packet port", "a vhost port".
std::string a_port(const PortKind &kind) {
    const bool vowel = kind.name.front() == 'a';
    return std::string(vowel ? "an " : "a ") + std::string(kind.name) + " port";
}

std::string kind_names() {
    std::string all;
    for (const PortKind *k : port_kinds())
        all += (all.empty() ? "" : ", ") + std::string(k->name);
    return all;
}

Status read_name_and_type(const YAML::Node &n, const std::string &path, PortConfig &out) {
    const YAML::Node name = n["name"];
    if (!name.IsDefined())
        return config_error(key_path(path, "name"), "missing required key");
    if (auto st = config_detail::read_string(name, key_path(path, "name"), out.name); !st)
        return st;
    if (!valid_port_name(out.name))
        return config_error(key_path(path, "name"),
                            "invalid port name '" + out.name + "' (1 to 16 of A-Z a-z 0-9 _)");
    const YAML::Node type = n["type"];
    if (!type.IsDefined())
        return config_error(key_path(path, "type"), "missing required key");
    std::string type_name;
    if (auto st = config_detail::read_string(type, key_path(path, "type"), type_name); !st)
        return st;
    const std::optional<PortType> t = port_type_from_name(type_name);
    if (!t)
        return config_error(key_path(path, "type"),
                            "unknown port type '" + type_name + "' (one of " + kind_names() + ")");
    out.type = *t;
    return Ok{};
}

// Refuses keys of another kind (a `path` on an af_packet port is a mistake, not an extra).
Status check_kind_keys(const YAML::Node &n, const std::string &path, const PortKind &kind) {
    for (auto it = n.begin(); it != n.end(); ++it) {
        const std::string &key = it->first.Scalar();
        if (!config_detail::kind_takes(kind, key))
            return config_error(key_path(path, key),
                                "not a key of " + a_port(kind));
    }
    if (!kind.required.empty() && !n[std::string(kind.required)].IsDefined())
        return config_error(key_path(path, kind.required),
                            "required for " + a_port(kind));
    return Ok{};
}

Status check_iface(const PortConfig &p, const std::string &path) {
    if (!valid_iface_name(p.iface))
        return config_error(path, "invalid interface name '" + p.iface + "'");
    // af_packet and af_xdp attach to an existing interface; tap creates its own.
    const bool must_exist = port_kind(p.type).iface_outlives_port;
    if (must_exist && if_nametoindex(p.iface.c_str()) == 0)
        return config_error(path, "interface '" + p.iface + "' does not exist");
    return Ok{};
}

// iface, path, socket or devargs: what the port attaches to.
Status read_attachment(const YAML::Node &n, const std::string &path, PortConfig &out) {
    const std::string key(port_kind(out.type).required);
    if (key.empty())
        return Ok{};
    const std::string kp = key_path(path, key);
    std::string PortConfig::*member = config_detail::attachment_member(key);
    if (member == nullptr)
        return config_error(kp, "internal error: no member for this key");
    std::string &value = out.*member;
    if (auto st = config_detail::read_string(n[key], kp, value); !st)
        return st;
    if (key == "iface")
        return check_iface(out, kp);
    if (key == "devargs")
        return Ok{};
    // A memif socket or a vhost-user path by a relative name is in the run directory, whatever
    // directory the switch was started from (VPP's runtime dir and OVS's rundir do the same);
    // from here on, and in `show port info` and `save config`, it is the resolved path.
    if (!value.empty() && value.front() != '/')
        value = std::string(kRunDir) + "/" + value;
    return config_detail::check_socket_path(value, kp);   // path, socket
}

// memif's secret: what fits INIT's field, as text a user can type (VPP's CLI, net_memif's
// devargs). The errors never quote it.
Status check_secret(const std::string &secret, const std::string &path) {
    if (secret.size() > memif::kSecretSz)
        return config_error(path, "longer than " + std::to_string(memif::kSecretSz) +
                                      " bytes, the most a memif INIT carries");
    for (char c : secret)
        if (c < 0x20 || c > 0x7e)
            return config_error(path, "only printable ASCII characters (0x20 to 0x7e)");
    return Ok{};
}

Status read_options(const YAML::Node &n, const std::string &path, PortConfig &out) {
    if (auto st = config_detail::read_bool_key(n, path, "client", out.client); !st)
        return st;
    if (auto st = config_detail::read_bool_key(n, path, "offloads", out.offloads); !st)
        return st;
    if (auto st = config_detail::read_uint_fields(n, path, config_detail::kPortUints, out); !st)
        return st;
    if (auto st = config_detail::read_string_key(n, path, "role", out.role); !st)
        return st;
    if (out.role != "server" && out.role != "client")
        return config_error(key_path(path, "role"),
                            "must be server or client, got '" + out.role + "'");
    if (auto st = config_detail::read_string_key(n, path, "secret", out.secret); !st)
        return st;
    if (auto st = check_secret(out.secret, key_path(path, "secret")); !st)
        return st;
    if (const YAML::Node lcore = n["lcore"]; lcore.IsDefined()) {
        unsigned id = 0;
        if (auto st = config_detail::read_uint(lcore, key_path(path, "lcore"), 0,
                                               RTE_MAX_LCORE - 1, id); !st)
            return st;
        out.lcore = id;
    }
    return Ok{};
}

Status read_trunk(const YAML::Node &trunk, const std::string &path, PortConfig &out) {
    if (!trunk.IsSequence())
        return config_error(path, "expected a list of VLANs, got " + config_detail::describe(trunk));
    if (trunk.size() == 0)
        return config_error(path, "empty; leave trunk out for an access port");
    for (size_t i = 0; i < trunk.size(); ++i) {
        const std::string entry_path = config_detail::index_path(path, i);
        uint16_t vlan = 0;
        if (auto st = config_detail::read_uint(trunk[i], entry_path, 1, kMaxVlan, vlan); !st)
            return st;
        for (uint16_t seen : out.trunk)
            if (seen == vlan)
                return config_error(entry_path, "duplicate VLAN " + std::to_string(vlan));
        out.trunk.push_back(vlan);
    }
    return Ok{};
}

// mac_limit: N, storm: {broadcast: pps, multicast: pps, unknown_unicast: pps}.
Status read_protections(const YAML::Node &n, const std::string &path, PortConfig &out) {
    // mac_limit is read with the port's other numbers (kPortUints).
    const YAML::Node storm = n["storm"];
    if (!storm.IsDefined())
        return Ok{};
    const std::string sp = key_path(path, "storm");
    std::vector<std::string_view> kinds;
    for (const auto &f : config_detail::kStormUints)
        kinds.push_back(f.key);
    if (auto st = config_detail::check_map(storm, sp, kinds, false); !st)
        return st;
    return config_detail::read_uint_fields(storm, sp, config_detail::kStormUints, out);
}

Status read_vlans(const YAML::Node &n, const std::string &path, PortConfig &out) {
    if (auto st = config_detail::read_uint_key(n, path, "vlan", 1, kMaxVlan, out.vlan); !st)
        return st;
    const YAML::Node trunk = n["trunk"];
    if (!trunk.IsDefined())
        return Ok{};
    // A port is an access port of one VLAN or a trunk of several: both would be ambiguous.
    if (n["vlan"].IsDefined())
        return config_error(key_path(path, "trunk"), "cannot be combined with vlan");
    return read_trunk(trunk, key_path(path, "trunk"), out);
}

// A `port add` value: "trunk=10,20" is the one list-valued key.
YAML::Node word_value(const std::string &key, const std::string &value) {
    if (key != "trunk")
        return YAML::Node(value);
    YAML::Node list(YAML::NodeType::Sequence);
    size_t start = 0;
    while (!value.empty()) {
        const size_t comma = value.find(',', start);
        list.push_back(value.substr(start, comma - start));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return list;
}

Error with_prefix(const std::string &prefix, const Error &e) {
    return fail(prefix + ": " + e.message, e.code);
}

}  // namespace

namespace config_detail {

std::vector<std::string_view> kind_keys(const PortKind &kind) {
    std::vector<std::string_view> keys(kCommonPortKeys.begin(), kCommonPortKeys.end());
    if (!kind.required.empty())
        keys.push_back(kind.required);
    for (std::string_view k : kind.options)
        if (!k.empty())
            keys.push_back(k);
    return keys;
}

bool kind_takes(const PortKind &kind, std::string_view key) {
    const std::vector<std::string_view> keys = kind_keys(kind);
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

std::string PortConfig::*attachment_member(std::string_view key) {
    if (key == "iface") return &PortConfig::iface;
    if (key == "path") return &PortConfig::path;
    if (key == "socket") return &PortConfig::socket;
    if (key == "devargs") return &PortConfig::devargs;
    return nullptr;
}

Status parse_port(const YAML::Node &n, const std::string &path, PortConfig &out) {
    out = PortConfig{};
    if (auto st = check_map(n, path, port_keys(), false); !st)
        return st;
    if (auto st = read_name_and_type(n, path, out); !st)
        return st;
    if (auto st = check_kind_keys(n, path, port_kind(out.type)); !st)
        return st;
    if (auto st = read_attachment(n, path, out); !st)
        return st;
    if (auto st = read_options(n, path, out); !st)
        return st;
    if (auto st = read_protections(n, path, out); !st)
        return st;
    return read_vlans(n, path, out);
}

}  // namespace config_detail

std::vector<std::string> port_add_keys(PortType t) {
    std::vector<std::string> keys;
    const PortKind *kind = find_port_kind(t);
    if (kind == nullptr)
        return keys;
    // name and type are port add's own words; storm is a map, which no key=value spells.
    for (std::string_view k : config_detail::kind_keys(*kind))
        if (k != "name" && k != "type" && k != "storm")
            keys.emplace_back(k);
    std::sort(keys.begin(), keys.end());
    return keys;
}

Result<PortConfig> port_from_words(const std::string &name, const std::string &type,
                                   const std::vector<std::string> &key_values) {
    const std::string prefix = "port " + name;
    try {
        // The words become the YAML map a config file would hold, so that one code path checks both.
        YAML::Node map(YAML::NodeType::Map);
        map["name"] = name;
        map["type"] = type;
        for (const std::string &word : key_values) {
            const size_t eq = word.find('=');
            if (eq == std::string::npos || eq == 0)
                return with_prefix(prefix, config_error(word, "expected key=value"));
            const std::string key = word.substr(0, eq);
            const YAML::Node &lookup = map;  // the const operator[] does not insert
            if (lookup[key].IsDefined())
                return with_prefix(prefix, config_error(key, "given more than once"));
            map[key] = word_value(key, word.substr(eq + 1));
        }
        PortConfig port;
        if (auto st = config_detail::parse_port(map, "", port); !st)
            return with_prefix(prefix, st.error());
        return port;
    } catch (const std::exception &e) {  // yaml-cpp or allocation: report, never throw
        return fail(prefix + ": " + e.what(), kExitConfigError);
    }
}

}  // namespace dsw
