// net_af_packet's PACKET_FANOUT group (DPDK 22.11), and who else holds it. The PMD puts every
// socket of a port in the group (pid ^ ifindex) & 0xffff; groups are per network namespace and
// the kernel keeps a group to one interface, so another process's af_packet port can hold this
// port's group on another interface (pid_A ^ pid_B == ifindex_A ^ ifindex_B): the probe then fails
// with "could not set PACKET_FANOUT ... Invalid argument" in the log, and the switch says why.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

namespace dsw {

// The group net_af_packet (22.11) gives a socket of process `pid` on interface `ifindex`.
inline uint16_t af_packet_fanout_group(pid_t pid, unsigned ifindex) {
    return static_cast<uint16_t>((static_cast<unsigned>(pid) ^ ifindex) & 0xffff);
}

// Why an af_packet port on `iface` of this process could not open, when a packet socket of this
// network namespace holds its fanout group on another interface (found through sock_diag): the
// holder and the remedy, in words to append to the probe's error. When sock_diag cannot tell, the
// likely cause and the remedy as a possibility; "" when no socket holds the group.
std::string af_packet_fanout_clash(const std::string &iface);

}  // namespace dsw
