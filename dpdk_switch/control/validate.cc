// The value checks the config and the CLI share (see validate.h).
#include "dpdk_switch/control/validate.h"

#include <algorithm>

#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_key.h"

namespace dsw {
namespace {

Error refused(const std::string &reason) { return fail(reason, kExitConfigError); }

// The text as a message may quote it: a NUL would end the message where it stands.
std::string printable(const std::string &text) {
    std::string out;
    for (char c : text)
        out += c == '\0' ? std::string("\\0") : std::string(1, c);
    return out;
}

}  // namespace

Result<uint64_t> parse_unicast_mac(const std::string &text) {
    const std::optional<uint64_t> parsed = mac_from_string(text);
    if (!parsed)
        return refused("invalid MAC address '" + printable(text) + "' (expected xx:xx:xx:xx:xx:xx)");
    uint8_t mac[6];
    mac_to_bytes(*parsed, mac);
    if (mac[0] & 0x01)
        return refused("'" + text + "' is a multicast MAC address");
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
        return refused("the all-zero MAC address is not valid here");
    return *parsed;
}

std::string ipv4_prefix_text(uint32_t ip, uint8_t len) {
    const uint32_t mask = len == 0 ? 0 : ~0u << (32 - len);
    return ipv4_to_string(ip & mask) + "/" + std::to_string(len);
}

Result<uint32_t> parse_unicast_ipv4(const std::string &text) {
    const std::optional<uint32_t> parsed = ipv4_from_string(text);
    if (!parsed)
        return refused("invalid IPv4 address '" + printable(text) + "'");
    const uint32_t host = *parsed;
    if (host == 0 || host == 0xffffffffu || (host >> 28) == 0xe)
        return refused("'" + text + "' is not a unicast IPv4 address");
    return host;
}

Result<uint16_t> static_mac_vlan(const PortConfig &p, std::optional<uint16_t> vlan) {
    if (!vlan) {
        if (!p.trunk.empty())
            return refused("a VLAN is required for trunk port '" + p.name + "'");
        return p.vlan;
    }
    const bool member = p.trunk.empty() ? p.vlan == *vlan
                                        : std::find(p.trunk.begin(), p.trunk.end(), *vlan) != p.trunk.end();
    if (!member)
        return refused("port '" + p.name + "' is not in VLAN " + std::to_string(*vlan));
    return *vlan;
}

Status check_no_nul(const std::string &text) {
    const size_t at = text.find('\0');
    if (at == std::string::npos)
        return Ok{};
    return refused("holds a NUL byte (at offset " + std::to_string(at) + "): '" + printable(text) + "'");
}

}  // namespace dsw
