// An IPv4 or IPv6 address with its prefix length, as CNI results write them ("10.1.0.2/24").
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "dpdk_switch/result.h"

namespace dsw::cni {

struct IpPrefix {
    int family = 0;                       // AF_INET or AF_INET6
    std::array<uint8_t, 16> bytes{};
    unsigned len = 0;                     // prefix length

    unsigned addr_size() const;           // 4 or 16
    std::string addr_text() const;        // without the prefix
    std::string text() const;             // with it
    bool operator==(const IpPrefix &o) const = default;
};

// "a.b.c.d/n" or "x::y/n". `what` names the field in the error.
Result<IpPrefix> parse_prefix(const std::string &s, const std::string &what);
// A bare address, its prefix the whole address.
Result<IpPrefix> parse_addr(const std::string &s, const std::string &what);

}  // namespace dsw::cni
