// A unix socket file outlives the process that bound it: after a crash or a SIGKILL the next
// bind on that path fails with EADDRINUSE. Only a socket nobody accepts on is removed.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

void remove_stale_socket(const std::string &path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return;
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    // A stream probe: vhost-user listens on SOCK_STREAM, memif on SOCK_SEQPACKET, and a
    // connect of the wrong type answers EPROTOTYPE, which means someone is there.
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return;
    const bool stale = connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0 && errno == ECONNREFUSED;
    close(fd);
    if (stale && unlink(path.c_str()) == 0)
        DSW_LOG(INFO, port, "removed stale socket %s (nobody listens on it)", path.c_str());
}

}  // namespace dsw
