// Typed, non-throwing readers of YAML nodes for the config loader (see config_fields.h).
#include "config_fields.h"

#include <sys/un.h>

#include <algorithm>
#include <charconv>
#include <string>
#include <vector>

#include "dpdk_switch/control/validate.h"

namespace dsw::config_detail {

std::string key_path(const std::string &parent, std::string_view key) {
    if (parent.empty())
        return std::string(key);
    return parent + "." + std::string(key);
}

std::string index_path(const std::string &parent, size_t index) {
    return parent + "[" + std::to_string(index) + "]";
}

Error config_error(const std::string &path, const std::string &reason) {
    // The document root has no key path of its own.
    return fail((path.empty() ? std::string("top level") : path) + ": " + reason, kExitConfigError);
}

std::string describe(const YAML::Node &n) {
    switch (n.Type()) {
    case YAML::NodeType::Null:
        return "null";
    case YAML::NodeType::Sequence:
        return "a list";
    case YAML::NodeType::Map:
        return "a map";
    case YAML::NodeType::Scalar:
        // yaml-cpp tags a quoted scalar "!" and a plain one "?"; the quotes are why "32" is refused.
        if (n.Tag() == "!")
            return "the quoted string \"" + n.Scalar() + "\"";
        return "'" + n.Scalar() + "'";
    case YAML::NodeType::Undefined:
        break;
    }
    return "nothing";
}

Status check_map(const YAML::Node &n, const std::string &path,
                 std::span<const std::string_view> allowed, bool null_ok) {
    if (null_ok && n.IsNull())
        return Ok{};
    if (!n.IsMap())
        return config_error(path, "expected a map, got " + describe(n));
    // yaml-cpp keeps both entries of a repeated key and operator[] would silently pick the first.
    std::vector<std::string> seen;
    for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar())
            return config_error(path, "a key is " + describe(it->first) + ", expected a name");
        const std::string &key = it->first.Scalar();
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
            return config_error(key_path(path, key), "unknown key");
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            return config_error(key_path(path, key), "duplicate key");
        seen.push_back(key);
    }
    return Ok{};
}

Status check_map(const YAML::Node &n, const std::string &path,
                 std::initializer_list<std::string_view> allowed, bool null_ok) {
    return check_map(n, path, std::span<const std::string_view>(allowed.begin(), allowed.size()),
                     null_ok);
}

Status check_list(const YAML::Node &n, const std::string &path) {
    if (n.IsNull() || n.IsSequence())
        return Ok{};
    return config_error(path, "expected a list, got " + describe(n));
}

Status read_string(const YAML::Node &n, const std::string &path, std::string &out, Empty empty) {
    if (!n.IsScalar())
        return config_error(path, "expected a string, got " + describe(n));
    if (empty == Empty::refuse && n.Scalar().empty())
        return config_error(path, "must not be empty");
    // YAML's "\0" escape puts a NUL in a string; every use of it (an interface name, a path)
    // would read it cut there and start on what nobody wrote.
    if (auto st = check_no_nul(n.Scalar()); !st)
        return config_error(path, st.error().message);
    if (auto st = check_utf8(n.Scalar()); !st)
        return config_error(path, st.error().message);
    out = n.Scalar();
    return Ok{};
}

Status read_bool(const YAML::Node &n, const std::string &path, bool &out) {
    bool v = false;
    if (!n.IsScalar() || n.Tag() == "!" || !YAML::convert<bool>::decode(n, v))
        return config_error(path, "expected true or false, got " + describe(n));
    out = v;
    return Ok{};
}

Status read_uint(const YAML::Node &n, const std::string &path, uint64_t min, uint64_t max,
                 uint64_t &out) {
    const std::string range = "must be in " + std::to_string(min) + ".." + std::to_string(max);
    if (!n.IsScalar() || n.Tag() == "!")
        return config_error(path, "expected an integer, got " + describe(n));
    const std::string &s = n.Scalar();
    // A leading '-' is a number out of range rather than a wrong type: say so.
    const size_t digits_at = (!s.empty() && s[0] == '-') ? 1 : 0;
    uint64_t v = 0;
    const char *first = s.data() + digits_at;
    const char *last = s.data() + s.size();
    const auto [end, ec] = std::from_chars(first, last, v);
    if (first == last || end != last || (ec != std::errc() && ec != std::errc::result_out_of_range))
        return config_error(path, "expected an integer, got " + describe(n));
    const bool negative = digits_at == 1 && v != 0;  // "-0" is zero
    if (negative || ec == std::errc::result_out_of_range || v < min || v > max)
        return config_error(path, range + ", got " + s);
    out = v;
    return Ok{};
}

Status read_string_key(const YAML::Node &map, const std::string &parent, std::string_view key,
                       std::string &out, Empty empty) {
    const YAML::Node v = map[std::string(key)];
    if (!v.IsDefined())
        return Ok{};
    return read_string(v, key_path(parent, key), out, empty);
}

Status read_bool_key(const YAML::Node &map, const std::string &parent, std::string_view key,
                     bool &out) {
    const YAML::Node v = map[std::string(key)];
    if (!v.IsDefined())
        return Ok{};
    return read_bool(v, key_path(parent, key), out);
}

Status check_socket_path(const std::string &path_value, const std::string &path) {
    constexpr size_t kMax = sizeof(sockaddr_un::sun_path) - 1;  // room for the terminating NUL
    if (path_value.size() > kMax)
        return config_error(path, "longer than " + std::to_string(kMax) +
                                      " bytes, the limit of a unix socket path");
    return Ok{};
}

}  // namespace dsw::config_detail
