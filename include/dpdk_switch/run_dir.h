// The switch's run directory: its control socket's by default, and where a memif socket given
// by a relative name lies, as VPP puts one in its runtime dir (/run/vpp) and OVS a vhost-user
// socket in its rundir: the same config then means the same socket wherever the switch was
// started from.
#pragma once

namespace dsw {

inline constexpr const char *kRunDir = "/run/dpdk_switch";

}  // namespace dsw
