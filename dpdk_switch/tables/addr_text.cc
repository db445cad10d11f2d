// Addresses as text, one parser and one formatter each: MACs through DPDK's
// rte_ether_unformat_addr / rte_ether_format_addr, IP addresses through inet_pton / inet_ntop.
// Every caller (the config, the CLI, `show`) goes through these.
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include <rte_ether.h>

#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_key.h"

namespace dsw {
namespace {

// The C functions read up to a NUL: text holding one would be read cut short, as a value the
// user did not write.
bool c_string(const std::string &s) { return s.find('\0') == std::string::npos; }

}  // namespace

std::string mac_to_string(uint64_t mac48) {
    rte_ether_addr a;
    mac_to_bytes(mac48, a.addr_bytes);
    char s[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(s, sizeof s, &a);
    // DPDK writes upper case; the switch has always shown (and its JSON carried) lower case.
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

std::optional<uint64_t> mac_from_string(const std::string &s) {
    // rte_ether_unformat_addr (DPDK 22.11) takes xx:xx:xx:xx:xx:xx and also xxxx:xxxx:xxxx. The
    // switch's documented form is the first alone: its 17 characters, which the second never has.
    rte_ether_addr a;
    if (s.size() != 17 || !c_string(s) || rte_ether_unformat_addr(s.c_str(), &a) != 0) return std::nullopt;
    return mac_from_bytes(a.addr_bytes);
}

std::string ipv4_to_string(uint32_t ip) {
    in_addr a{htonl(ip)};
    char buf[INET_ADDRSTRLEN];
    return inet_ntop(AF_INET, &a, buf, sizeof buf);
}

std::string ipv6_to_string(const Ip6 &ip) {
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(AF_INET6, ip.data(), buf, sizeof buf);
}

std::optional<uint32_t> ipv4_from_string(const std::string &s) {
    // glibc's inet_pton takes only the four-part dotted decimal form, without leading zeros.
    in_addr a{};
    if (!c_string(s) || inet_pton(AF_INET, s.c_str(), &a) != 1) return std::nullopt;
    return ntohl(a.s_addr);
}

}  // namespace dsw
