// The vxlan: section: the switch as a VTEP. Read after ports: and static_macs:, which it refers
// to (and whose entries behind a VTEP it checks). Everything a VTEP needs is checked here, before EAL: a bad address, a VNI or VLAN mapped
// twice, an underlay port that is not there or that the switch would also switch frames on, a
// gateway off the underlay's link, a remote VTEP that neither the link nor a gateway reaches.
#include <charconv>
#include <set>
#include <string>
#include <unordered_map>

#include "config_fields.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/tables/arp_table.h"

namespace dsw::config_detail {
namespace {

constexpr uint32_t kMaxVni = (1u << 24) - 1;

Status read_ipv4(const YAML::Node &n, const std::string &path, std::string &out, uint32_t &ip) {
    if (!n.IsDefined()) return config_error(path, "missing required key");
    if (auto st = read_string(n, path, out); !st) return st;
    const Result<uint32_t> v = parse_unicast_ipv4(out);
    if (!v) return config_error(path, v.error().message);
    ip = v.value();
    return Ok{};
}

// "A" or "A/N", as `ip addr` writes an interface's address: the address, and the link's prefix.
Status read_local_ip(const YAML::Node &n, const std::string &path, VxlanConfig &out, uint32_t &ip) {
    if (!n.IsDefined()) return config_error(path, "missing required key");
    std::string text;
    if (auto st = read_string(n, path, text); !st) return st;
    const size_t slash = text.find('/');
    out.local_ip = text.substr(0, slash);
    const Result<uint32_t> v = parse_unicast_ipv4(out.local_ip);
    if (!v) return config_error(path, v.error().message);
    ip = v.value();
    if (slash == std::string::npos) return Ok{};
    const std::string len = text.substr(slash + 1);
    unsigned n_len = 0;
    const auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n_len);
    if (len.empty() || ec != std::errc{} || end != len.data() + len.size() || n_len > 32)
        return config_error(path, "'" + text + "': the prefix length after '/' must be 0-32");
    out.prefix_len = static_cast<uint8_t>(n_len);
    // The host part all zeros or all ones names the link or its broadcast, not a host (a /31 or
    // /32 has neither).
    const uint32_t host = n_len == 0 ? ~0u : ~(~0u << (32 - n_len));
    if (n_len <= 30 && ((ip & host) == 0 || (ip & host) == host))
        return config_error(path, "'" + text + "' is not a host address of " + ipv4_prefix_text(ip, out.prefix_len.value()));
    return Ok{};
}

// The router on the underlay's link that the VTEPs off it are reached through.
Status read_gateway(const YAML::Node &n, const std::string &path, uint32_t local, VxlanConfig &out) {
    uint32_t gw = 0;
    if (auto st = read_ipv4(n, path, out.gateway, gw); !st) return st;
    if (gw == local) return config_error(path, out.gateway + " is this switch's own VTEP (vxlan.local_ip)");
    if (!out.prefix_len)
        return config_error(path, "vxlan.local_ip has no prefix, so no link for " + out.gateway +
                                      " to be on: write it as the underlay's address, e.g. " + out.local_ip + "/24");
    if (!vxlan_on_link(local, out.prefix_len, gw))
        return config_error(path, out.gateway + " is outside the underlay's link " + ipv4_prefix_text(local, *out.prefix_len) +
                                      " (vxlan.local_ip): a gateway must be on it");
    return Ok{};
}

Status read_remotes(const YAML::Node &n, const std::string &path, uint32_t local_ip, const VxlanConfig &vx,
                    VniMapping &out, std::set<uint32_t> &all) {
    if (auto st = check_list(n, path); !st) return st;
    std::set<uint32_t> seen;
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string at = index_path(path, i);
        std::string text;
        uint32_t ip = 0;
        if (auto st = read_ipv4(n[i], at, text, ip); !st) return st;
        if (ip == local_ip) return config_error(at, text + " is this switch's own VTEP (vxlan.local_ip)");
        if (auto st = check_vtep_address(ip, local_ip, vx.prefix_len); !st) return config_error(at, st.error().message);
        if (!seen.insert(ip).second) return config_error(at, "remote VTEP " + text + " listed twice");
        if (vx.gateway.empty() && !vxlan_on_link(local_ip, vx.prefix_len, ip))
            return config_error(at, text + " is outside the underlay's link " + ipv4_prefix_text(local_ip, *vx.prefix_len) +
                                        " (vxlan.local_ip) and there is no vxlan.gateway to reach it by");
        all.insert(ip);
        out.remotes.push_back(text);
    }
    return Ok{};
}

Status read_vni_map(const YAML::Node &n, const std::string &path, uint32_t local_ip, VxlanConfig &out,
                    std::set<uint32_t> &remotes) {
    if (auto st = check_list(n, path); !st) return st;
    std::unordered_map<uint32_t, size_t> vnis;
    std::unordered_map<uint16_t, size_t> vlans;
    for (size_t i = 0; i < n.size(); ++i) {
        const std::string at = index_path(path, i);
        const YAML::Node e = n[i];
        if (auto st = check_map(e, at, {"vlan", "vni", "remotes"}, false); !st) return st;
        VniMapping m;
        for (const char *key : {"vlan", "vni"})
            if (!e[key].IsDefined()) return config_error(key_path(at, key), "missing required key");
        if (auto st = read_uint_key(e, at, "vlan", 0, kMaxVlan, m.vlan); !st) return st;
        if (auto st = read_uint_key(e, at, "vni", 1, kMaxVni, m.vni); !st) return st;
        if (auto [it, fresh] = vlans.try_emplace(m.vlan, i); !fresh)
            return config_error(key_path(at, "vlan"), "VLAN " + std::to_string(m.vlan) + " is mapped already (" +
                                                          index_path(path, it->second) + ")");
        if (auto [it, fresh] = vnis.try_emplace(m.vni, i); !fresh)
            return config_error(key_path(at, "vni"), "VNI " + std::to_string(m.vni) + " is mapped already (" +
                                                         index_path(path, it->second) + ")");
        if (const YAML::Node r = e["remotes"]; r.IsDefined())
            if (auto st = read_remotes(r, key_path(at, "remotes"), local_ip, out, m, remotes); !st) return st;
        out.vni_map.push_back(std::move(m));
    }
    return Ok{};
}

// The underlay carries the tunnels' untagged IPv4 and ARP: its frames are never switched, so it
// may be no trunk and hold no static MAC.
Status check_underlay(const Config &cfg, const std::string &path, const std::string &name) {
    const PortConfig *port = nullptr;
    for (const PortConfig &p : cfg.ports)
        if (p.name == name) port = &p;
    if (port == nullptr) return config_error(path, "unknown port '" + name + "'");
    if (!port->trunk.empty())
        return config_error(path, "port '" + name + "' is a trunk: the underlay carries untagged IPv4");
    for (size_t i = 0; i < cfg.static_macs.size(); ++i)
        if (cfg.static_macs[i].port == name)
            return config_error(path, "port '" + name + "' has a static MAC (" + index_path("static_macs", i) +
                                          "): the underlay's frames are not switched");
    return Ok{};
}

// A static_macs: entry behind a VTEP: its VLAN one the VTEPs carry, its VTEP one this switch
// reaches (as `vxlan vtep add` would take it). Each such VTEP joins `all`.
Status check_static_vtep(const StaticMac &m, const std::string &path, uint32_t local_ip, const VxlanConfig &vx,
                         std::set<uint32_t> &all) {
    const uint32_t ip = ipv4_from_string(m.vtep).value_or(0);
    const std::string at = key_path(path, "vtep");
    if (ip == local_ip) return config_error(at, m.vtep + " is this switch's own VTEP (vxlan.local_ip)");
    if (vx.gateway.empty() && !vxlan_on_link(local_ip, vx.prefix_len, ip))
        return config_error(at, m.vtep + " is outside the underlay's link " + ipv4_prefix_text(local_ip, *vx.prefix_len) +
                                    " (vxlan.local_ip) and there is no vxlan.gateway to reach it by");
    bool mapped = false;
    for (const VniMapping &v : vx.vni_map) mapped = mapped || v.vlan == m.vlan;
    if (!mapped)
        return config_error(key_path(path, "vlan"),
                            "VLAN " + std::to_string(m.vlan) + " is not mapped to a VNI (vxlan.vni_map)");
    all.insert(ip);
    return Ok{};
}

}  // namespace

Status check_static_vteps(const Config &cfg) {
    for (size_t i = 0; i < cfg.static_macs.size(); ++i)
        if (!cfg.static_macs[i].vtep.empty() && !cfg.vxlan.enabled)
            return config_error(key_path(index_path("static_macs", i), "vtep"),
                                "there is no vxlan: section: the switch is no VTEP");
    return Ok{};
}

Status parse_vxlan(const YAML::Node &n, const Config &cfg, VxlanConfig &out) {
    const std::string path = "vxlan";
    if (auto st = check_map(n, path, {"local_ip", "gateway", "udp_port", "underlay", "learn_vteps", "vni_map"}, false);
        !st)
        return st;
    out.enabled = true;
    uint32_t local = 0;
    if (auto st = read_local_ip(n["local_ip"], key_path(path, "local_ip"), out, local); !st) return st;
    if (const YAML::Node g = n["gateway"]; g.IsDefined())
        if (auto st = read_gateway(g, key_path(path, "gateway"), local, out); !st) return st;
    if (auto st = read_uint_key(n, path, "udp_port", 1, 65535, out.udp_port); !st) return st;
    const std::string underlay_path = key_path(path, "underlay");
    if (!n["underlay"].IsDefined()) return config_error(underlay_path, "missing required key");
    if (auto st = read_string(n["underlay"], underlay_path, out.underlay); !st) return st;
    if (auto st = check_underlay(cfg, underlay_path, out.underlay); !st) return st;
    if (auto st = read_bool_key(n, path, "learn_vteps", out.learn_vteps); !st) return st;
    std::set<uint32_t> remotes;
    if (const YAML::Node m = n["vni_map"]; m.IsDefined())
        if (auto st = read_vni_map(m, key_path(path, "vni_map"), local, out, remotes); !st) return st;
    for (size_t i = 0; i < cfg.static_macs.size(); ++i)
        if (!cfg.static_macs[i].vtep.empty())
            if (auto st = check_static_vtep(cfg.static_macs[i], index_path("static_macs", i), local, out, remotes); !st)
                return st;
    // A remote VTEP takes a switch port index (its MACs are learned behind it).
    if (cfg.ports.size() + remotes.size() > kMaxPorts)
        return config_error(key_path(path, "vni_map"),
                            std::to_string(cfg.ports.size()) + " ports and " + std::to_string(remotes.size()) +
                                " remote VTEPs: the switch holds at most " + std::to_string(kMaxPorts) +
                                " of both together");
    return Ok{};
}

}  // namespace dsw::config_detail
