// The MTU of a kernel-backed port (af_packet, af_xdp): what sizes its frames and its rings.
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

Result<unsigned> port_mtu(const PortConfig &p) {
    if (p.mtu != 0) return p.mtu;
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, p.iface.c_str(), IFNAMSIZ - 1);
    const int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) return fail("port " + p.name + ": socket: " + std::strerror(errno));
    const int rc = ioctl(s, SIOCGIFMTU, &ifr);
    const int err = errno;
    close(s);
    if (rc < 0) return fail("port " + p.name + ": interface " + p.iface + ": cannot read its MTU: " + std::strerror(err));
    // A larger MTU (lo's 65536) is carried up to kMaxMtu; what is longer is counted oversize.
    return std::clamp<unsigned>(static_cast<unsigned>(ifr.ifr_mtu), kMinMtu, kMaxMtu);
}

}  // namespace dsw
