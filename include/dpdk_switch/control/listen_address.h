// A TCP address to listen on, "IPv4:port" or "[IPv6]:port" (switch.metrics, --metrics): parsed
// when the config is read, bound before EAL starts, so that a bad one stops the switch with the
// key named before anything runs.
#pragma once

#include <sys/socket.h>

#include <string>

#include "dpdk_switch/result.h"

namespace dsw {

struct ListenAddress {
    sockaddr_storage addr{};
    socklen_t len = 0;
};

// "127.0.0.1:9417", "0.0.0.0:9417", "[::1]:9417"; the port 1..65535. Messages name no key.
Result<ListenAddress> parse_listen_address(const std::string &text);

// A listening TCP socket (SO_REUSEADDR, close-on-exec) bound to `text`: its descriptor, or why
// not ("127.0.0.1:9417: cannot listen: Address already in use").
Result<int> listen_tcp(const std::string &text);

}  // namespace dsw
