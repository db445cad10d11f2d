// The sockets of one address family this process holds: how EthPort finds the sockets a PMD
// opened inside its probe (the PMDs keep them private), by comparing the lists before and after.
#include <dirent.h>
#include <sys/socket.h>

#include <cstdlib>

#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

std::vector<int> socket_fds(int domain) {
    std::vector<int> fds;
    DIR *dir = opendir("/proc/self/fd");
    if (dir == nullptr) return fds;
    while (const dirent *e = readdir(dir)) {
        char *end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == dirfd(dir)) continue;
        int d = 0;
        socklen_t len = sizeof d;
        if (getsockopt(static_cast<int>(fd), SOL_SOCKET, SO_DOMAIN, &d, &len) == 0 && d == domain)
            fds.push_back(static_cast<int>(fd));
    }
    closedir(dir);
    return fds;
}

}  // namespace dsw
