// The kernel's side of a port whose frames carry a virtio-net header (veth, vtap), for the tests
// that open such a port on a real interface: a packet socket with PACKET_VNET_HDR bound to the
// interface, one frame sent or heard through it with its header, and the port's RX polled as a
// worker polls it.
#pragma once

#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <rte_byteorder.h>

#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "dpdk_switch/ports/port.h"

namespace dsw::test {

// `fd`: a packet socket with the virtio-net header on `iface`, deaf to what it sends itself (so
// it hears only the port); a receive buffer of `rcvbuf` bytes when not 0. Use it under
// ASSERT_NO_FATAL_FAILURE.
inline void open_vnet_peer(const std::string &iface, int &fd, int rcvbuf = 0) {
    fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    const int one = 1;
    ASSERT_EQ(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof one), 0);
    ASSERT_EQ(setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one), 0);
    if (rcvbuf != 0) {
        ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf), 0);
    }
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = rte_cpu_to_be_16(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
    ASSERT_EQ(bind(fd, reinterpret_cast<const sockaddr *>(&sll), sizeof sll), 0);
}

// Frame f, with header h, sent on the peer socket: the port hears it.
inline void send_vnet(int fd, const virtio_net_hdr &h, const std::vector<uint8_t> &f) {
    iovec iov[2] = {{const_cast<virtio_net_hdr *>(&h), sizeof h}, {const_cast<uint8_t *>(f.data()), f.size()}};
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = 2;
    ASSERT_EQ(sendmsg(fd, &mh, 0), static_cast<ssize_t>(sizeof h + f.size())) << std::strerror(errno);
}

// The next frame the peer socket hears, with its header; false after a second of nothing.
inline bool hear_vnet(int fd, virtio_net_hdr &h, std::vector<uint8_t> &f) {
    pollfd pfd{fd, POLLIN, 0};
    if (poll(&pfd, 1, 1000) != 1) return false;
    f.assign(70000, 0);
    iovec iov[2] = {{&h, sizeof h}, {f.data(), f.size()}};
    msghdr mh{};
    mh.msg_iov = iov;
    mh.msg_iovlen = 2;
    const ssize_t n = recvmsg(fd, &mh, 0);
    if (n < static_cast<ssize_t>(sizeof h)) return false;
    f.resize(static_cast<size_t>(n) - sizeof h);
    return true;
}

// The port's RX, polled as a worker polls it, until it answers a frame (or drops one, or a
// second passes): how many it answered.
inline uint16_t rx_within_a_second(Port &p, rte_mbuf **pkts, PortCounters &pc) {
    for (int i = 0; i < 1000; ++i) {
        if (uint16_t n = p.io()->rx(p.io()->ctx, 0, pkts, kMaxBurst, pc)) return n;
        if (pc.rx_packets.get() != 0) return 0;   // what came was dropped
        usleep(1000);
    }
    return 0;
}

}  // namespace dsw::test
