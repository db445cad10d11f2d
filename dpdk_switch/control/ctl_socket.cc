#include "dpdk_switch/control/ctl_socket.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dpdk_switch/control/file_kind.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/run_dir.h"
#include "dpdk_switch/unix_socket.h"

namespace dsw {

std::string default_ctl_socket(const std::string &file_prefix) {
    return std::string(kRunDir) + "/" + (file_prefix.empty() ? std::string("rte") : file_prefix) + ".sock";
}

std::string encode_reply(const Reply &r) {
    nlohmann::json j = {{"ok", r.ok}, {"text", r.text}, {"json", r.json}};
    // Replace invalid UTF-8 (a client's garbage echoed in an error) instead of throwing.
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

namespace {
bool set_nonblocking(int fd) { return fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == 0; }

sockaddr_un unix_address(const std::string &path) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.c_str(), std::min(path.size() + 1, sizeof addr.sun_path));
    return addr;
}

Status config_fail(const std::string &message) { return fail(message, kExitConfigError); }

// A refused client is told why before it is closed: nothing was written to it before, so the
// line fits in its socket buffer.
void refuse(int fd, const std::string &reason) {
    const std::string line = encode_reply(Reply::error(reason));
    [[maybe_unused]] ssize_t w = send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    close(fd);
}

std::string seconds_text(CtlServer::Clock::duration d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", std::chrono::duration<double>(d).count());
    return buf;
}

CtlServer::Clock::duration idle_timeout_from_env() {
    const char *v = std::getenv("DSW_CTL_IDLE_TIMEOUT_S");
    if (v == nullptr) return kCtlIdleTimeout;
    char *end = nullptr;
    const double s = std::strtod(v, &end);
    if (end == v || *end != '\0' || !(s > 0 && s <= 86400)) {
        DSW_LOG(WARNING, ctl, "ignoring DSW_CTL_IDLE_TIMEOUT_S=%s (seconds, 0 < s <= 86400)", v);
        return kCtlIdleTimeout;
    }
    return std::chrono::duration_cast<CtlServer::Clock::duration>(std::chrono::duration<double>(s));
}

// A client that waits for nothing from us: no command read and not run, no answer untaken.
bool idle(const std::string &in, const std::string &out, bool closing) {
    return !closing && out.empty() && in.find('\n') == std::string::npos;
}
}  // namespace

Status check_ctl_socket_path(const std::string &path) {
    constexpr size_t kMax = sizeof(sockaddr_un::sun_path) - 1;   // room for the terminating NUL
    if (path.empty()) return config_fail("empty path");
    if (path.size() > kMax)
        return config_fail(path + " is longer than " + std::to_string(kMax) + " bytes, the limit of a unix socket path");
    struct stat st {};
    if (lstat(path.c_str(), &st) != 0) {
        if (errno == ENOENT) return Ok{};   // bound fresh (its directory is created if missing)
        if (errno == ENOTDIR) return config_fail(path + ": a parent of it is not a directory");
        return config_fail(path + ": " + std::strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return config_fail(path + " is a directory");
    // A user's file at the path is never ours to replace, whatever its name suggests.
    if (!S_ISSOCK(st.st_mode)) return config_fail(path + " is " + file_kind(st.st_mode) + ", not a socket: refusing to replace it");
    int err = 0;
    switch (probe_listener(path, err)) {
    case Listener::nobody:
        return Ok{};   // stale: replaced when the switch binds
    case Listener::someone:
        return config_fail("control socket " + path + " is in use by another switch");
    case Listener::unknown:
        break;
    }
    return config_fail("cannot tell whether something listens on " + path + ": " + std::strerror(err));
}

Result<CtlServer> CtlServer::listen(const std::string &path) {
    if (path.size() >= sizeof(sockaddr_un::sun_path)) return fail("control socket path too long: " + path);
    const sockaddr_un addr = unix_address(path);

    std::error_code ec;
    const auto dir = std::filesystem::path(path).parent_path();
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    if (ec) return fail("cannot create " + dir.string() + ": " + ec.message());

    CtlServer s;
    s.listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s.listen_fd_ < 0) return fail(std::string("socket: ") + std::strerror(errno));
    // Created with 0600 from the start (umask), so there is no window where others can connect.
    // bind never replaces a file: only what check_ctl_socket_path calls stale is removed, and
    // checked again here, since the path may have changed while the ports started.
    const auto bind_0600 = [&] {
        const mode_t old = umask(0177);
        const int rc = bind(s.listen_fd_, reinterpret_cast<const sockaddr *>(&addr), sizeof addr);
        umask(old);
        return rc;
    };
    int rc = bind_0600();
    if (rc != 0 && errno == EADDRINUSE) {
        if (auto st = check_ctl_socket_path(path); !st) return st.error();
        if (unlink(path.c_str()) == 0) DSW_LOG(INFO, ctl, "removed stale control socket %s (nobody listens on it)", path.c_str());
        rc = bind_0600();
    }
    if (rc != 0) return fail("cannot bind control socket " + path + ": " + std::strerror(errno));
    s.path_ = path;   // from here on the destructor removes the file
    struct stat st {};
    if (lstat(path.c_str(), &st) == 0) {
        s.dev_ = st.st_dev;
        s.ino_ = st.st_ino;
    }
    if (::listen(s.listen_fd_, 16) != 0 || !set_nonblocking(s.listen_fd_))
        return fail("cannot listen on " + path + ": " + std::strerror(errno));
    s.idle_timeout_ = idle_timeout_from_env();
    DSW_LOG(INFO, ctl, "control socket %s", path.c_str());
    return s;
}

CtlServer::CtlServer(CtlServer &&o) noexcept
    : path_(std::move(o.path_)), listen_fd_(o.listen_fd_), dev_(o.dev_), ino_(o.ino_), idle_timeout_(o.idle_timeout_),
      clients_(std::move(o.clients_)) {
    o.listen_fd_ = -1;
    o.clients_.clear();
}

CtlServer::~CtlServer() {
    for (auto &c : clients_) close(c.fd);
    if (listen_fd_ < 0) return;
    close(listen_fd_);
    // Only the socket we bound: whatever took the path since (removed and reused) is not ours.
    struct stat st {};
    if (!path_.empty() && lstat(path_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev_ && st.st_ino == ino_)
        unlink(path_.c_str());
}

void CtlServer::add_pollfds(std::vector<pollfd> &fds) const {
    if (listen_fd_ >= 0) fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto &c : clients_) {
        short events = c.out.empty() ? 0 : POLLOUT;
        if (c.in.size() < kMaxCtlInput) events |= POLLIN;   // else: let its socket buffer fill
        fds.push_back({c.fd, events, 0});
    }
}

void CtlServer::accept_clients() {
    for (;;) {
        const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) return;
        // Only root (or the switch's own user) may drive the switch, whatever the file mode says.
        ucred cred{};
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || (cred.uid != 0 && cred.uid != geteuid())) {
            DSW_LOG(WARNING, ctl, "refused control client uid %u", cred.uid);
            refuse(fd, "permission denied: only root (uid 0) may drive the switch");
            continue;
        }
        if (clients_.size() >= kMaxCtlClients && !make_room()) {
            refuse(fd, "too many control clients, each waiting for an answer");
            continue;
        }
        clients_.push_back({fd, {}, {}, false, Clock::now()});
    }
}

// The table is full: the client idle the longest leaves, told why, so that a new client is
// never refused because of idle ones. One that waits for an answer is never chosen.
bool CtlServer::make_room() {
    auto victim = clients_.end();
    for (auto it = clients_.begin(); it != clients_.end(); ++it)
        if (idle(it->in, it->out, it->closing) && (victim == clients_.end() || it->last_active < victim->last_active))
            victim = it;
    if (victim == clients_.end()) return false;
    DSW_LOG(INFO, ctl, "closing the control client idle the longest, to make room for a new one");
    close_with(*victim, "closed to make room for a new client: too many control clients, and this one was idle the longest");
    close(victim->fd);   // now, even if its socket did not take the reason
    clients_.erase(victim);
    return true;
}

void CtlServer::close_with(Client &c, const std::string &reason) {
    c.out += encode_reply(Reply::error(reason));
    c.in.clear();
    c.closing = true;
    write_client(c);
}

void CtlServer::read_client(Client &c) {
    // Read only while fewer than a few lines wait: a client that pipes thousands of commands
    // is held back by its own socket buffer instead of by our memory.
    char buf[4096];
    while (c.in.size() < kMaxCtlInput) {
        const ssize_t n = read(c.fd, buf, sizeof buf);
        if (n == 0) {
            c.closing = true;   // peer closed; whatever it sent is answered first
            break;
        }
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) c.closing = true;
            break;
        }
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > kMaxCtlLine && c.in.find('\n') == std::string::npos) {
            c.out += encode_reply(Reply::error("command line longer than " + std::to_string(kMaxCtlLine) + " bytes"));
            c.in.clear();
            c.closing = true;
            break;
        }
    }
}

void CtlServer::run_lines(Client &c, const Handler &handler) {
    // A few commands per client per turn, so that one busy client never delays the others by
    // more than that; and none while its unread answers are over the limit.
    size_t nl;
    for (unsigned done = 0; done < kCtlCommandsPerTurn && (nl = c.in.find('\n')) != std::string::npos; ++done) {
        if (c.out.size() > kMaxCtlPendingOutput) {   // a client that never reads
            DSW_LOG(WARNING, ctl, "dropping control client: %zu bytes unread", c.out.size());
            c.out.clear();
            c.in.clear();
            c.closing = true;
            return;
        }
        std::string line = c.in.substr(0, nl);
        c.in.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > kMaxCtlLine) {
            c.out += encode_reply(Reply::error("command line too long"));
            continue;
        }
        Reply r = handler(line);
        c.last_active = Clock::now();   // not idle while its command ran, however long
        c.out += encode_reply(r);
        if (r.quit) {
            c.closing = true;
            c.in.clear();
        }
    }
}

bool CtlServer::busy() const {
    for (const auto &c : clients_)
        if (!c.closing && c.in.find('\n') != std::string::npos) return true;
    return false;
}

void CtlServer::write_client(Client &c) {
    while (!c.out.empty()) {
        const ssize_t n = send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
        if (n <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                c.out.clear();
                c.closing = true;
            }
            return;
        }
        c.out.erase(0, static_cast<size_t>(n));
        c.last_active = Clock::now();   // a client that reads a long answer is not idle
    }
}

void CtlServer::service(const std::vector<pollfd> &fds, const Handler &handler) {
    for (const pollfd &p : fds) {
        if (p.revents == 0) continue;
        if (p.fd == listen_fd_) {
            accept_clients();
            continue;
        }
        auto it = std::find_if(clients_.begin(), clients_.end(), [&](const Client &c) { return c.fd == p.fd; });
        if (it == clients_.end()) continue;
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) read_client(*it);
    }
    for (Client &c : clients_) {   // also those with commands left from an earlier turn
        run_lines(c, handler);
        write_client(c);
    }
    // Forgotten connections would hold the client slots for ever; close them, saying why.
    const Clock::time_point now = Clock::now();
    for (Client &c : clients_) {
        if (now - c.last_active < idle_timeout_) continue;
        if (c.closing) {
            c.out.clear();   // not even its last answer was taken in that time
            continue;
        }
        DSW_LOG(INFO, ctl, "closing a control client idle for %s s", seconds_text(idle_timeout_).c_str());
        close_with(c, "closed after " + seconds_text(idle_timeout_) + " s without a command");
    }
    std::erase_if(clients_, [](const Client &c) {
        if (c.closing && c.out.empty()) {
            close(c.fd);
            return true;
        }
        return false;
    });
}

}  // namespace dsw
