// The switch's side of an attachment: its port, through the control socket (the client
// dpdk_switch_ctl uses), and the names both sides share.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/cni/net_conf.h"
#include "dpdk_switch/control/ctl_client.h"
#include "dpdk_switch/result.h"

namespace dsw::cni {

// The switch port kind a container's veth host end becomes, and its interface key: `veth`, which
// carries the container's offloads (partial checksums, TSO/USO segments) through the switch.
// One place, so that changing the kind is one line.
inline constexpr const char *kContainerPortKind = "veth";
inline constexpr const char *kContainerPortIfaceKey = "iface";
// Whether the container must write full checksums itself (`ethtool -K eth0 tx off`): only for a
// kind that cannot carry a partial one (af_packet, af_xdp).
inline constexpr bool kContainerNeedsTxChecksumOff = false;

// The host end's interface name, also the switch port's name: "dsw" and 12 hex digits of a
// hash of (container id, ifname). Derived, not stored, so that DEL and CHECK find what ADD made
// from what the runtime passes them again (15 characters: IFNAMSIZ - 1; a port name takes 16).
std::string attachment_name(const std::string &container_id, const std::string &ifname);

class SwitchPorts {
public:
    // kTryAgainLater when nobody listens at the socket (the switch is down), kInvalidConfig when
    // the path is not a socket.
    static Result<SwitchPorts> connect(const std::string &socket);

    // `port add NAME KIND key=value...`.
    Status add(const std::string &line);
    // false: the switch had no such port.
    Result<bool> del(const std::string &name);
    // `show port info NAME` (json), or nothing when there is no such port.
    Result<std::optional<nlohmann::json>> info(const std::string &name);

private:
    explicit SwitchPorts(CtlClient client) : client_(std::move(client)) {}
    // One command; an error when the switch cannot be asked or answers with one.
    Result<nlohmann::json> call(const std::string &line);
    CtlClient client_;
};

// DEL's removal of the port `name`: a switch that is down or does not answer has no port to
// remove, and a DEL must still succeed (the spec), so that is a warning on stderr; a switch that
// refuses is the error.
Status remove_switch_port(const std::string &socket, const std::string &name);

// The `port add` line for a veth attachment.
std::string veth_port_add_line(const std::string &name, const NetConf &c);

}  // namespace dsw::cni
