// A container's network namespace (CNI_NETNS: /run/netns/NAME or /proc/PID/ns/net), open.
//
// The plugin is one thread, so it can enter the namespace with setns() just long enough to make
// a socket there: a socket stays in the namespace it was made in, and everything after that
// (netlink, the ethtool ioctl) goes through the socket, from the host namespace.
#pragma once

#include <string>
#include <utility>

#include "dpdk_switch/result.h"

namespace dsw::cni {

class Netns {
public:
    // An error if the path is missing or is not a network namespace; `missing` tells the first.
    static Result<Netns> open(const std::string &path, bool *missing = nullptr);
    Netns(Netns &&o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Netns &operator=(Netns &&) = delete;
    ~Netns();

    int fd() const { return fd_; }
    // socket(2) inside the namespace; the fd is the caller's to close.
    Result<int> socket(int domain, int type, int protocol) const;

private:
    explicit Netns(int fd) : fd_(fd) {}
    int fd_ = -1;
};

// Turns TX checksum offload off on `ifname` (ETHTOOL_STXCSUM) inside `ns`: an af_packet port
// hands a partial checksum on as it is, and the peer container would drop the frame.
Status disable_tx_checksum(const Netns &ns, const std::string &ifname);

}  // namespace dsw::cni
