// The value checks the config and the CLI share (see validate.h).
#include "dpdk_switch/control/validate.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>

#include "dpdk_switch/tables/mac_key.h"

namespace dsw {
namespace {

Error refused(const std::string &reason) { return fail(reason, kExitConfigError); }

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// "xx:xx:xx:xx:xx:xx" into six bytes; false for anything else (sscanf's %x would also take
// " a:..." or "+a:...").
bool parse_mac_bytes(const std::string &s, uint8_t (&mac)[6]) {
    if (s.size() != 17)
        return false;
    for (size_t i = 0; i < 6; ++i) {
        const int hi = hex_value(s[3 * i]);
        const int lo = hex_value(s[3 * i + 1]);
        if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':'))
            return false;
        mac[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

// The text as a message may quote it: a NUL would end the message where it stands.
std::string printable(const std::string &text) {
    std::string out;
    for (char c : text)
        out += c == '\0' ? std::string("\\0") : std::string(1, c);
    return out;
}

}  // namespace

Result<uint64_t> parse_unicast_mac(const std::string &text) {
    uint8_t mac[6];
    if (!parse_mac_bytes(text, mac))
        return refused("invalid MAC address '" + printable(text) + "' (expected xx:xx:xx:xx:xx:xx)");
    if (mac[0] & 0x01)
        return refused("'" + text + "' is a multicast MAC address");
    if ((mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]) == 0)
        return refused("the all-zero MAC address is not valid here");
    return mac_from_bytes(mac);
}

Result<uint32_t> parse_unicast_ipv4(const std::string &text) {
    in_addr addr{};
    // glibc's inet_pton takes only the four-part dotted decimal form, without leading zeros; it
    // reads a C string, so a NUL would cut the text short.
    if (text.find('\0') != std::string::npos || inet_pton(AF_INET, text.c_str(), &addr) != 1)
        return refused("invalid IPv4 address '" + printable(text) + "'");
    const uint32_t host = ntohl(addr.s_addr);
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
