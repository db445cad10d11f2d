// ADD, DEL and CHECK of a socket attachment (`"port": "vhost"` or `"memif"`): no kernel
// interface; the switch listens on a vhost-user or memif socket for a DPDK app in the container.
//
// The socket is <socket_dir>/<container id>/<ifname>.sock on the host (as userspace-cni keeps one
// directory per container): mount socket_dir (or the container's directory) into the container,
// and the app connects as virtio-user (vhost) or memif client. The result lists the interface
// with its `socketPath` (the field CNI 1.1 gives it) and the addresses IPAM gave, for the app.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/cni/env.h"
#include "dpdk_switch/cni/net_conf.h"
#include "dpdk_switch/result.h"

namespace dsw::cni {

Result<nlohmann::json> add_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw);
Status del_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw);
Status check_socket_attachment(const CniEnv &env, const NetConf &conf, const std::string &raw);

// Where the attachment's socket is.
std::string attachment_socket(const NetConf &conf, const std::string &container_id, const std::string &ifname);

}  // namespace dsw::cni
