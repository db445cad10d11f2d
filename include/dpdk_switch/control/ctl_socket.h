// CtlServer: the control socket. A Unix stream socket (mode 0600, root-only) speaking lines: a
// client sends one command per line and gets one JSON line back,
// {"ok":bool,"text":"...","json":{...}}. Non-blocking and bounded (line length, clients,
// unsent output), serviced from the main lcore's poll loop, so a slow or hostile client can
// neither block the control plane nor grow its memory without bound. The server writes a line
// unasked only just before it closes a connection, to say why (not root, idle, room needed).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/types.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/result.h"

namespace dsw {

inline constexpr size_t kMaxCtlLine = 4096;
inline constexpr size_t kMaxCtlClients = 16;
inline constexpr size_t kMaxCtlPendingOutput = 4 << 20;
inline constexpr size_t kMaxCtlInput = 2 * kMaxCtlLine;   // read no further ahead than this
inline constexpr unsigned kCtlCommandsPerTurn = 8;
// A client that neither sends a command nor takes an answer for this long is closed, so that
// forgotten connections cannot hold the client slots. $DSW_CTL_IDLE_TIMEOUT_S overrides it
// (undocumented: for tests, which cannot wait a minute).
inline constexpr std::chrono::seconds kCtlIdleTimeout{60};

std::string default_ctl_socket(const std::string &file_prefix);
std::string encode_reply(const Reply &r);

// Whether `path` may become the control socket, checked before EAL starts: nothing there yet,
// or a unix socket nobody listens on (left by a killed switch). Anything else (a regular file,
// a directory, a symlink, a fifo, a live switch's socket) is an error with exit code 2 whose
// message says what is there; the caller prefixes the option or key it came from.
Status check_ctl_socket_path(const std::string &path);

class CtlServer {
public:
    using Handler = std::function<Reply(const std::string &line)>;
    using Clock = std::chrono::steady_clock;

    static Result<CtlServer> listen(const std::string &path);
    CtlServer(CtlServer &&o) noexcept;
    CtlServer &operator=(CtlServer &&) = delete;
    ~CtlServer();

    const std::string &path() const { return path_; }
    void add_pollfds(std::vector<pollfd> &fds) const;
    // Services whatever of `fds` belongs to this server, and closes idle clients.
    void service(const std::vector<pollfd> &fds, const Handler &handler);
    // Commands wait that were read but not run yet: poll without sleeping.
    bool busy() const;

private:
    struct Client {
        int fd;
        std::string in, out;
        bool closing = false;
        // The last accept, command or answer bytes taken: a partial line does not count, so
        // that a byte a minute cannot hold a slot.
        Clock::time_point last_active;
    };
    CtlServer() = default;
    void accept_clients();
    bool make_room();
    void read_client(Client &c);
    void run_lines(Client &c, const Handler &handler);
    void write_client(Client &c);
    void close_with(Client &c, const std::string &reason);

    std::string path_;
    int listen_fd_ = -1;
    dev_t dev_ = 0;   // the socket file we bound: removed at exit only if it still is that one
    ino_t ino_ = 0;
    Clock::duration idle_timeout_ = kCtlIdleTimeout;
    std::vector<Client> clients_;
};

}  // namespace dsw
