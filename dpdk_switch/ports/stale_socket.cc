// A unix socket file outlives the process that bound it: after a crash or a SIGKILL the next
// bind on that path fails with EADDRINUSE. Only a socket nobody accepts on is removed.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/unix_socket.h"

namespace dsw {

void remove_stale_socket(const std::string &path) {
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0 || !S_ISSOCK(st.st_mode)) return;
    if (path.size() >= sizeof(sockaddr_un::sun_path)) return;
    int err = 0;
    if (probe_listener(path, err) == Listener::nobody && unlink(path.c_str()) == 0)
        DSW_LOG(INFO, port, "removed stale socket %s (nobody listens on it)", path.c_str());
}

}  // namespace dsw
