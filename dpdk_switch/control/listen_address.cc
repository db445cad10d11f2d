#include "dpdk_switch/control/listen_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace dsw {
namespace {

Error bad(const std::string &text, const std::string &why) {
    return fail("'" + text + "' " + why, kExitConfigError);
}

}  // namespace

Result<ListenAddress> parse_listen_address(const std::string &text) {
    const std::string shape = "is not an address:port (e.g. 127.0.0.1:9417 or [::1]:9417)";
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) return bad(text, shape);
    std::string host = text.substr(0, colon);
    const std::string port_text = text.substr(colon + 1);
    unsigned long port = 0;
    const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && end == port_text.data() + port_text.size() &&
                                                 (port == 0 || port > 65535)))
        return bad(text, "has port " + port_text + ", not in 1..65535");
    if (ec != std::errc() || end != port_text.data() + port_text.size()) return bad(text, shape);
    ListenAddress a;
    const bool v6 = host.size() >= 2 && host.front() == '[' && host.back() == ']';
    if (v6) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&a.addr);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(port));
        if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &in6->sin6_addr) != 1) return bad(text, shape);
        a.len = sizeof(sockaddr_in6);
        return a;
    }
    auto *in4 = reinterpret_cast<sockaddr_in *>(&a.addr);
    in4->sin_family = AF_INET;
    in4->sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, host.c_str(), &in4->sin_addr) != 1) return bad(text, shape);
    a.len = sizeof(sockaddr_in);
    return a;
}

Result<int> listen_tcp(const std::string &text) {
    auto a = parse_listen_address(text);
    if (!a) return a.error();
    const int fd = socket(a->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(text + ": cannot listen: " + std::strerror(errno), kExitConfigError);
    const int on = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&a->addr), a->len) != 0 || listen(fd, 16) != 0) {
        const int err = errno;
        close(fd);
        return fail(text + ": cannot listen: " + std::strerror(err), kExitConfigError);
    }
    return fd;
}

}  // namespace dsw
