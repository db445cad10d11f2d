// Delegation to an IPAM plugin (spec section 4): found in CNI_PATH, run with the plugin's own
// environment and the whole network configuration on stdin, its stderr ours.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpdk_switch/cni/ip_prefix.h"
#include "dpdk_switch/cni/netlink.h"
#include "dpdk_switch/result.h"

namespace dsw::cni {

struct IpamIp {
    IpPrefix address;
    std::optional<IpPrefix> gateway;
};

struct IpamResult {
    std::vector<IpamIp> ips;
    std::vector<Route> routes;        // a route without gw takes its family's gateway, if any
    nlohmann::json raw;               // as the plugin answered (its dns, routes as written)
};

// Runs plugin `type` with CNI_COMMAND=`command` (the rest of the environment as ours).
// Answers its stdout as JSON (null when it printed nothing, as DEL may); a failure carries the
// plugin's own CNI error code and message.
Result<nlohmann::json> run_delegate(const std::string &type, const std::string &cni_path,
                                    const std::string &command, const std::string &conf);

// The abbreviated ADD result of an IPAM plugin.
Result<IpamResult> parse_ipam_result(const nlohmann::json &r);

}  // namespace dsw::cni
