// Private to the config loader (config.cc, config_port.cc): typed readers of YAML nodes.
// yaml-cpp converts loosely and reports failures by throwing; these readers check the node kind
// themselves and never throw, so that every refusal can name its key path. Each error message is
// "<key path>: <reason>"; the public entry points put the source ("cfg.yaml" or "port c3") in front.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "dpdk_switch/control/config.h"

namespace dsw::config_detail {

inline constexpr uint16_t kMaxVlan = 4094;  // 4095 is reserved by 802.1Q; 0 means untagged

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

// A path that a unix socket can bind to or connect to (sun_path is 108 bytes).
Status check_socket_path(const std::string &path_value, const std::string &path);

// One port: a map with the keys of DESIGN.md §4. `path` is "ports[i]" for a config file and ""
// for `port add` words, so that messages read "ports[1].iface: ..." or "iface: ...".
Status parse_port(const YAML::Node &n, const std::string &path, PortConfig &out);

// The vxlan: section (config_vxlan.cc); `ports` and `static_macs` are read already.
Status parse_vxlan(const YAML::Node &n, const Config &cfg, VxlanConfig &out);

}  // namespace dsw::config_detail
