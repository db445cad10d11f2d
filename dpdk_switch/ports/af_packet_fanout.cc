// Who holds an af_packet port's fanout group: the packet sockets of this network namespace and
// their groups from sock_diag (NETLINK_SOCK_DIAG, packet_diag: what `ss -0` reads), the holder's
// process from /proc/<pid>/fd. Run only after a failed probe, on the control plane.
#include "dpdk_switch/ports/af_packet_fanout.h"

#include <dirent.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <optional>
#include <vector>

namespace dsw {

namespace {

struct FanoutSocket {
    uint32_t ino = 0;
    unsigned ifindex = 0;
    uint16_t group = 0;
    uint8_t type = 0;   // PACKET_FANOUT_HASH, ...
};

// One packet_diag message: its socket, if it is in a fanout group.
std::optional<FanoutSocket> fanout_of(const nlmsghdr *h) {
    if (h->nlmsg_len < NLMSG_LENGTH(sizeof(packet_diag_msg))) return std::nullopt;
    const auto *msg = static_cast<const packet_diag_msg *>(NLMSG_DATA(h));
    FanoutSocket s;
    s.ino = msg->pdiag_ino;
    bool in_group = false;
    const auto *p = reinterpret_cast<const uint8_t *>(msg) + NLMSG_ALIGN(sizeof *msg);
    size_t left = h->nlmsg_len - NLMSG_LENGTH(sizeof *msg);
    while (left >= sizeof(nlattr)) {
        nlattr a;
        std::memcpy(&a, p, sizeof a);
        if (a.nla_len < sizeof a || a.nla_len > left) break;
        const uint8_t *data = p + NLA_HDRLEN;
        if (a.nla_type == PACKET_DIAG_INFO && a.nla_len >= NLA_HDRLEN + sizeof(packet_diag_info)) {
            packet_diag_info info;
            std::memcpy(&info, data, sizeof info);
            s.ifindex = info.pdi_index;
        } else if (a.nla_type == PACKET_DIAG_FANOUT && a.nla_len >= NLA_HDRLEN + sizeof(uint32_t)) {
            uint32_t v;
            std::memcpy(&v, data, sizeof v);
            s.group = static_cast<uint16_t>(v & 0xffff);
            s.type = static_cast<uint8_t>(v >> 16);
            in_group = true;
        }
        const size_t step = NLA_ALIGN(a.nla_len);
        if (step >= left) break;
        p += step;
        left -= step;
    }
    if (!in_group) return std::nullopt;
    return s;
}

// The packet sockets of this network namespace that are in a fanout group; nullopt when
// sock_diag does not answer (no packet_diag in the kernel).
std::optional<std::vector<FanoutSocket>> fanout_sockets() {
    const int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return std::nullopt;
    struct {
        nlmsghdr h;
        packet_diag_req r;
    } req{};
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.r.sdiag_family = AF_PACKET;
    req.r.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_FANOUT;
    timeval tv{1, 0};   // the kernel answers at once; never hang a failing `port add` on it
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::optional<std::vector<FanoutSocket>> out;
    if (send(fd, &req, sizeof req, 0) == static_cast<ssize_t>(sizeof req)) {
        std::vector<FanoutSocket> found;
        alignas(nlmsghdr) static thread_local char buf[32768];
        bool done = false, failed = false;
        while (!done && !failed) {
            const ssize_t n = recv(fd, buf, sizeof buf, 0);
            if (n <= 0) break;
            int len = static_cast<int>(n);
            for (auto *h = reinterpret_cast<nlmsghdr *>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
                if (h->nlmsg_type == NLMSG_DONE) done = true;
                else if (h->nlmsg_type == NLMSG_ERROR) failed = true;
                else if (auto s = fanout_of(h)) found.push_back(*s);
                if (done || failed) break;
            }
        }
        if (done) out = std::move(found);
    }
    close(fd);
    return out;
}

// "pid 1234 (testpmd)" for the process holding socket inode `ino`, or "another process".
std::string owner_of(uint32_t ino) {
    const std::string want = "socket:[" + std::to_string(ino) + "]";
    DIR *procs = opendir("/proc");
    if (procs == nullptr) return "another process";
    std::string found;
    while (found.empty()) {
        const dirent *p = readdir(procs);
        if (p == nullptr) break;
        if (p->d_name[0] < '0' || p->d_name[0] > '9') continue;
        const std::string dir = std::string("/proc/") + p->d_name;
        DIR *fds = opendir((dir + "/fd").c_str());
        if (fds == nullptr) continue;
        while (const dirent *f = readdir(fds)) {
            char target[64];
            const ssize_t n = readlink((dir + "/fd/" + f->d_name).c_str(), target, sizeof target - 1);
            if (n <= 0 || want.compare(0, want.size(), target, static_cast<size_t>(n)) != 0) continue;
            std::string comm;
            std::getline(std::ifstream(dir + "/comm"), comm);
            found = "pid " + std::string(p->d_name) + (comm.empty() ? "" : " (" + comm + ")");
            break;
        }
        closedir(fds);
    }
    closedir(procs);
    return found.empty() ? "another process" : found;
}

std::string iface_name(unsigned ifindex) {
    char name[IF_NAMESIZE] = {};
    if (if_indextoname(ifindex, name) == nullptr) return "ifindex " + std::to_string(ifindex);
    return std::string(name) + " (ifindex " + std::to_string(ifindex) + ")";
}

constexpr const char *kRemedy =
    "start the switch again (another pid, another group) or make the port `type: veth` (the switch's "
    "own I/O, which has no fanout)";

}  // namespace

std::string af_packet_fanout_clash(const std::string &iface) {
    const unsigned ifindex = if_nametoindex(iface.c_str());
    if (ifindex == 0) return "";
    const pid_t pid = getpid();
    const uint16_t group = af_packet_fanout_group(pid, ifindex);
    const std::string ours = "PACKET_FANOUT group " + std::to_string(group) + " (net_af_packet's (pid " +
                             std::to_string(pid) + " ^ ifindex " + std::to_string(ifindex) + ") & 0xffff)";
    const auto sockets = fanout_sockets();
    if (!sockets)
        return "if the log says 'could not set PACKET_FANOUT', another process's packet socket on another "
               "interface holds the port's " + ours + ": " + kRemedy;
    for (const FanoutSocket &s : *sockets) {
        // The PMD's own sockets on this interface (another queue pair) share the group by design.
        if (s.group != group || (s.ifindex == ifindex && s.type == PACKET_FANOUT_HASH)) continue;
        return "the port's " + ours + " is taken in this network namespace by a packet socket on " +
               iface_name(s.ifindex) + " of " + owner_of(s.ino) +
               ", and the kernel keeps a group to one interface: " + kRemedy;
    }
    return "";
}

}  // namespace dsw
