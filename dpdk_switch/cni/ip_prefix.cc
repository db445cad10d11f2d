#include "dpdk_switch/cni/ip_prefix.h"

#include <charconv>

#include <arpa/inet.h>
#include <sys/socket.h>

#include "dpdk_switch/cni/cni_error.h"

namespace dsw::cni {

unsigned IpPrefix::addr_size() const { return family == AF_INET ? 4 : 16; }

std::string IpPrefix::addr_text() const {
    char buf[INET6_ADDRSTRLEN];
    if (inet_ntop(family, bytes.data(), buf, sizeof buf) == nullptr) return "?";
    return buf;
}

std::string IpPrefix::text() const { return addr_text() + "/" + std::to_string(len); }

Result<IpPrefix> parse_addr(const std::string &s, const std::string &what) {
    IpPrefix p;
    if (inet_pton(AF_INET, s.c_str(), p.bytes.data()) == 1) {
        p.family = AF_INET;
        p.len = 32;
    } else if (inet_pton(AF_INET6, s.c_str(), p.bytes.data()) == 1) {
        p.family = AF_INET6;
        p.len = 128;
    } else {
        return fail(what + ": '" + s + "' is not an IP address", kDecodeFailure);
    }
    return p;
}

Result<IpPrefix> parse_prefix(const std::string &s, const std::string &what) {
    const size_t slash = s.find('/');
    if (slash == std::string::npos) return fail(what + ": '" + s + "' has no prefix length", kDecodeFailure);
    auto p = parse_addr(s.substr(0, slash), what);
    if (!p) return p;
    unsigned len = 0;
    const char *b = s.data() + slash + 1, *e = s.data() + s.size();
    auto [ptr, ec] = std::from_chars(b, e, len);
    if (ec != std::errc() || ptr != e || b == e || len > p->len)
        return fail(what + ": '" + s + "' has a bad prefix length", kDecodeFailure);
    p->len = len;
    return p;
}

}  // namespace dsw::cni
