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
// The control thread: one per port, sleeping in poll() on the listening socket (shared by the
// server ports of one socket: SharedListener), or as client retrying connect once a second, the
// sessions' sockets and a wake eventfd; it never touches a ring. Its own thread rather than the switch's control loop: the ports layer cannot reach
// control/ (the layer rule), a handshake must not wait behind a slow command, and a sleeping
// thread costs nothing. It is made by the thread that opens the port (the main lcore, or the
// control plane's), whose CPU set it inherits: never a worker's core.
//
// The gate. Who writes: the control thread publishes the connected MemifQueue (release) and
// takes it back (null). Who reads: the one worker polling the port, per burst. What protects
// it: the worker raises its busy flag, then loads the queue; the control thread stores null,
// then waits (sleeping, never the worker) until neither busy flag is up. Either the worker saw
// null, or the thread sees it busy and waits for it to leave; only then are the regions
// unmapped and the queue freed. The worker never blocks.
// Between the flag's store and the queue's load both sides need a full barrier (a store may
// pass a later load). The worker's is paid per burst, the thread's once a session: so the
// thread pays for both with membarrier(PRIVATE_EXPEDITED), which runs a full barrier on every
// CPU running one of our threads, and the worker's is only the compiler's. A fence there
// waits for the burst's stores to the peer's lines to drain, which cost the memif loop more
// than the fence itself (BENCHMARKS.md, mprf). Where the kernel refuses membarrier the worker
// fences as before (chosen once, when the port opens).
#include <linux/membarrier.h>
#include <poll.h>
#include <sys/syscall.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/memif_session.h"
#include "dpdk_switch/ports/port_kind.h"
#include "dpdk_switch/unique_fd.h"

namespace dsw {

namespace {

// How long a peer may take from connecting to CONNECT before it is dropped.
constexpr auto kHandshakeTimeout = std::chrono::seconds(5);
// A server's session past INIT but not connected this long after it has stalled: the next
// client whose INIT names the port takes the port from it (and one accepted that sent no INIT
// this long makes room for the next connection when the pending ones are full). A libmemif or net_memif client
// answers each ACK at once (its whole handshake takes milliseconds), so without this a client
// that sent INIT and then nothing kept every other out for kHandshakeTimeout, and one that did
// so again and again kept them out for good.
constexpr auto kStalledAfter = std::chrono::milliseconds(200);
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

// The worker's side of the gate's barrier: a fence, or only the compiler's when the control
// thread's membarrier does the CPU's part (the comment at the top).
template <bool kFence>
inline void worker_barrier() noexcept {
    if constexpr (kFence)
        std::atomic_thread_fence(std::memory_order_seq_cst);
    else
        std::atomic_signal_fence(std::memory_order_seq_cst);
}

// Registers the process for MEMBARRIER_CMD_PRIVATE_EXPEDITED, once: whether it may be used.
bool membarrier_ready() {
    static const bool ready = [] {
        const long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
        if (cmds < 0 || !(cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED)) return false;
        return syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
    }();
    return ready;
}

// The control thread's side: a full barrier here, and on every CPU that runs one of our
// threads (a worker between its flag's store and the queue's load is made to order them).
void full_barrier_everywhere() {
    std::atomic_thread_fence(std::memory_order_seq_cst);
    // Ports whose worker fences (membarrier refused) need only the fence above.
    if (membarrier_ready() && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) != 0) [[unlikely]] {
        // Not expected once registered (membarrier(2)). Without it the worker's flag store may
        // still sit in its CPU's store buffer: a wait far longer than any store buffer takes to
        // drain makes it visible before the flags are read, so the regions are not unmapped
        // under the worker.
        DSW_LOG(ERR, port, "membarrier: %s (waiting 1 ms instead)", std::strerror(errno));
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

class MemifPort;

// Server ports on one socket (one id each, as VPP has several interfaces on one socket) share
// its listening fd: each port's thread polls it, whichever accepts reads the INIT and hands the
// session to the port of that id. Who writes: the opening and closing ports, under the mutex;
// the threads read it under the mutex to hand a session over. Control plane only.
// The fd's owners: the entry and each of its ports (whose thread polls it without the mutex);
// it closes when the last of them lets go, never under a thread still polling it.
struct SharedListener {
    std::shared_ptr<const UniqueFd> fd;
    ino_t ino = 0;   // the socket file it bound, removed with the last port if still its own
    std::vector<MemifPort *> ports;
};
std::mutex listeners_mutex;
std::map<std::string, SharedListener> listeners;

// Sessions being accepted but not yet claimed by INIT, per port: more are refused.
constexpr size_t kMaxPending = 8;

class MemifPort : public OwnIoPort {
public:
    ~MemifPort() override;
    const PortIo &io() const override { return io_; }
    bool link_up() const override { return connected_.load(std::memory_order_acquire); }

    static Result<std::unique_ptr<OwnIoPort>> open(const PortConfig &p, rte_mempool *pool);

private:
    template <bool kFence>
    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
        auto *self = static_cast<MemifPort *>(ctx);
        Gate &g = self->gate_;
        g.rx_busy.store(1, std::memory_order_relaxed);
        worker_barrier<kFence>();
        MemifQueue *q = g.queue.load(std::memory_order_acquire);
        const uint16_t got = q != nullptr ? q->rx(pkts, n, pc) : 0;
        g.rx_busy.store(0, std::memory_order_release);
        return got;
    }
    template <bool kFence>
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
        auto *self = static_cast<MemifPort *>(ctx);
        Gate &g = self->gate_;
        g.tx_busy.store(1, std::memory_order_relaxed);
        worker_barrier<kFence>();
        MemifQueue *q = g.queue.load(std::memory_order_acquire);
        refused = 0;
        const uint16_t sent = q != nullptr ? q->tx(pkts, n, refused) : 0;
        g.tx_busy.store(0, std::memory_order_release);
        return sent;
    }

    void run();
    void accept_peer();
    bool make_room();
    void after_pending_step(size_t i, MemifSession::Step step, const std::string &why);
    void take(std::unique_ptr<MemifSession> s);
    void take_inbox();
    void try_connect();
    void publish(MemifSession &s);
    void end_session(const std::string &why);
    Status listen_on(const PortConfig &p);
    void leave_listener();

    struct alignas(64) Gate {
        std::atomic<MemifQueue *> queue{nullptr};
        std::atomic<uint32_t> rx_busy{0}, tx_busy{0};
    };
    Gate gate_;
    std::atomic<bool> connected_{false};
    PortConfig cfg_;
    MemifSession::Params params_;
    std::shared_ptr<const UniqueFd> listen_fd_;   // server: the socket's (SharedListener)
    UniqueFd wake_fd_;                            // stop_, or sessions in the inbox
    std::atomic<bool> stop_{false};
    std::unique_ptr<MemifSession> session_;   // this port's: handshake after INIT, or connected
    // Accepted, before their INIT says which port of the socket they are for.
    struct Pending {
        std::unique_ptr<MemifSession> s;
        std::chrono::steady_clock::time_point deadline;
    };
    std::vector<Pending> pending_;
    // Sessions another port of the socket accepted for this one (its INIT named our id).
    std::mutex inbox_mutex_;
    std::vector<std::unique_ptr<MemifSession>> inbox_;
    std::chrono::steady_clock::time_point deadline_{}, next_try_{};
    std::chrono::steady_clock::time_point taken_{};   // when session_ was taken (server)
    bool said_unreachable_ = false;
    std::thread thread_;
    PortIo io_;
};

MemifPort::~MemifPort() {
    if (thread_.joinable()) {
        stop_.store(true, std::memory_order_release);
        const uint64_t one = 1;
        [[maybe_unused]] const ssize_t w = write(wake_fd_.get(), &one, sizeof one);
        thread_.join();
    }
    leave_listener();
    // Handed over after the thread stopped: never connected, nothing of them published.
    inbox_.clear();
}

Status MemifPort::listen_on(const PortConfig &p) {
    std::lock_guard lock(listeners_mutex);
    auto it = listeners.find(p.socket);
    if (it != listeners.end()) {
        for (const MemifPort *o : it->second.ports)
            if (o->cfg_.id == p.id)
                return fail("port " + p.name + ": memif socket " + p.socket + " id " + std::to_string(p.id) +
                            " is port " + o->cfg_.name + "'s already");
        it->second.ports.push_back(this);
        listen_fd_ = it->second.fd;
        return Ok{};
    }
    sockaddr_un a;
    if (!fill_addr(p.socket, a)) return fail("port " + p.name + ": memif socket path " + p.socket + " is too long");
    if (auto st = make_run_dir_for(p.name, p.socket); !st) return st;
    remove_stale_socket(p.socket);
    auto fd = std::make_shared<const UniqueFd>(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!*fd) return fail(sys_error(p, "memif socket"));
    if (bind(fd->get(), reinterpret_cast<const sockaddr *>(&a), sizeof a) != 0 || listen(fd->get(), 8) != 0)
        return fail(sys_error(p, "listening on memif socket " + p.socket +
                                     (errno == EADDRINUSE ? " (another process listens on it)" : "")));
    SharedListener &l = listeners[p.socket];
    l.fd = fd;
    struct stat st {};
    if (lstat(p.socket.c_str(), &st) == 0) l.ino = st.st_ino;
    l.ports.push_back(this);
    listen_fd_ = fd;
    return Ok{};
}

void MemifPort::leave_listener() {
    if (!listen_fd_) return;
    listen_fd_.reset();
    std::lock_guard lock(listeners_mutex);
    auto it = listeners.find(cfg_.socket);
    if (it == listeners.end()) return;
    std::erase(it->second.ports, this);
    if (!it->second.ports.empty()) return;
    it->second.fd.reset();   // the last owner: the socket closes before its file goes
    struct stat st {};
    if (lstat(cfg_.socket.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == it->second.ino)
        unlink(cfg_.socket.c_str());
    listeners.erase(it);
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
        full_barrier_everywhere();
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
    // Another port's thread may have taken it: EAGAIN.
    UniqueFd fd(accept4(listen_fd_->get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!fd) return;
    auto s = std::make_unique<MemifSession>(std::move(fd), params_);
    // Full: the oldest makes room if it has stalled before its INIT (pending_ is in the order
    // accepted). Else connections that never send INIT, eight at a time and again, would keep
    // every client out (each was refused while they waited out kHandshakeTimeout).
    const auto now = std::chrono::steady_clock::now();
    if (pending_.size() >= kMaxPending && now - (pending_.front().deadline - kHandshakeTimeout) >= kStalledAfter) {
        pending_.front().s->say_disconnect("no INIT, and another client came");
        DSW_LOG(WARNING, port, "port %s: memif: a connection that sent no INIT was closed for a new one",
                cfg_.name.c_str());
        pending_.erase(pending_.begin());
    }
    if (pending_.size() >= kMaxPending) {
        s->say_disconnect("too many connections in their handshake");
        DSW_LOG(WARNING, port, "port %s: memif: a connection was refused (%zu others in their handshake)",
                cfg_.name.c_str(), pending_.size());
        return;
    }
    std::string why;
    if (s->start(why) == MemifSession::Step::over) {
        DSW_LOG(WARNING, port, "port %s: memif handshake failed: %s", cfg_.name.c_str(), why.c_str());
        return;
    }
    pending_.push_back(Pending{std::move(s), now + kHandshakeTimeout});
}

// A session of pending_ read a message: it failed, asked for this port, or for another.
void MemifPort::after_pending_step(size_t i, MemifSession::Step step, const std::string &why) {
    std::unique_ptr<MemifSession> s = std::move(pending_[i].s);
    pending_.erase(pending_.begin() + static_cast<long>(i));
    if (step == MemifSession::Step::over) {
        DSW_LOG(WARNING, port, "port %s: memif handshake failed: %s", cfg_.name.c_str(), why.c_str());
        return;
    }
    if (step != MemifSession::Step::other_id) {
        take(std::move(s));
        return;
    }
    const uint32_t id = s->other_id();
    std::lock_guard lock(listeners_mutex);
    auto it = listeners.find(cfg_.socket);
    if (it != listeners.end())
        for (MemifPort *o : it->second.ports)
            if (o->cfg_.id == id) {
                {
                    std::lock_guard in(o->inbox_mutex_);
                    o->inbox_.push_back(std::move(s));
                }
                const uint64_t one = 1;
                [[maybe_unused]] const ssize_t w = write(o->wake_fd_.get(), &one, sizeof one);
                return;
            }
    const std::string no = "no interface of id " + std::to_string(id) + " on this socket";
    s->say_disconnect(no);
    DSW_LOG(WARNING, port, "port %s: memif handshake failed: %s", cfg_.name.c_str(), no.c_str());
}

// Whether a new session whose INIT named this port may have it: it has none, or the one it
// has stalled in its handshake (kStalledAfter), which is ended here.
bool MemifPort::make_room() {
    if (!session_) return true;
    const bool handshaking = gate_.queue.load(std::memory_order_relaxed) == nullptr;
    if (!handshaking || std::chrono::steady_clock::now() - taken_ < kStalledAfter) return false;
    end_session("its handshake stalled after INIT, and another client came for the interface");
    return true;
}

// A session whose INIT named this port: its own from here on, unless it has one.
void MemifPort::take(std::unique_ptr<MemifSession> s) {
    if (!make_room()) {
        s->say_disconnect("interface already connected");
        DSW_LOG(WARNING, port, "port %s: memif: a second peer was refused (one is connected or connecting)",
                cfg_.name.c_str());
        return;
    }
    session_ = std::move(s);
    taken_ = std::chrono::steady_clock::now();
    deadline_ = taken_ + kHandshakeTimeout;
}

void MemifPort::take_inbox() {
    std::vector<std::unique_ptr<MemifSession>> got;
    {
        std::lock_guard lock(inbox_mutex_);
        got.swap(inbox_);
    }
    for (auto &s : got) {
        if (!make_room()) {
            take(std::move(s));   // refused
            continue;
        }
        std::string why;
        if (s->adopt(params_, why) == MemifSession::Step::over) {
            DSW_LOG(WARNING, port, "port %s: memif handshake failed: %s", cfg_.name.c_str(), why.c_str());
            continue;
        }
        take(std::move(s));
    }
}

void MemifPort::try_connect() {
    next_try_ = std::chrono::steady_clock::now() + kRetry;
    sockaddr_un a;
    if (!fill_addr(cfg_.socket, a)) return;
    UniqueFd fd(socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return;
    if (connect(fd.get(), reinterpret_cast<const sockaddr *>(&a), sizeof a) != 0) {
        if (!said_unreachable_)
            DSW_LOG(INFO, port, "port %s: memif server %s not there yet (%s): retrying every second", cfg_.name.c_str(),
                    cfg_.socket.c_str(), std::strerror(errno));
        said_unreachable_ = true;
        return;
    }
    said_unreachable_ = false;
    session_ = std::make_unique<MemifSession>(std::move(fd), params_);
    deadline_ = std::chrono::steady_clock::now() + kHandshakeTimeout;
}

void MemifPort::run() {
    std::vector<pollfd> fds;
    for (;;) {
        fds.clear();
        fds.push_back({wake_fd_.get(), POLLIN, 0});
        if (listen_fd_) fds.push_back({listen_fd_->get(), POLLIN, 0});
        const size_t sess = fds.size();
        if (session_) fds.push_back({session_->fd(), POLLIN, 0});
        const size_t first_pending = fds.size();
        for (const Pending &p : pending_) fds.push_back({p.s->fd(), POLLIN, 0});
        const int timeout = session_ || !pending_.empty() || !listen_fd_ ? kWatchMs : -1;
        if (poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) break;
        if (fds[0].revents != 0) {
            uint64_t n;
            [[maybe_unused]] const ssize_t r = read(wake_fd_.get(), &n, sizeof n);
            if (stop_.load(std::memory_order_acquire)) break;   // the port closes
            take_inbox();
        }
        // Pending sessions first, from the last (erasing keeps the earlier indexes).
        for (size_t i = pending_.size(); i-- > 0;) {
            if (fds[first_pending + i].revents == 0) continue;
            std::string why;
            const MemifSession::Step step = pending_[i].s->on_readable(why);
            if (step == MemifSession::Step::over || step == MemifSession::Step::other_id || pending_[i].s->inited())
                after_pending_step(i, step, why);
        }
        if (session_ && sess < first_pending && fds[sess].revents != 0) {
            std::string why;
            switch (session_->on_readable(why)) {
            case MemifSession::Step::connected: publish(*session_); break;
            case MemifSession::Step::over: end_session(why); break;
            default: break;
            }
        }
        if (listen_fd_ && (fds[1].revents & POLLIN)) accept_peer();
        const auto now = std::chrono::steady_clock::now();
        for (size_t i = pending_.size(); i-- > 0;)
            if (now > pending_[i].deadline) after_pending_step(i, MemifSession::Step::over, "no INIT in 5 s");
        if (session_) {
            const MemifQueue *q = gate_.queue.load(std::memory_order_relaxed);
            if (q != nullptr && q->fault() != MemifFault::none)
                end_session(std::string("the peer broke the ring: ") + memif_fault_text(q->fault()));
            else if (q == nullptr && now > deadline_)
                end_session("the handshake did not finish in 5 s");
        }
        if (!session_ && !listen_fd_ && now >= next_try_) try_connect();
    }
    end_session("the port is closing");
    pending_.clear();
}

Result<std::unique_ptr<OwnIoPort>> MemifPort::open(const PortConfig &p, rte_mempool *pool) {
    auto port = std::make_unique<MemifPort>();
    port->cfg_ = p;
    port->params_ = MemifSession::Params{p.role != "client", p.id, p.name, p.secret, pool, kMaxFrameLen};
    sockaddr_un a;
    if (!fill_addr(p.socket, a)) return fail("port " + p.name + ": memif socket path " + p.socket + " is too long");
    port->wake_fd_.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!port->wake_fd_) return fail(sys_error(p, "eventfd"));
    if (port->params_.server) {
        Status l = port->listen_on(p);
        if (!l) return l.error();
    }
    port->io_ = membarrier_ready() ? PortIo{rx<false>, tx<false>, port.get()} : PortIo{rx<true>, tx<true>, port.get()};
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
    .type = PortType::memif, .name = "memif", .required = "socket", .options = {"id", "role", "secret"},
    .open_own = MemifPort::open, .own_mbufs = memif_mbufs, .peer = true, .attachment = memif_attachment,
    .peer_of = memif_peer,
};

}  // namespace dsw
