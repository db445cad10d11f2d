// TunWhereabouts: where a TAP's interface is now and whether its link is up, asked of the tap's
// own file descriptor (/dev/net/tun) rather than by the name it was made with. A container
// runtime (or `ip link set ... netns`) moves the interface into the container's namespace,
// often renamed eth0: by its old name in the switch's namespace it reads as down, or as another
// interface that took the name. The fd says its name now (TUNGETIFF) and its namespace
// (TUNGETDEVNETNS, Linux 5.2; before, it is taken to be in the switch's). Control plane only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dpdk_switch/ports/iface_where.h"
#include "dpdk_switch/unique_fd.h"

namespace dsw {

class TunWhereabouts {
public:
    // Follows the tap of `tap_fd`, which the caller keeps open while this lives (a vtap closes
    // its tap after this goes); made while the interface is in the switch's namespace. Null if
    // the fd is no tap with an interface, or no socket can be had.
    static std::unique_ptr<TunWhereabouts> of_fd(int tap_fd);
    // The same for a tap another owner opened (net_tap): one of this process's /dev/net/tun fds
    // whose interface is `iface` in the switch's namespace. That fd is the PMD's, closed when it
    // likes, so this follows a duplicate, kept open until this goes (the interface lives as
    // long). Null if none is.
    static std::unique_ptr<TunWhereabouts> of_iface(const std::string &iface);
    TunWhereabouts(const TunWhereabouts &) = delete;
    TunWhereabouts &operator=(const TunWhereabouts &) = delete;

    // Up and running, where it is now. Asked in another namespace from a short-lived thread
    // that joins it, again once LinkEvents heard a link change in another namespace; when
    // nothing can be heard there (no LinkEvents open, no namespace id to be had), at most every
    // 500 ms (the control thread asks every 50 ms).
    // `where`, when given, gets what iface_where() would answer, from the same look (one
    // TUNGETIFF and namespace query for both: `show port info` asks both of each row).
    bool link_up(IfaceWhere *where = nullptr) const;
    // Its name now and whether that is in another namespace; no name once it is gone.
    IfaceWhere iface_where() const;
    // A datagram socket in the switch's namespace, for ioctls on interfaces there (SIOCGIFFLAGS):
    // a vtap sets its tap's MTU and flags through it rather than a socket of its own.
    int ctl() const { return ctl_.get(); }

    struct NetnsId {
        dev_t dev = 0;
        ino_t ino = 0;
        bool operator==(const NetnsId &) const = default;
    };

private:
    TunWhereabouts() = default;
    struct Where {
        std::string name;
        UniqueFd netns;   // its namespace's fd when not the switch's
        NetnsId id;
    };
    std::optional<Where> where() const;   // nullopt: the tap has no interface any more
    // Whether LinkEvents hears the links of `w`'s namespace (w is elsewhere): it is open, and
    // that namespace has an id here, given one the first time it is asked of it.
    bool heard(const Where &w) const;

    int fd_ = -1;      // the tap: the caller's (of_fd), or owned_ (of_iface)
    UniqueFd owned_;   // of_iface's duplicate of the PMD's fd
    UniqueFd ctl_;     // a socket in the switch's namespace, for the flags there
    std::optional<NetnsId> own_netns_;
    // link_up's last answer from another namespace, its key, its time and foreign_link_epoch()
    // then (0: not heard, so good for 500 ms).
    struct Foreign {
        NetnsId ns;
        std::string name;
        bool up = false;
        std::chrono::steady_clock::time_point at;
        uint64_t epoch = 0;
    };
    mutable std::optional<Foreign> foreign_;
    // The last other namespace heard() was asked of, and its answer.
    struct Heard {
        NetnsId ns;
        bool heard = false;
    };
    mutable std::optional<Heard> heard_;
};

}  // namespace dsw
