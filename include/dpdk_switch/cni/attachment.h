// The three CNI operations on one attachment (CNI_CONTAINERID, CNI_IFNAME).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/cni/env.h"
#include "dpdk_switch/cni/net_conf.h"
#include "dpdk_switch/result.h"

namespace dsw::cni {

// ADD: the interface, its addresses, the switch port; the CNI result. On failure nothing is
// left behind (veth deleted, port removed, IPAM released).
Result<nlohmann::json> add_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw_conf);
// DEL: whatever of it exists goes; success also when the netns, the port or the switch is gone.
Status del_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw_conf);
// CHECK: the port, the interface and the addresses of prevResult are as ADD left them.
Status check_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw_conf);

}  // namespace dsw::cni
