#include "dpdk_switch/ports/link_events.h"

#include <linux/net_namespace.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

namespace dsw {

namespace {

// Written by the one LinkEvents (open, drain, its end), read by TunWhereabouts: both on the
// control thread, or under the control lock; atomic so that a stray reader elsewhere reads a
// whole value.
std::atomic<uint64_t> g_foreign_epoch{0};

std::string sys_error(const char *what) { return std::string(what) + ": " + std::strerror(errno); }

// Datagrams read per drain(): a namespace whose links flap without end cannot hold the control
// thread; what is left keeps the fd readable for the next turn of its loop.
constexpr int kMaxPerDrain = 64;

}  // namespace

uint64_t foreign_link_epoch() { return g_foreign_epoch.load(std::memory_order_relaxed); }

Result<std::unique_ptr<LinkEvents>> LinkEvents::open() {
    std::unique_ptr<LinkEvents> e(new LinkEvents);
    e->fd_.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE));
    if (!e->fd_) return fail(sys_error("rtnetlink socket"));
    sockaddr_nl addr{};
    addr.nl_family = AF_NETLINK;
    if (bind(e->fd_.get(), reinterpret_cast<const sockaddr *>(&addr), sizeof(addr)) != 0)
        return fail(sys_error("binding the rtnetlink socket"));
    const int group = RTNLGRP_LINK, on = 1;
    if (setsockopt(e->fd_.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) != 0)
        return fail(sys_error("joining RTNLGRP_LINK"));
    if (setsockopt(e->fd_.get(), SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, &on, sizeof(on)) != 0)
        return fail(sys_error("NETLINK_LISTEN_ALL_NSID (Linux 4.6)"));
    g_foreign_epoch.store(1, std::memory_order_relaxed);
    return e;
}

LinkEvents::~LinkEvents() {
    // Nothing is heard any more: cached answers expire by time again.
    g_foreign_epoch.store(0, std::memory_order_relaxed);
}

bool LinkEvents::drain() {
    bool foreign = false;
    for (int i = 0; i < kMaxPerDrain; ++i) {
        alignas(nlmsghdr) char buf[8192];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
        iovec iov{buf, sizeof(buf)};
        msghdr msg{};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        msg.msg_control = control;
        msg.msg_controllen = sizeof(control);
        const ssize_t n = recvmsg(fd_.get(), &msg, MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) continue;
            if (errno == ENOBUFS) {   // the socket overflowed: what was lost may have been ours
                foreign = true;
                continue;
            }
            break;   // EAGAIN: all read
        }
        // A message from another namespace says which, by its id here; the switch's own say nothing.
        for (cmsghdr *c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_NETLINK && c->cmsg_type == NETLINK_LISTEN_ALL_NSID) foreign = true;
    }
    if (foreign) g_foreign_epoch.fetch_add(1, std::memory_order_relaxed);
    return foreign;
}

Status ensure_netns_id(int ns_fd) {
    const UniqueFd s(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!s) return fail(sys_error("rtnetlink socket"));
    struct {
        nlmsghdr h;
        rtgenmsg g;
        alignas(NLA_ALIGNTO) char attrs[2 * NLA_ALIGN(NLA_HDRLEN + sizeof(int32_t))];
    } req{};
    auto put_attr = [&](size_t at, uint16_t type, int32_t value) {
        auto *a = reinterpret_cast<nlattr *>(req.attrs + at);
        a->nla_type = type;
        a->nla_len = NLA_HDRLEN + sizeof(value);
        std::memcpy(req.attrs + at + NLA_HDRLEN, &value, sizeof(value));
    };
    put_attr(0, NETNSA_FD, ns_fd);
    put_attr(NLA_ALIGN(NLA_HDRLEN + sizeof(int32_t)), NETNSA_NSID, -1);   // -1: any free id
    req.h.nlmsg_len = sizeof(req);
    req.h.nlmsg_type = RTM_NEWNSID;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    req.g.rtgen_family = AF_UNSPEC;
    if (send(s.get(), &req, sizeof(req), 0) != static_cast<ssize_t>(sizeof(req))) return fail(sys_error("RTM_NEWNSID"));
    // rtnetlink answers within send(): the ack is there already.
    alignas(nlmsghdr) char buf[1024];
    const ssize_t n = recv(s.get(), buf, sizeof(buf), MSG_DONTWAIT);
    const auto *h = reinterpret_cast<const nlmsghdr *>(buf);
    if (n < static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr))) || h->nlmsg_type != NLMSG_ERROR)
        return fail(n < 0 ? sys_error("RTM_NEWNSID's answer") : std::string("RTM_NEWNSID: no answer"));
    const int err = -static_cast<const nlmsgerr *>(NLMSG_DATA(h))->error;
    if (err == 0 || err == EEXIST) return Ok{};   // EEXIST: it had an id already
    return fail(std::string("RTM_NEWNSID: ") + std::strerror(err));
}

}  // namespace dsw
