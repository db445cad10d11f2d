// Private to the config loader (config.cc, config_port.cc) and writer (config_writer.cc): typed
// readers of YAML nodes, and the tables of keys both go by.
// yaml-cpp converts loosely and reports failures by throwing; these readers check the node kind
// themselves and never throw, so that every refusal can name its key path. Each error message is
// "<key path>: <reason>"; the public entry points put the source ("cfg.yaml" or "port c3") in front.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw::config_detail {

inline constexpr uint16_t kMaxVlan = 4094;  // 4095 is reserved by 802.1Q; 0 means untagged
inline constexpr unsigned kMaxQueues = 16;
inline constexpr unsigned kMaxPps = 100000000;   // storm limits
inline constexpr unsigned kMaxMacLimit = 16777216;

// An unsigned key of a section: its name, its member and its range. The loader reads these keys
// and `save config` writes them from the same rows, so that the two cannot name or bound a key
// differently; a key added here is read and written both.
template <class Section>
struct UintField {
    std::string_view key;
    unsigned Section::*member;
    uint64_t min, max;
};

// switch: (mbufs has further checks of its own in the loader).
inline constexpr UintField<SwitchConfig> kSwitchUints[] = {
    {"burst", &SwitchConfig::burst, 1, kMaxBurst},
    {"mac_table_size", &SwitchConfig::mac_table_size, 1024, 16777216},
    {"mac_aging_s", &SwitchConfig::mac_aging_s, 0, 1000000},   // 0 turns aging off
    {"mbufs", &SwitchConfig::mbufs, 0, UINT32_MAX},
    {"idle_sleep_us", &SwitchConfig::idle_sleep_us, 0, 100000},
    {"tx_flush_us", &SwitchConfig::tx_flush_us, 0, kMaxTxFlushUs},
};
// switch: keys that are not unsigned.
inline constexpr std::string_view kSwitchOtherKeys[] = {"arp_proxy", "ctl_socket", "metrics"};

// ports[i]: (a port's other keys: name, type, its kind's attachment, client, role, lcore, vlan,
// trunk, storm).
inline constexpr UintField<PortConfig> kPortUints[] = {
    {"queues", &PortConfig::queues, 1, kMaxQueues},
    {"mtu", &PortConfig::mtu, kMinMtu, kMaxMtu},
    {"id", &PortConfig::id, 0, UINT32_MAX},
    {"mac_limit", &PortConfig::mac_limit, 0, kMaxMacLimit},
};
// ports[i].storm: frames per second per kind; 0: no limit.
inline constexpr UintField<PortConfig> kStormUints[] = {
    {"broadcast", &PortConfig::storm_broadcast_pps, 0, kMaxPps},
    {"multicast", &PortConfig::storm_multicast_pps, 0, kMaxPps},
    {"unknown_unicast", &PortConfig::storm_unknown_unicast_pps, 0, kMaxPps},
};

// The PortConfig member a kind's attachment key names (iface, path, socket, devargs); null for
// another key.
std::string PortConfig::*attachment_member(std::string_view key);

// The keys a port of `kind` takes: those of every port, then the kind's own. The loader refuses
// any other, and `port add`'s Tab completion offers these (port_add_keys).
std::vector<std::string_view> kind_keys(const PortKind &kind);
// Whether `key` is one of kind_keys(kind).
bool kind_takes(const PortKind &kind, std::string_view key);

std::string key_path(const std::string &parent, std::string_view key);  // "ports[1]" "iface"
std::string index_path(const std::string &parent, size_t index);        // "ports" 1 -> "ports[1]"
Error config_error(const std::string &path, const std::string &reason);

// "null", "a list", "a map", "'abc'" or "the quoted string \"32\"": what a node holds, for messages.
std::string describe(const YAML::Node &n);

// A map whose keys are distinct plain names, each one of `allowed`. A null node (a section
// written with nothing after the colon) passes when null_ok, and then reads as all-defaults.
Status check_map(const YAML::Node &n, const std::string &path,
                 std::span<const std::string_view> allowed, bool null_ok);
Status check_map(const YAML::Node &n, const std::string &path,
                 std::initializer_list<std::string_view> allowed, bool null_ok);
// A list, or null (read as empty).
Status check_list(const YAML::Node &n, const std::string &path);

enum class Empty { refuse, allow };

// Readers of one scalar. An integer or bool must be a plain scalar: a quoted "32" is a string.
Status read_string(const YAML::Node &n, const std::string &path, std::string &out,
                   Empty empty = Empty::refuse);
Status read_bool(const YAML::Node &n, const std::string &path, bool &out);
Status read_uint(const YAML::Node &n, const std::string &path, uint64_t min, uint64_t max,
                 uint64_t &out);

template <typename T>
Status read_uint(const YAML::Node &n, const std::string &path, uint64_t min, uint64_t max, T &out) {
    uint64_t v = 0;
    if (auto st = read_uint(n, path, min, max, v); !st)
        return st;
    out = static_cast<T>(v);  // max is within T's range at every call site
    return Ok{};
}

// The same for `key` of map `map`; an absent key leaves `out` at its default.
Status read_string_key(const YAML::Node &map, const std::string &parent, std::string_view key,
                       std::string &out, Empty empty = Empty::refuse);
Status read_bool_key(const YAML::Node &map, const std::string &parent, std::string_view key,
                     bool &out);

template <typename T>
Status read_uint_key(const YAML::Node &map, const std::string &parent, std::string_view key,
                     uint64_t min, uint64_t max, T &out) {
    const YAML::Node v = map[std::string(key)];
    if (!v.IsDefined())
        return Ok{};
    return read_uint(v, key_path(parent, key), min, max, out);
}

// Reads every key of `fields` that `map` has into `out`.
template <class Section, size_t N>
Status read_uint_fields(const YAML::Node &map, const std::string &parent,
                        const UintField<Section> (&fields)[N], Section &out) {
    for (const UintField<Section> &f : fields)
        if (auto st = read_uint_key(map, parent, f.key, f.min, f.max, out.*f.member); !st)
            return st;
    return Ok{};
}

// A path that a unix socket can bind to or connect to (sun_path is 108 bytes).
Status check_socket_path(const std::string &path_value, const std::string &path);

// One port: a map with the keys of DESIGN.md §4. `path` is "ports[i]" for a config file and ""
// for `port add` words, so that messages read "ports[1].iface: ..." or "iface: ...".
Status parse_port(const YAML::Node &n, const std::string &path, PortConfig &out);

// The vxlan: section (config_vxlan.cc); `ports` and `static_macs` are read already.
Status parse_vxlan(const YAML::Node &n, const Config &cfg, VxlanConfig &out);
// Without a vxlan: section, a static_macs: entry behind a VTEP has none to be behind.
Status check_static_vteps(const Config &cfg);

}  // namespace dsw::config_detail
