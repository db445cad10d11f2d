#include "dpdk_switch/control/ctl_client.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace dsw {

Result<CtlClient> CtlClient::connect(const std::string &path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return fail("socket path too long: " + path);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    CtlClient c;
    c.fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd_ < 0 || ::connect(c.fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        return fail("cannot connect to " + path + ": " + std::strerror(errno) + " (is dpdk_switch running?)");
    return c;
}

CtlClient::~CtlClient() {
    if (fd_ >= 0) close(fd_);
}

Result<nlohmann::json> CtlClient::call(const std::string &line) {
    const std::string req = line + "\n";
    for (size_t off = 0; off < req.size();) {
        const ssize_t n = send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
        if (n <= 0) return fail(std::string("send: ") + std::strerror(errno));
        off += static_cast<size_t>(n);
    }
    size_t nl;
    while ((nl = buffered_.find('\n')) == std::string::npos) {
        char buf[65536];
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n == 0) return fail("the switch closed the connection");
        if (n < 0) {
            if (errno == EINTR) continue;
            return fail(std::string("recv: ") + std::strerror(errno));
        }
        buffered_.append(buf, static_cast<size_t>(n));
    }
    const std::string reply = buffered_.substr(0, nl);
    buffered_.erase(0, nl + 1);
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail("malformed reply from the switch");
    return j;
}

}  // namespace dsw
