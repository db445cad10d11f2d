#include "dpdk_switch/cni/net_conf.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/env.h"
#include "dpdk_switch/limits.h"

namespace dsw::cni {

namespace {

using nlohmann::json;

constexpr unsigned kMaxVlan = 4094;
constexpr unsigned kMaxMacLimit = 16777216;   // the switch's own bound on mac_limit

// What the spec puts in a plugin's configuration (section 1 and 3: the runtime inserts
// runtimeConfig and prevResult; `capabilities` should have been removed, but a runtime that
// leaves it in is no reason to fail), and the switch's own keys.
constexpr std::array<std::string_view, 9> kSpecKeys{"cniVersion", "name", "type", "ipam", "dns",
                                                     "args", "runtimeConfig", "prevResult", "capabilities"};
constexpr std::array<std::string_view, 6> kOwnKeys{"socket", "port", "socket_dir", "vlan", "mac_limit", "mtu"};

bool known_key(const std::string &k) {
    return std::find(kSpecKeys.begin(), kSpecKeys.end(), k) != kSpecKeys.end() ||
           std::find(kOwnKeys.begin(), kOwnKeys.end(), k) != kOwnKeys.end();
}

Error bad(const std::string &key, const std::string &why) { return fail(key + ": " + why, kInvalidConfig); }

Result<std::string> string_key(const json &j, const char *key, bool required) {
    if (!j.contains(key)) {
        if (required) return bad(key, "missing required key");
        return std::string();
    }
    if (!j[key].is_string()) return bad(key, "must be a string, not " + j[key].dump());
    return j[key].get<std::string>();
}

Result<unsigned> uint_key(const json &j, const char *key, unsigned lo, unsigned hi) {
    const json &v = j[key];
    if (!v.is_number_integer() || v.get<long long>() < lo || v.get<long long>() > hi)
        return bad(key, "must be an integer from " + std::to_string(lo) + " to " + std::to_string(hi) + ", not " + v.dump());
    return static_cast<unsigned>(v.get<long long>());
}

// A unicast MAC "aa:bb:cc:dd:ee:ff" (either case), returned in lower case.
Result<std::string> unicast_mac(const std::string &s, const std::string &what) {
    bool ok = s.size() == 17;
    for (size_t i = 0; ok && i < s.size(); ++i)
        ok = (i % 3 == 2) ? s[i] == ':' : std::isxdigit(static_cast<unsigned char>(s[i])) != 0;
    if (!ok) return bad(what, "'" + s + "' is not a MAC address (aa:bb:cc:dd:ee:ff)");
    std::string m = s;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
    if (std::stoi(m.substr(0, 2), nullptr, 16) & 1) return bad(what, "'" + s + "' is a group address, not a unicast one");
    return m;
}

}  // namespace

unsigned container_mtu(const NetConf &c) { return c.mtu.value_or(kDefaultMtu); }

Result<NetConf> parse_net_conf(const std::string &raw, const std::string &cni_args) {
    const json j = json::parse(raw, nullptr, false);
    if (j.is_discarded()) return fail("the network configuration on stdin is not JSON", kDecodeFailure);
    if (!j.is_object()) return fail("the network configuration on stdin is not a JSON object", kDecodeFailure);
    for (const auto &[k, v] : j.items())
        if (!known_key(k)) return fail("unsupported field " + k + "=" + v.dump(), kUnsupportedField);

    NetConf c;
    auto version = string_key(j, "cniVersion", true);
    if (!version) return version.error();
    c.cni_version = *version;
    if (c.cni_version != kCniVersion)
        return fail("cniVersion " + c.cni_version + " is not supported (this plugin speaks " + kCniVersion + ")",
                    kIncompatibleVersion);
    auto name = string_key(j, "name", true);
    if (!name) return name.error();
    c.name = *name;
    if (auto t = string_key(j, "type", true); !t) return t.error();

    if (auto s = string_key(j, "socket", false); !s) {
        return s.error();
    } else if (!s->empty()) {
        if (s->front() != '/') return bad("socket", "'" + *s + "' is not an absolute path");
        c.socket = *s;
    }
    if (auto p = string_key(j, "port", false); !p) {
        return p.error();
    } else if (*p == "vhost") {
        c.port = PortMode::vhost;
    } else if (*p == "memif") {
        c.port = PortMode::memif;
    } else if (!p->empty() && *p != "veth") {
        return bad("port", "'" + *p + "' is not one of veth, vhost, memif");
    }
    if (auto d = string_key(j, "socket_dir", false); !d) {
        return d.error();
    } else if (!d->empty()) {
        if (d->front() != '/') return bad("socket_dir", "'" + *d + "' is not an absolute path");
        c.socket_dir = *d;
    }
    if (j.contains("vlan")) {
        auto v = uint_key(j, "vlan", 1, kMaxVlan);
        if (!v) return v.error();
        c.vlan = *v;
    }
    if (j.contains("mac_limit")) {
        auto v = uint_key(j, "mac_limit", 0, kMaxMacLimit);
        if (!v) return v.error();
        c.mac_limit = *v;
    }
    if (j.contains("mtu")) {
        auto v = uint_key(j, "mtu", kMinMtu, kMaxMtu);
        if (!v) return v.error();
        c.mtu = *v;
    }

    if (j.contains("ipam")) {
        const json &ipam = j["ipam"];
        if (!ipam.is_object()) return bad("ipam", "must be an object");
        auto t = string_key(ipam, "type", true);
        if (!t) return bad("ipam.type", "missing, or not a string");
        if (t->empty() || t->find('/') != std::string::npos || *t == "." || *t == "..")
            return bad("ipam.type", "'" + *t + "' is not a plugin name");
        c.ipam_type = *t;
    }
    if (j.contains("runtimeConfig")) {
        const json &rc = j["runtimeConfig"];
        if (!rc.is_object()) return bad("runtimeConfig", "must be an object");
        // The "mac" capability; other capabilities are not this plugin's and are ignored.
        if (rc.contains("mac")) {
            if (!rc["mac"].is_string()) return bad("runtimeConfig.mac", "must be a string");
            auto m = unicast_mac(rc["mac"].get<std::string>(), "runtimeConfig.mac");
            if (!m) return m.error();
            c.mac = *m;
        }
    }
    if (const std::string m = cni_arg(cni_args, "MAC"); !m.empty()) {
        auto mac = unicast_mac(m, "CNI_ARGS MAC");
        if (!mac) return fail(mac.error().message, kInvalidEnvironment);
        c.mac = *mac;
    }
    if (j.contains("prevResult")) {
        if (!j["prevResult"].is_object()) return bad("prevResult", "must be an object");
        c.prev_result = j["prevResult"];
    }
    return c;
}

}  // namespace dsw::cni
