// memif: shared-memory packet interface, the one VPP speaks (and DPDK's net_memif). The server
// (DPDK 22.11's name for master) listens on `socket`; a client (slave) connects and makes the
// shared regions, which the server maps. `id` names the interface the client asks for.
// The socket is a file-system path, as VPP's is (/run/vpp/memif.sock), not net_memif's default
// abstract name: a DPDK peer passes socket-abstract=no too.
//
// Our own implementation, not DPDK 22.11's net_memif, because net_memif cannot be made safe
// from outside: when the peer dies, its interrupt thread clears CONNECTED and at once unmaps
// the regions and frees their structs, with no wait for a worker inside its rx/tx burst (which
// test CONNECTED only on entry): the worker then reads unmapped memory (SIGSEGV), and no
// callback lets the switch make it wait. It also trusts every descriptor the peer writes
// (region index, offset, length: used unchecked), so a hostile client could make the switch
// read or write out of bounds. Debian 12 has no libmemif to use instead (only DPDK's PMD).
//
// The protocol is in memif_session.cc (handshake) and memif_queue.cc (rings). Here: the port,
// its control thread and the gate between that thread and the worker.
//
// The control thread: one per port, sleeping in poll() on the listening socket (or, as client,
// retrying connect once a second), the session's socket and a wake eventfd; it never touches a
// ring. Its own thread rather than the switch's control loop: the ports layer cannot reach
// control/ (the layer rule), a handshake must not wait behind a slow command, and a sleeping
// thread costs nothing. It is made by the thread that opens the port (the main lcore, or the
// control plane's), whose CPU set it inherits: never a worker's core.
//
// The gate. Who writes: the control thread publishes the connected MemifQueue (release) and
// takes it back (null). Who reads: the one worker polling the port, per burst. What protects
// it: the worker raises its busy flag, a seq_cst fence, then loads the queue; the control
// thread stores null, a seq_cst fence, then waits (sleeping, never the worker) until neither
// busy flag is up. Either the worker saw null, or the thread sees it busy and waits for it to
// leave; only then are the regions unmapped and the queue freed. The worker never blocks: its
// cost is one fence per burst.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <thread>

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/memif_session.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

// How long a peer may take from connecting to CONNECT before it is dropped.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
// How often the control thread looks at a connected queue's fault flag, and retries a
// client's connect: a sleeping thread's wake-ups, nothing per packet.
constexpr int kWatchMs = 100;
constexpr auto kRetry = std::chrono::seconds(1);

std::string sys_error(const PortConfig &p, const std::string &what) {
    return "port " + p.name + ": " + what + ": " + std::strerror(errno);
}

bool fill_addr(const std::string &path, sockaddr_un &a) {
    if (path.size() >= sizeof a.sun_path) return false;
    a = sockaddr_un{};
    a.sun_family = AF_UNIX;
    std::memcpy(a.sun_path, path.data(), path.size());
    return true;
}

class MemifPort : public OwnIoPort {
public:
    ~MemifPort() override;
    const PortIo &io() const override { return io_; }
    bool link_up() const override { return connected_.load(std::memory_order_acquire); }

    static Result<std::unique_ptr<OwnIoPort>> open(const PortConfig &p, rte_mempool *pool);

private:
    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
        auto *self = static_cast<MemifPort *>(ctx);
        Gate &g = self->gate_;
        g.rx_busy.store(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        MemifQueue *q = g.queue.load(std::memory_order_acquire);
        const uint16_t got = q != nullptr ? q->rx(pkts, n, pc) : 0;
        g.rx_busy.store(0, std::memory_order_release);
        return got;
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
        auto *self = static_cast<MemifPort *>(ctx);
        Gate &g = self->gate_;
        g.tx_busy.store(1, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        MemifQueue *q = g.queue.load(std::memory_order_acquire);
        refused = 0;
        const uint16_t sent = q != nullptr ? q->tx(pkts, n, refused) : 0;
        g.tx_busy.store(0, std::memory_order_release);
        return sent;
    }

    void run();
    void accept_peer();
    void try_connect();
    void publish(MemifSession &s);
    void end_session(const std::string &why);

    struct alignas(64) Gate {
        std::atomic<MemifQueue *> queue{nullptr};
        std::atomic<uint32_t> rx_busy{0}, tx_busy{0};
    };
    Gate gate_;
    std::atomic<bool> connected_{false};
    PortConfig cfg_;
    MemifSession::Params params_;
    int listen_fd_ = -1;
    ino_t listen_ino_ = 0;   // the socket file we bound, removed at close if still ours
    int wake_fd_ = -1;
    std::unique_ptr<MemifSession> session_;
    std::chrono::steady_clock::time_point deadline_{}, next_try_{};
    bool said_unreachable_ = false;
    std::thread thread_;
    PortIo io_;
};

MemifPort::~MemifPort() {
    if (thread_.joinable()) {
        const uint64_t one = 1;
        [[maybe_unused]] const ssize_t w = write(wake_fd_, &one, sizeof one);
        thread_.join();
    }
    if (wake_fd_ >= 0) close(wake_fd_);
    if (listen_fd_ >= 0) {
        close(listen_fd_);
        struct stat st {};
        if (lstat(cfg_.socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == listen_ino_)
            unlink(cfg_.socket.c_str());
    }
}

void MemifPort::publish(MemifSession &s) {
    gate_.queue.store(s.queue(), std::memory_order_release);
    connected_.store(true, std::memory_order_release);
    DSW_LOG(INFO, port, "port %s: memif %s on %s id %u: peer connected (%s), %u-slot rings", cfg_.name.c_str(),
            cfg_.role.c_str(), cfg_.socket.c_str(), cfg_.id, s.peer_name().c_str(), 1u << s.log2_ring_size());
}

void MemifPort::end_session(const std::string &why) {
    if (!session_) return;
    if (gate_.queue.load(std::memory_order_relaxed) != nullptr) {
        gate_.queue.store(nullptr, std::memory_order_relaxed);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        while (gate_.rx_busy.load(std::memory_order_acquire) != 0 || gate_.tx_busy.load(std::memory_order_acquire) != 0)
            std::this_thread::sleep_for(std::chrono::microseconds(20));
        connected_.store(false, std::memory_order_release);
        DSW_LOG(WARNING, port, "port %s: memif peer disconnected: %s", cfg_.name.c_str(), why.c_str());
    } else {
        DSW_LOG(WARNING, port, "port %s: memif handshake failed: %s", cfg_.name.c_str(), why.c_str());
    }
    // No worker can reach the queue now: unmapping is safe.
    session_->say_disconnect(why);
    session_.reset();
    next_try_ = std::chrono::steady_clock::now() + kRetry;
}

void MemifPort::accept_peer() {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) return;
    if (session_) {
        // One peer per interface: a second is told so and closed (the first keeps going).
        MemifSession extra(fd, params_);
        extra.say_disconnect("interface already connected");
        DSW_LOG(WARNING, port, "port %s: memif: a second peer was refused (one is connected or connecting)",
                cfg_.name.c_str());
        return;
    }
    session_ = std::make_unique<MemifSession>(fd, params_);
    deadline_ = std::chrono::steady_clock::now() + kHandshakeTimeout;
    std::string why;
    if (session_->start(why) == MemifSession::Step::over) end_session(why);
}

void MemifPort::try_connect() {
    next_try_ = std::chrono::steady_clock::now() + kRetry;
    sockaddr_un a;
    if (!fill_addr(cfg_.socket, a)) return;
    const int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return;
    if (connect(fd, reinterpret_cast<const sockaddr *>(&a), sizeof a) != 0) {
        if (!said_unreachable_)
            DSW_LOG(INFO, port, "port %s: memif server %s not there yet (%s): retrying every second", cfg_.name.c_str(),
                    cfg_.socket.c_str(), std::strerror(errno));
        said_unreachable_ = true;
        close(fd);
        return;
    }
    said_unreachable_ = false;
    session_ = std::make_unique<MemifSession>(fd, params_);
    deadline_ = std::chrono::steady_clock::now() + kHandshakeTimeout;
}

void MemifPort::run() {
    for (;;) {
        pollfd fds[3];
        nfds_t n = 0;
        fds[n++] = {wake_fd_, POLLIN, 0};
        if (listen_fd_ >= 0) fds[n++] = {listen_fd_, POLLIN, 0};
        const nfds_t sess = n;
        if (session_) fds[n++] = {session_->fd(), POLLIN, 0};
        const int timeout = session_ || listen_fd_ < 0 ? kWatchMs : -1;
        if (poll(fds, n, timeout) < 0 && errno != EINTR) break;
        if (fds[0].revents != 0) break;   // the port closes
        if (listen_fd_ >= 0 && (fds[1].revents & POLLIN)) accept_peer();
        if (session_ && sess < n && fds[sess].revents != 0 && fds[sess].fd == session_->fd()) {
            std::string why;
            switch (session_->on_readable(why)) {
            case MemifSession::Step::connected: publish(*session_); break;
            case MemifSession::Step::over: end_session(why); break;
            case MemifSession::Step::more: break;
            }
        }
        if (session_) {
            const MemifQueue *q = gate_.queue.load(std::memory_order_relaxed);
            if (q != nullptr && q->fault() != MemifFault::none)
                end_session(std::string("the peer broke the ring: ") + memif_fault_text(q->fault()));
            else if (q == nullptr && std::chrono::steady_clock::now() > deadline_)
                end_session("the handshake did not finish in 5 s");
        }
        if (!session_ && listen_fd_ < 0 && std::chrono::steady_clock::now() >= next_try_) try_connect();
    }
    end_session("the port is closing");
}

Result<std::unique_ptr<OwnIoPort>> MemifPort::open(const PortConfig &p, rte_mempool *pool) {
    auto port = std::make_unique<MemifPort>();
    port->cfg_ = p;
    port->params_ = MemifSession::Params{p.role != "client", p.id, p.name, pool, kMaxFrameLen};
    sockaddr_un a;
    if (!fill_addr(p.socket, a)) return fail("port " + p.name + ": memif socket path " + p.socket + " is too long");
    port->wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (port->wake_fd_ < 0) return fail(sys_error(p, "eventfd"));
    if (port->params_.server) {
        remove_stale_socket(p.socket);
        port->listen_fd_ = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (port->listen_fd_ < 0) return fail(sys_error(p, "memif socket"));
        if (bind(port->listen_fd_, reinterpret_cast<const sockaddr *>(&a), sizeof a) != 0)
            return fail(sys_error(p, "binding memif socket " + p.socket +
                                         (errno == EADDRINUSE ? " (someone listens on it: another process, or another "
                                                                "memif port of this switch: one id per socket here)"
                                                              : "")));
        struct stat st {};
        if (lstat(p.socket.c_str(), &st) == 0) port->listen_ino_ = st.st_ino;
        if (listen(port->listen_fd_, 4) != 0) return fail(sys_error(p, "listening on " + p.socket));
    }
    port->io_ = PortIo{rx, tx, port.get()};
    MemifPort *raw = port.get();
    port->thread_ = std::thread([raw] { raw->run(); });
    DSW_LOG(INFO, port, "port %s: memif %s on %s id %u (the switch's own memif, copying; 2048-byte buffers)",
            p.name.c_str(), p.role.c_str(), p.socket.c_str(), p.id);
    return std::unique_ptr<OwnIoPort>(std::move(port));
}

Result<MbufNeeds> memif_mbufs(const PortConfig &p) {
    if (p.queues != 1)
        return fail("port " + p.name + ": a memif port has one queue pair (queues: " + std::to_string(p.queues) + ")");
    // A burst's worth stashed for RX (MemifQueue::Stash), and a burst of RX frames in flight,
    // each a chain of up to five 2 KB mbufs.
    return MbufNeeds{.shared = kMaxBurst + kMaxBurst * ((kMaxFrameLen + 2047) / 2048)};
}

Attachment memif_attachment(const PortConfig &p) {
    return {"socket", "memif socket " + p.socket + " id " + std::to_string(p.id)};
}

std::string memif_peer(const PortConfig &p) {
    return "memif " + p.role + " on " + p.socket + " id " + std::to_string(p.id);
}

}  // namespace

extern const PortKind memif_kind{
    .type = PortType::memif, .name = "memif", .required = "socket", .options = {"id", "role"},
    .open_own = MemifPort::open, .own_mbufs = memif_mbufs, .peer = true, .attachment = memif_attachment,
    .peer_of = memif_peer,
};

}  // namespace dsw
