#include "dpdk_switch/control/ctl_client.h"

#include <cerrno>
#include <cstring>

#include <poll.h>
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
    c.path_ = path;
    c.fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c.fd_ < 0 || ::connect(c.fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
        return fail("cannot connect to " + path + ": " + std::strerror(errno) + " (is dpdk_switch running?)");
    return c;
}

CtlClient::~CtlClient() {
    if (fd_ >= 0) close(fd_);
}

// The switch writes unasked only to say why it closes the connection (idle too long, or room
// made for a new client): anything readable between commands means the connection is over.
bool CtlClient::closed_by_switch() {
    if (!buffered_.empty()) return true;
    pollfd p{fd_, POLLIN, 0};
    return poll(&p, 1, 0) > 0 && p.revents != 0;
}

Result<nlohmann::json> CtlClient::call(const std::string &line) {
    if (answered_ && closed_by_switch()) {
        auto fresh = connect(path_);
        if (!fresh) return fresh.error();
        std::swap(fd_, fresh->fd_);   // the old connection closes with `fresh`
        buffered_.clear();
        answered_ = false;
    }
    const std::string req = line + "\n";
    for (size_t off = 0; off < req.size();) {
        const ssize_t n = send(fd_, req.data() + off, req.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        // Closed by the switch (EPIPE): the reason it wrote first may be waiting to be read.
        if (n <= 0) break;
        off += static_cast<size_t>(n);
    }
    auto reply = read_reply();
    if (reply) answered_ = true;
    return reply;
}

Result<nlohmann::json> CtlClient::read_reply() {
    size_t nl;
    while ((nl = buffered_.find('\n')) == std::string::npos) {
        char buf[65536];
        const ssize_t n = recv(fd_, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR) continue;
        // ECONNRESET: it closed with our command unread, which is the same answer.
        if (n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE)))
            return fail("the switch closed the connection without an answer");
        if (n < 0) return fail(std::string("recv: ") + std::strerror(errno));
        buffered_.append(buf, static_cast<size_t>(n));
    }
    const std::string reply = buffered_.substr(0, nl);
    buffered_.erase(0, nl + 1);
    auto j = nlohmann::json::parse(reply, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return fail("malformed reply from the switch");
    return j;
}

}  // namespace dsw
