// The switch's configuration: what the YAML file (DESIGN.md §4) says, after strict validation.
// Loaded on the main lcore before EAL starts; read-only afterwards.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dpdk_switch/ports/port_config.h"   // PortConfig, PortType: the ports layer owns them
#include "dpdk_switch/result.h"

namespace dsw {

// The largest config file read: a config is a few KB; anything near this is a mistake (a log, a
// device) that would only cost memory and time to parse.
inline constexpr long kMaxConfigBytes = 1L << 20;

// The most mbufs switch.mbufs may ask for, and what one takes of EAL memory (its 2 KB buffer and
// headroom, the mbuf header and the mempool's object header).
inline constexpr unsigned kMaxMbufs = 1u << 24;
inline constexpr uint64_t kMbufBytes = 2368;
inline uint64_t mbuf_pool_mb(uint64_t mbufs) { return (mbufs * kMbufBytes) >> 20; }

struct EalConfig {
    std::string lcores = "0-1";       // EAL -l / --lcores
    bool no_huge = true;
    unsigned memory_mb = 512;
    std::string file_prefix = "sw0";
    std::vector<std::string> extra;   // passed to EAL verbatim
    bool operator==(const EalConfig &) const = default;
};

struct SwitchConfig {
    unsigned burst = 32;
    unsigned mac_table_size = 65536;
    unsigned mac_aging_s = 300;
    bool arp_proxy = true;
    std::string ctl_socket;            // empty: /run/dpdk_switch/<file_prefix>.sock
    unsigned mbufs = 0;                // 0: sized from the ports
    unsigned idle_sleep_us = 0;        // a worker whose polls come back empty sleeps up to this; 0: never
    unsigned tx_flush_us = 0;          // a TX batch may wait this long for more frames; 0: sent every loop
    std::string metrics;               // "address:port" serving Prometheus /metrics; empty: off
    bool operator==(const SwitchConfig &) const = default;
};

struct StaticMac {
    std::string mac;                   // "02:00:00:00:00:01"
    std::string port;                  // empty when behind a VTEP
    uint16_t vlan = 0;
    // The remote VTEP's IPv4 address the MAC is behind (`mac add <MAC> vtep <IP>`); empty: on
    // `port`. Checked against the vxlan: section (its VLAN mapped, the VTEP reachable).
    std::string vtep;
    bool operator==(const StaticMac &) const = default;
};

struct StaticArp {
    std::string ip;
    std::string mac;
    // The VLAN the binding lives in; absent: the VLAN of a static MAC entry for `mac`, else 0.
    std::optional<uint16_t> vlan;
    bool operator==(const StaticArp &) const = default;
};

// vxlan: the switch as a VTEP (RFC 7348). Each mapped VLAN is one VNI across the underlay; its
// broadcast, multicast and unknown unicast go to every remote VTEP of the VNI (head-end
// replication), known unicast to the VTEP its MAC was learned behind.
struct VniMapping {
    uint16_t vlan = 0;
    uint32_t vni = 0;                   // 1..2^24-1
    std::vector<std::string> remotes;   // remote VTEPs' IPv4 addresses, for flooding
    bool operator==(const VniMapping &) const = default;
};

inline constexpr uint16_t kVxlanPort = 4789;   // IANA's VXLAN port

// Whether `ip` is on the underlay's link of a VTEP at `local` (host order): in its prefix, or
// anywhere when the config gave none.
inline bool vxlan_on_link(uint32_t local, std::optional<uint8_t> prefix_len, uint32_t ip) {
    if (!prefix_len) return true;
    const uint32_t mask = *prefix_len == 0 ? 0 : ~0u << (32 - *prefix_len);
    return ((local ^ ip) & mask) == 0;
}

struct VxlanConfig {
    bool enabled = false;               // the config has a vxlan: section
    std::string local_ip;               // this VTEP's IPv4 address on the underlay (no prefix)
    // local_ip's prefix ("192.168.50.1/24"): the underlay's link, where remote VTEPs are ARPed
    // for directly; the others go by `gateway`. None: every remote VTEP is on the link.
    std::optional<uint8_t> prefix_len;
    std::string gateway;                // IPv4 router on the link for the other VTEPs; empty: none
    uint16_t udp_port = kVxlanPort;
    std::string underlay;               // the port (any kind) the tunnels run over
    bool learn_vteps = true;            // frames from a VTEP nobody listed add it; false: counted drops
    std::vector<VniMapping> vni_map;
    bool operator==(const VxlanConfig &) const = default;
};

struct Config {
    std::string source = "<embedded default>";  // file the config came from, for messages
    std::string path;                  // the file load_config_file read; empty: not from a file
    EalConfig eal;
    SwitchConfig sw;
    std::vector<PortConfig> ports;
    std::vector<StaticMac> static_macs;
    std::vector<StaticArp> arp;
    VxlanConfig vxlan;
};

// Parses and validates YAML text. Errors name the source, the key path (e.g. "ports[1].iface")
// and the reason, with code kExitConfigError. Checks that need no EAL are done here: unknown keys,
// types, ranges, duplicate names, a port type's required keys, MAC/IP syntax, static MACs naming
// a configured port, and that an af_packet/af_xdp interface exists. The lcore check needs EAL and
// is done by validate_lcores().
Result<Config> parse_config(const std::string &yaml_text, const std::string &source);
Result<Config> load_config_file(const std::string &path);

// Builds one port from "key=value" words, as `port add <name> <type> key=value...` takes them;
// the same keys and checks as a config port; messages start "port <name>: ".
Result<PortConfig> port_from_words(const std::string &name, const std::string &type,
                                   const std::vector<std::string> &key_values);

// The keys `port add <name> <type> key=value...` takes for a port of type `t`, sorted: what the
// loader takes for its kind (config_detail::kind_keys), less name and type (port add's own words)
// and storm (a map, which a key=value cannot spell). Tab completion offers them.
std::vector<std::string> port_add_keys(PortType t);

// Checks, before EAL init, what would otherwise fail in or after it with no key path: an af_xdp
// port under --no-huge, a switch.mbufs pool larger than EAL's memory (-m), a file prefix held by
// a running DPDK process. `eal_from_config`: the EAL arguments are the config's eal: section
// (messages name its keys), not the command line's (messages name the options).
Status validate_before_eal(const Config &cfg, const std::vector<std::string> &eal_args, bool eal_from_config);

// Checks, after EAL init, that each port's lcore is an enabled worker lcore (not the main lcore).
Status validate_lcores(const Config &cfg);

}  // namespace dsw
