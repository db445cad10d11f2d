// LinkEvents: link changes of interfaces in other network namespaces, heard as the kernel sends
// them rather than asked for now and then. A tap or vtap whose interface a container runtime
// moved into its namespace has its link read there by a thread that joins that namespace
// (TunWhereabouts), which is too dear to do at every ask: the answer is kept, until a change
// is heard here, or for a while when nothing can be heard.
//
// One rtnetlink socket in the switch's namespace, subscribed to RTNLGRP_LINK with
// NETLINK_LISTEN_ALL_NSID (Linux 4.6): it hears every namespace that has an id in the switch's
// (one an interface was moved to from here has; TunWhereabouts gives one to one that has not).
// Not a socket made inside that namespace: that one would keep the namespace alive once its
// container is gone, and the tap's interface in it with it.
//
// Control plane only (the main lcore's loop polls its fd; `show port` reads what it heard).
#pragma once

#include <cstdint>
#include <memory>

#include "dpdk_switch/result.h"
#include "dpdk_switch/unique_fd.h"

namespace dsw {

class LinkEvents {
public:
    // One at a time: while it lives, foreign_link_epoch() counts what it heard.
    static Result<std::unique_ptr<LinkEvents>> open();
    ~LinkEvents();
    LinkEvents(const LinkEvents &) = delete;
    LinkEvents &operator=(const LinkEvents &) = delete;

    int fd() const { return fd_.get(); }
    // Reads what has come (without blocking); true if a link changed in another namespace, or
    // the kernel dropped messages for want of room (then any may have). Then foreign_link_epoch()
    // has moved on.
    bool drain();

private:
    LinkEvents() = default;
    UniqueFd fd_;
};

// How many times LinkEvents has heard a link change in another namespace, plus one: an answer
// read at one count is current until the count moves. 0: no LinkEvents is open (nothing is heard).
uint64_t foreign_link_epoch();

// Gives the namespace of `ns_fd` an id in the switch's (RTM_NEWNSID, as `ip netns set NAME auto`),
// unless it has one, so that LinkEvents hears its links. An error says why not.
Status ensure_netns_id(int ns_fd);

}  // namespace dsw
