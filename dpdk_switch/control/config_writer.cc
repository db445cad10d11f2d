// Config -> YAML with yaml-cpp's emitter. Strings are written double-quoted, so that a port
// named "null" or an interface named "123" reads back as the string it is; numbers and booleans
// are plain, as the loader requires them.
#include "dpdk_switch/control/config_writer.h"

#include <yaml-cpp/yaml.h>

#include "config_fields.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {
namespace {

using config_detail::UintField;

void quoted(YAML::Emitter &out, std::string_view key, const std::string &value) {
    out << YAML::Key << std::string(key) << YAML::Value << YAML::DoubleQuoted << value;
}

template <class Section, size_t N>
void uints(YAML::Emitter &out, const UintField<Section> (&fields)[N], const Section &s, bool all) {
    const Section defaults{};
    for (const UintField<Section> &f : fields)
        if (all || s.*f.member != defaults.*f.member)
            out << YAML::Key << std::string(f.key) << YAML::Value << s.*f.member;
}

void emit_eal(YAML::Emitter &out, const EalConfig &eal) {
    out << YAML::Key << "eal" << YAML::Value << YAML::BeginMap;
    quoted(out, "lcores", eal.lcores);
    out << YAML::Key << "no_huge" << YAML::Value << eal.no_huge;
    out << YAML::Key << "memory_mb" << YAML::Value << eal.memory_mb;
    quoted(out, "file_prefix", eal.file_prefix);
    if (!eal.extra.empty()) {
        out << YAML::Key << "extra" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const std::string &a : eal.extra)
            out << YAML::DoubleQuoted << a;
        out << YAML::EndSeq;
    }
    out << YAML::EndMap;
}

void emit_switch(YAML::Emitter &out, const SwitchConfig &sw) {
    out << YAML::Key << "switch" << YAML::Value << YAML::BeginMap;
    uints(out, config_detail::kSwitchUints, sw, true);
    out << YAML::Key << "arp_proxy" << YAML::Value << sw.arp_proxy;
    if (!sw.ctl_socket.empty())
        quoted(out, "ctl_socket", sw.ctl_socket);
    if (!sw.metrics.empty())
        quoted(out, "metrics", sw.metrics);
    out << YAML::EndMap;
}

// One port as a flow map, the way config/example.yaml writes them.
void emit_port(YAML::Emitter &out, const PortConfig &p) {
    const PortKind &kind = port_kind(p.type);
    const PortConfig defaults{};
    out << YAML::Flow << YAML::BeginMap;
    quoted(out, "name", p.name);
    quoted(out, "type", port_type_name(p.type));
    if (std::string PortConfig::*m = config_detail::attachment_member(kind.required))
        quoted(out, kind.required, p.*m);
    if (config_detail::kind_takes(kind, "client") && p.client != defaults.client)
        out << YAML::Key << "client" << YAML::Value << p.client;
    if (config_detail::kind_takes(kind, "offloads") && p.offloads != defaults.offloads)
        out << YAML::Key << "offloads" << YAML::Value << p.offloads;
    if (config_detail::kind_takes(kind, "role") && p.role != defaults.role)
        quoted(out, "role", p.role);
    // The user's own config: a saved file gets its secret back, as every other key.
    if (config_detail::kind_takes(kind, "secret") && !p.secret.empty())
        quoted(out, "secret", p.secret);
    for (const UintField<PortConfig> &f : config_detail::kPortUints)
        if (config_detail::kind_takes(kind, f.key) && p.*f.member != defaults.*f.member)
            out << YAML::Key << std::string(f.key) << YAML::Value << p.*f.member;
    if (p.lcore)
        out << YAML::Key << "lcore" << YAML::Value << *p.lcore;
    if (p.vlan != 0)
        out << YAML::Key << "vlan" << YAML::Value << p.vlan;
    if (!p.trunk.empty()) {
        out << YAML::Key << "trunk" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (uint16_t v : p.trunk)
            out << v;
        out << YAML::EndSeq;
    }
    bool storm = false;
    for (const UintField<PortConfig> &f : config_detail::kStormUints)
        storm = storm || p.*f.member != 0;
    if (storm) {
        out << YAML::Key << "storm" << YAML::Value << YAML::Flow << YAML::BeginMap;
        uints(out, config_detail::kStormUints, p, false);
        out << YAML::EndMap;
    }
    out << YAML::EndMap;
}

// The VTEP's section; local_ip with its link's prefix, as it was given.
void emit_vxlan(YAML::Emitter &out, const VxlanConfig &vx) {
    const VxlanConfig defaults{};
    out << YAML::Key << "vxlan" << YAML::Value << YAML::BeginMap;
    quoted(out, "local_ip", vx.prefix_len ? vx.local_ip + "/" + std::to_string(*vx.prefix_len) : vx.local_ip);
    if (!vx.gateway.empty())
        quoted(out, "gateway", vx.gateway);
    quoted(out, "underlay", vx.underlay);
    if (vx.udp_port != defaults.udp_port)
        out << YAML::Key << "udp_port" << YAML::Value << vx.udp_port;
    if (vx.learn_vteps != defaults.learn_vteps)
        out << YAML::Key << "learn_vteps" << YAML::Value << vx.learn_vteps;
    out << YAML::Key << "vni_map" << YAML::Value << YAML::BeginSeq;
    for (const VniMapping &m : vx.vni_map) {
        out << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "vlan" << YAML::Value << m.vlan;
        out << YAML::Key << "vni" << YAML::Value << m.vni;
        if (!m.remotes.empty()) {
            out << YAML::Key << "remotes" << YAML::Value << YAML::Flow << YAML::BeginSeq;
            for (const std::string &r : m.remotes)
                out << YAML::DoubleQuoted << r;
            out << YAML::EndSeq;
        }
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::EndMap;
}

}  // namespace

std::string config_to_yaml(const Config &cfg, const std::string &header) {
    YAML::Emitter out;
    if (!header.empty())
        out << YAML::Comment(header) << YAML::Newline;
    out << YAML::BeginMap;
    emit_eal(out, cfg.eal);
    emit_switch(out, cfg.sw);
    out << YAML::Key << "ports" << YAML::Value << YAML::BeginSeq;
    for (const PortConfig &p : cfg.ports)
        emit_port(out, p);
    out << YAML::EndSeq;
    out << YAML::Key << "static_macs" << YAML::Value << YAML::BeginSeq;
    for (const StaticMac &m : cfg.static_macs) {
        out << YAML::Flow << YAML::BeginMap;
        quoted(out, "mac", m.mac);
        if (m.vtep.empty())
            quoted(out, "port", m.port);
        else
            quoted(out, "vtep", m.vtep);
        out << YAML::Key << "vlan" << YAML::Value << m.vlan << YAML::EndMap;
    }
    out << YAML::EndSeq;
    out << YAML::Key << "arp" << YAML::Value << YAML::BeginSeq;
    for (const StaticArp &a : cfg.arp) {
        out << YAML::Flow << YAML::BeginMap;
        quoted(out, "ip", a.ip);
        quoted(out, "mac", a.mac);
        if (a.vlan)
            out << YAML::Key << "vlan" << YAML::Value << *a.vlan;
        out << YAML::EndMap;
    }
    out << YAML::EndSeq;
    if (cfg.vxlan.enabled)
        emit_vxlan(out, cfg.vxlan);
    out << YAML::EndMap;
    return std::string(out.c_str()) + "\n";
}

}  // namespace dsw
