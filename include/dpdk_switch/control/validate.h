// The value checks that the config file and the CLI share: a static MAC entry, an ARP binding, a
// string handed to C. One function per rule, so that `mac add` and `arp add` refuse what
// static_macs: and arp: refuse, in the same words. Each error holds the reason alone (code
// kExitConfigError); the caller puts the key path ("static_macs[0].mac") or nothing in front.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/result.h"

namespace dsw {

// "xx:xx:xx:xx:xx:xx" (hex digits of either case) naming a unicast, non-zero MAC: the MAC in the
// tables' form (mac_key.h). A group or all-zero address never is a frame's source.
Result<uint64_t> parse_unicast_mac(const std::string &text);

// Dotted-quad IPv4 naming one host: not 0.0.0.0, 255.255.255.255 or a multicast group. Host byte
// order, as ipv4_from_string.
Result<uint32_t> parse_unicast_ipv4(const std::string &text);

// A remote VTEP's address (host order), beyond being unicast: no loopback address (nothing on
// the underlay answers there), and on a link of 30 bits or less (local, prefix_len: the VTEP's
// vxlan.local_ip) neither the link's network nor its broadcast address, which no one host
// answers an ARP for. The caller checks that it is not local itself (its message names its key).
Status check_vtep_address(uint32_t ip, uint32_t local, std::optional<uint8_t> prefix_len);

// "192.168.50.0/24": the link `ip` (host order) is on, for messages and `show vxlan`.
std::string ipv4_prefix_text(uint32_t ip, uint8_t len);

// The VLAN a static MAC behind port `p` belongs in: `vlan` when given (the port must be in it),
// else the port's access VLAN; a trunk port has no single one, so there it must be given.
Result<uint16_t> static_mac_vlan(const PortConfig &p, std::optional<uint16_t> vlan);

// Text with no NUL: whatever it is handed to (if_nametoindex, open, inet_pton) would read it cut
// at the NUL, and the switch would use a name nobody wrote.
Status check_no_nul(const std::string &text);

// A path that names the same file whoever sends it: the words of a command may come over the
// control socket from a client in another directory, and a relative name would land where the
// switch runs, not where its user is. The message quotes the path; the caller names the command.
Status check_absolute_path(const std::string &path);

// Text that is UTF-8, as YAML requires: a string of other bytes reads in, but `save config`'s
// writer replaces them (U+FFFD), so the file it writes would name something else.
Status check_utf8(const std::string &text);

}  // namespace dsw
