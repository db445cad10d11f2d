// remove_stale_socket: a vhost or memif server takes over only the socket file a dead process
// left; a live listener of either socket type, and anything that is not a socket, stay.
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/ports/port_kind.h"

namespace dsw {
namespace {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char tmpl[] = "/tmp/dsw_stale_XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
};

// A unix socket bound at `path` (listening when `listen_too`); its fd, to close.
int bound_socket(const std::string &path, int type, bool listen_too) {
    const int fd = socket(AF_UNIX, type, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0) << std::strerror(errno);
    if (listen_too) {
        EXPECT_EQ(listen(fd, 1), 0);
    }
    return fd;
}

TEST(StaleSocket, OnlyASocketNobodyListensOnIsRemoved) {
    TempDir dir;
    // Left by a process that died: bound, never listening any more.
    const std::string stale = dir.path / "stale.sock";
    close(bound_socket(stale, SOCK_STREAM, false));
    remove_stale_socket(stale);
    EXPECT_FALSE(std::filesystem::exists(stale));

    const std::string vhost = dir.path / "vhost.sock";   // vhost-user listens on SOCK_STREAM
    const int vfd = bound_socket(vhost, SOCK_STREAM, true);
    remove_stale_socket(vhost);
    EXPECT_TRUE(std::filesystem::exists(vhost));
    close(vfd);

    const std::string memif = dir.path / "memif.sock";   // memif on SOCK_SEQPACKET
    const int mfd = bound_socket(memif, SOCK_SEQPACKET, true);
    remove_stale_socket(memif);
    EXPECT_TRUE(std::filesystem::exists(memif));
    close(mfd);

    const std::string file = dir.path / "precious";
    std::ofstream(file) << "not a socket\n";
    remove_stale_socket(file);
    EXPECT_TRUE(std::filesystem::exists(file));
}

}  // namespace
}  // namespace dsw
