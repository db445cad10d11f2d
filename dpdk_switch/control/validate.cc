// The value checks the config and the CLI share (see validate.h).
#include "dpdk_switch/control/validate.h"

#include <algorithm>
#include <cstdio>

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

Status check_vtep_address(uint32_t ip, uint32_t local, std::optional<uint8_t> prefix_len) {
    const std::string text = ipv4_to_string(ip);
    if ((ip >> 24) == 127) return refused(text + " is a loopback address: no VTEP on the underlay answers there");
    if (!prefix_len || *prefix_len > 30 || !vxlan_on_link(local, prefix_len, ip)) return Ok{};
    const uint32_t host_mask = *prefix_len == 0 ? ~0u : ~(~0u << (32 - *prefix_len));
    const std::string link = ipv4_prefix_text(local, *prefix_len);
    if ((ip & host_mask) == 0) return refused(text + " is the network address of the underlay's link " + link + " (vxlan.local_ip)");
    if ((ip & host_mask) == host_mask)
        return refused(text + " is the broadcast address of the underlay's link " + link + " (vxlan.local_ip)");
    return Ok{};
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

Status check_absolute_path(const std::string &path) {
    if (!path.empty() && path.front() == '/')
        return Ok{};
    return refused("'" + printable(path) + "' is a relative path: give an absolute one");
}

namespace {

// Bytes of the UTF-8 sequence (RFC 3629) at text[at], or 0 when none starts there: a stray
// continuation byte, an overlong form, a UTF-16 surrogate, a code point past U+10FFFF, or a
// sequence the text cuts short.
size_t utf8_sequence(const std::string &text, size_t at) {
    const auto b = [&](size_t i) { return static_cast<uint8_t>(text[at + i]); };
    const uint8_t c = b(0);
    if (c < 0x80) return 1;
    size_t n;
    uint8_t lo = 0x80, hi = 0xbf;   // the range of the second byte
    if (c >= 0xc2 && c <= 0xdf) n = 2;
    else if (c == 0xe0) n = 3, lo = 0xa0;
    else if (c == 0xed) n = 3, hi = 0x9f;
    else if (c >= 0xe1 && c <= 0xef) n = 3;
    else if (c == 0xf0) n = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3) n = 4;
    else if (c == 0xf4) n = 4, hi = 0x8f;
    else return 0;
    if (text.size() - at < n || b(1) < lo || b(1) > hi) return 0;
    for (size_t i = 2; i < n; ++i)
        if (b(i) < 0x80 || b(i) > 0xbf) return 0;
    return n;
}

}  // namespace

Status check_utf8(const std::string &text) {
    for (size_t at = 0; at < text.size();) {
        const size_t n = utf8_sequence(text, at);
        if (n == 0) {
            char hex[8];
            std::snprintf(hex, sizeof hex, "0x%02x", static_cast<unsigned>(static_cast<uint8_t>(text[at])));
            return refused(std::string("is not valid UTF-8 (byte ") + hex + " at offset " + std::to_string(at) + ")");
        }
        at += n;
    }
    return Ok{};
}

}  // namespace dsw
