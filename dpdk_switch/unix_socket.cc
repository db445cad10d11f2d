#include "dpdk_switch/unix_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace dsw {

Listener probe_listener(const std::string &path, int &err) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), std::min(path.size() + 1, sizeof addr.sun_path));
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        err = errno;
        return Listener::unknown;
    }
    const int rc = connect(fd, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
    err = rc == 0 ? 0 : errno;
    close(fd);
    if (rc == 0 || err == EAGAIN || err == EPROTOTYPE) return Listener::someone;
    return err == ECONNREFUSED ? Listener::nobody : Listener::unknown;
}

}  // namespace dsw
