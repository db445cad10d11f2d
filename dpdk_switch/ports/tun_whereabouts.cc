#include "dpdk_switch/ports/tun_whereabouts.h"

#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <thread>

#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/link_events.h"

namespace dsw {

namespace {

std::optional<TunWhereabouts::NetnsId> netns_id(int ns_fd) {
    struct stat st{};
    if (fstat(ns_fd, &st) != 0) return std::nullopt;
    return TunWhereabouts::NetnsId{st.st_dev, st.st_ino};
}

// The namespace the interface of tap `fd` is in; nullopt: the kernel cannot say (< 5.2).
std::optional<TunWhereabouts::NetnsId> tap_netns(int fd) {
    const UniqueFd ns(ioctl(fd, TUNGETDEVNETNS));
    if (!ns) return std::nullopt;
    return netns_id(ns.get());
}

std::optional<TunWhereabouts::NetnsId> own_netns() {
    const UniqueFd ns(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!ns) return std::nullopt;
    return netns_id(ns.get());
}

// The interface flags (SIOCGIFFLAGS) of `name` in the namespace `ns_fd` refers to, asked from
// a thread of its own that joins that namespace and ends: no thread of the switch (the main
// lcore, a worker) ever changes namespace. No socket is kept there either: one would keep the
// namespace alive after its container is gone, and the tap in it.
std::optional<short> flags_in_netns(int ns_fd, const char *name) {
    std::optional<short> flags;
    try {
        std::thread asker([&] {
            if (setns(ns_fd, CLONE_NEWNET) != 0) return;
            const UniqueFd s(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
            if (!s) return;
            ifreq ifr{};
            std::strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
            if (ioctl(s.get(), SIOCGIFFLAGS, &ifr) == 0) flags = ifr.ifr_flags;
        });
        asker.join();
    } catch (const std::system_error &) {   // no thread to be had: unknown this time
    }
    return flags;
}

bool up_and_running(short flags) { return (flags & IFF_UP) && (flags & IFF_RUNNING); }

}  // namespace

std::unique_ptr<TunWhereabouts> TunWhereabouts::of_fd(int tap_fd) {
    std::unique_ptr<TunWhereabouts> w(new TunWhereabouts);
    w->fd_ = tap_fd;
    w->ctl_.reset(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!w->ctl_) return nullptr;
    ifreq ifr{};
    if (ioctl(w->fd_, TUNGETIFF, &ifr) != 0) return nullptr;
    w->own_netns_ = tap_netns(w->fd_);
    return w;
}

std::unique_ptr<TunWhereabouts> TunWhereabouts::of_iface(const std::string &iface) {
    const std::optional<NetnsId> here = own_netns();
    std::error_code ec;
    for (const auto &e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
        std::error_code lec;
        if (std::filesystem::read_symlink(e.path(), lec) != "/dev/net/tun") continue;
        int fd = -1;
        try {
            fd = std::stoi(e.path().filename().string());
        } catch (const std::exception &) {
            continue;
        }
        ifreq ifr{};
        if (ioctl(fd, TUNGETIFF, &ifr) != 0 || iface != ifr.ifr_name) continue;
        // A vtap of that name moved elsewhere is not it.
        if (const auto ns = tap_netns(fd); ns && here && *ns != *here) continue;
        UniqueFd dup(fcntl(fd, F_DUPFD_CLOEXEC, 0));
        if (!dup) return nullptr;
        std::unique_ptr<TunWhereabouts> w = of_fd(dup.get());
        if (w) w->owned_ = std::move(dup);
        return w;
    }
    return nullptr;
}

std::optional<TunWhereabouts::Where> TunWhereabouts::where() const {
    // Fails once the tap has no interface (its namespace was deleted).
    ifreq ifr{};
    if (ioctl(fd_, TUNGETIFF, &ifr) != 0) return std::nullopt;
    Where w;
    w.name = ifr.ifr_name;
    UniqueFd ns(own_netns_ ? ioctl(fd_, TUNGETDEVNETNS) : -1);
    if (!ns) return w;   // an older kernel: taken to be here
    const std::optional<NetnsId> id = netns_id(ns.get());
    if (!id || *id == *own_netns_) return w;
    w.netns = std::move(ns);
    w.id = *id;
    return w;
}

bool TunWhereabouts::heard(const Where &w) const {
    if (foreign_link_epoch() == 0) return false;
    if (!heard_ || heard_->ns != w.id) {
        const Status st = ensure_netns_id(w.netns.get());
        if (!st)
            DSW_LOG(WARNING, port, "interface %s, in another namespace: its link changes show up to 500 ms late "
                    "(they cannot be heard from there: %s)", w.name.c_str(), st.error().message.c_str());
        heard_ = Heard{w.id, st.ok()};
    }
    return heard_->heard;
}

bool TunWhereabouts::link_up(IfaceWhere *where_now) const {
    const std::optional<Where> w = where();
    if (where_now != nullptr) *where_now = w ? IfaceWhere{w->name, static_cast<bool>(w->netns)} : IfaceWhere{};
    if (!w) return false;
    if (!w->netns) {
        ifreq ifr{};
        std::strncpy(ifr.ifr_name, w->name.c_str(), IFNAMSIZ - 1);
        return ioctl(ctl_.get(), SIOCGIFFLAGS, &ifr) == 0 && up_and_running(ifr.ifr_flags);
    }
    // Elsewhere: asked there again once a link change there was heard; when none can be,
    // at most every kForeignRefresh (a change shows that much later).
    constexpr auto kForeignRefresh = std::chrono::milliseconds(500);
    const auto now = std::chrono::steady_clock::now();
    const uint64_t epoch = heard(*w) ? foreign_link_epoch() : 0;
    // An answer read while heard holds until the count moves; any other, kForeignRefresh.
    const bool current = foreign_ && foreign_->ns == w->id && foreign_->name == w->name &&
                         (foreign_->epoch != 0 ? foreign_->epoch == epoch : now - foreign_->at < kForeignRefresh);
    if (!current) {
        const std::optional<short> flags = flags_in_netns(w->netns.get(), w->name.c_str());
        // A read that failed (no thread to be had) is asked again after a while, not kept
        // until the next change.
        foreign_ = Foreign{w->id, w->name, flags && up_and_running(*flags), now, flags ? epoch : 0};
    }
    return foreign_->up;
}

IfaceWhere TunWhereabouts::iface_where() const {
    const std::optional<Where> w = where();
    if (!w) return {};
    return {w->name, static_cast<bool>(w->netns)};
}

}  // namespace dsw
