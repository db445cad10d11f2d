// Before a port binds a unix socket. A socket file outlives the process that bound it: after a
// crash or a SIGKILL the next bind on that path fails with EADDRINUSE. Only a socket nobody
// accepts on is removed. And a socket in the run directory (a relative name in the config,
// run_dir.h) has its directory made, as VPP makes its runtime dir: the control socket, which
// makes it otherwise, may be elsewhere. Any other directory is its user's to make.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>

#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/run_dir.h"
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

Status make_run_dir_for(const std::string &port, const std::string &path) {
    const std::string run_dir = std::string(kRunDir) + "/";
    if (path.compare(0, run_dir.size(), run_dir) != 0) return Ok{};
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) return fail("port " + port + ": cannot create " + dir.string() + " for socket " + path + ": " + ec.message());
    return Ok{};
}

}  // namespace dsw
