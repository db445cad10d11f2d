// The plugin's network configuration (stdin): the spec's keys and the switch's own, read
// strictly, so that a typo is refused before anything is made.
//
//   {"cniVersion": "1.0.0", "name": "dswnet", "type": "dpdk-switch",
//    "socket": "/run/dpdk_switch/sw0.sock",      // the switch's control socket (its default)
//    "port": "veth",                              // or "vhost" / "memif" (a socket for a DPDK app)
//    "socket_dir": "/run/dpdk_switch/cni",        // vhost/memif: <socket_dir>/<container id>/<ifname>.sock
//    "vlan": 10, "mac_limit": 64, "mtu": 1500,
//    "ipam": {"type": "host-local", ...}}
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/result.h"

namespace dsw::cni {

inline constexpr const char *kDefaultSocket = "/run/dpdk_switch/sw0.sock";
inline constexpr unsigned kDefaultMtu = 1500;
inline constexpr const char *kDefaultSocketDir = "/run/dpdk_switch/cni";

enum class PortMode { veth, vhost, memif };

struct NetConf {
    std::string cni_version;
    std::string name;
    std::string socket = kDefaultSocket;
    PortMode port = PortMode::veth;
    std::string socket_dir = kDefaultSocketDir;
    unsigned vlan = 0;                    // 0: the untagged default domain
    std::optional<unsigned> mac_limit;
    std::optional<unsigned> mtu;          // unset: 1500 in the container, the port's own on the switch
    std::string mac;                      // the container end's MAC ("": the kernel picks one)
    std::string ipam_type;                // "": no IPAM, no addresses
    nlohmann::json prev_result;           // null unless the runtime passed one (CHECK, DEL)
};

// `raw`: stdin as read; `cni_args`: CNI_ARGS (its MAC= sets the MAC, as runtimeConfig.mac does).
Result<NetConf> parse_net_conf(const std::string &raw, const std::string &cni_args);

unsigned container_mtu(const NetConf &c);

}  // namespace dsw::cni
