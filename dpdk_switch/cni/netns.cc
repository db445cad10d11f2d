#include "dpdk_switch/cni/netns.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dpdk_switch/cni/cni_error.h"

namespace dsw::cni {

namespace {

std::string errno_text(int e) { return std::strerror(e); }

// Back to the namespace we came from. Failing that, the process would go on in the container's
// namespace and make the host's links there: better to stop.
void return_to(int self_fd) {
    if (setns(self_fd, CLONE_NEWNET) != 0) {
        std::fprintf(stderr, "dpdk-switch: cannot return to the host network namespace: %s\n", std::strerror(errno));
        std::abort();
    }
}

}  // namespace

Result<Netns> Netns::open(const std::string &path, bool *missing) {
    if (missing != nullptr) *missing = false;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int e = errno;
        if (missing != nullptr) *missing = (e == ENOENT);
        return fail("CNI_NETNS " + path + ": " + errno_text(e), e == ENOENT ? kUnknownContainer : kInvalidEnvironment);
    }
    Netns ns(fd);
    // Entering it once proves it is a network namespace (EINVAL otherwise), before anything is made.
    auto s = ns.socket(AF_UNIX, SOCK_DGRAM, 0);
    if (!s) return s.error();
    ::close(*s);
    return ns;
}

Netns::~Netns() {
    if (fd_ >= 0) ::close(fd_);
}

Result<int> Netns::socket(int domain, int type, int protocol) const {
    const int self = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (self < 0) return fail(std::string("/proc/thread-self/ns/net: ") + errno_text(errno), kSystemFailure);
    if (setns(fd_, CLONE_NEWNET) != 0) {
        const int e = errno;
        ::close(self);
        return fail("CNI_NETNS: not a network namespace we can enter: " + errno_text(e), kInvalidEnvironment);
    }
    const int s = ::socket(domain, type | SOCK_CLOEXEC, protocol);
    const int e = errno;
    return_to(self);
    ::close(self);
    if (s < 0) return fail("socket in the container's namespace: " + errno_text(e), kSystemFailure);
    return s;
}

Status disable_tx_checksum(const Netns &ns, const std::string &ifname) {
    auto s = ns.socket(AF_INET, SOCK_DGRAM, 0);
    if (!s) return s.error();
    ethtool_value v{};
    v.cmd = ETHTOOL_STXCSUM;
    v.data = 0;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    ifr.ifr_data = reinterpret_cast<char *>(&v);
    const int rc = ioctl(*s, SIOCETHTOOL, &ifr);
    const int e = errno;
    ::close(*s);
    if (rc != 0) return fail(ifname + ": cannot turn TX checksum offload off: " + errno_text(e), kSystemFailure);
    return Ok{};
}

}  // namespace dsw::cni
