#include "dpdk_switch/ports/memif_session.h"

#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iterator>

namespace dsw {

using memif::Msg;
using memif::MsgType;
using memif::RingHdr;

namespace {

// Regions larger than this are refused: descriptor offsets are 32-bit, so no buffer lies
// further, and a claimed size of petabytes would only fail to map.
constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 33;
// Fds one message may carry; more are closed and the message refused.
constexpr unsigned kMaxFds = 4;

const char *type_name(uint16_t t) {
    static const char *const names[] = {"none",     "ack",      "hello",   "init",      "add_region",
                                        "add_ring", "connect",  "connected", "disconnect"};
    return t < std::size(names) ? names[t] : "unknown";
}

// A name the peer sent, as text: up to its NUL, printable bytes only.
std::string text_of(const uint8_t *s, size_t n) {
    std::string out;
    for (size_t i = 0; i < n && s[i] != 0; ++i) out += (s[i] >= 0x20 && s[i] < 0x7f) ? static_cast<char>(s[i]) : '?';
    return out;
}

void copy_name(uint8_t *dst, size_t n, const std::string &s) {
    std::memset(dst, 0, n);
    std::memcpy(dst, s.data(), std::min(n - 1, s.size()));
}

// INIT's secret field as `s` fills it: NUL-padded, all 24 bytes when it is that long (as VPP
// sends it; the config allows no longer).
std::array<uint8_t, memif::kSecretSz> secret_field(const std::string &s) {
    std::array<uint8_t, memif::kSecretSz> f{};
    std::memcpy(f.data(), s.data(), std::min<size_t>(f.size(), s.size()));
    return f;
}

// The secret a client sent, byte for byte up to its NUL (as the peers' strncmp reads it).
std::string sent_secret(const uint8_t (&f)[memif::kSecretSz]) {
    const auto *end = std::find(std::begin(f), std::end(f), uint8_t{0});
    return std::string(reinterpret_cast<const char *>(f), static_cast<size_t>(end - std::begin(f)));
}

}  // namespace

MemifSession::MemifSession(UniqueFd sock, const Params &p)
    : sock_(std::move(sock)), p_(p), state_(p.server ? State::init : State::hello) {}

// The queue (which kicks a ring's eventfd) goes first, the mappings next; the fds close after
// this body, as the members go.
MemifSession::~MemifSession() {
    queue_.reset();
    for (const MemifRegion &r : regions_)
        if (r.base != nullptr) munmap(r.base, r.size);
}

bool memif_send(int sock, MsgType t, const Msg &body, int fd) {
    Msg m = body;
    m.type = static_cast<uint16_t>(t);
    iovec iov{&m, sizeof m};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
    }
    return sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) == static_cast<ssize_t>(sizeof m);
}

bool MemifSession::send(MsgType t, const Msg &body, int fd) { return memif_send(sock_.get(), t, body, fd); }

void MemifSession::say_disconnect(const std::string &why) {
    Msg m{};
    m.disconnect.code = 1;
    copy_name(m.disconnect.string, sizeof m.disconnect.string, why);
    (void)send(MsgType::disconnect, m);
}

MemifSession::Step MemifSession::fail(std::string &why, std::string reason) {
    why = std::move(reason);
    say_disconnect(why);
    return Step::over;
}

MemifSession::Step MemifSession::start(std::string &why) {
    if (!p_.server) return Step::more;
    Msg m{};
    copy_name(m.hello.name, sizeof m.hello.name, "dpdk_switch");
    m.hello.min_version = m.hello.max_version = memif::kVersion;
    m.hello.max_region = kMaxRegions - 1;
    m.hello.max_c2s_ring = 0;   // one queue pair
    m.hello.max_s2c_ring = 0;
    m.hello.max_log2_ring_size = memif::kMaxLog2RingSize;
    if (!send(MsgType::hello, m)) {
        why = std::string("sending HELLO: ") + std::strerror(errno);
        return Step::over;
    }
    return Step::more;
}

MemifSession::Step MemifSession::on_readable(std::string &why) {
    Msg m{};
    iovec iov{&m, sizeof m};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char ctl[CMSG_SPACE(kMaxFds * sizeof(int))];
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
    const ssize_t r = recvmsg(sock_.get(), &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return Step::more;
    // Every fd it sent is ours, whatever comes of the message: a step keeps the one fd it
    // takes (moving it out of fds[0]), and the rest close as this function returns.
    UniqueFd fds[kMaxFds];
    unsigned nfds = 0;
    for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < n && nfds < kMaxFds; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
            fds[nfds++].reset(fd);
        }
    }
    UniqueFd no_fd;
    UniqueFd &fd = nfds == 1 ? fds[0] : no_fd;
    Step s;
    if (r == 0) {
        why = "the peer closed the socket";
        s = Step::over;
    } else if (r < 0) {
        why = std::string("reading the socket: ") + std::strerror(errno);
        s = Step::over;
    } else if (r != static_cast<ssize_t>(sizeof m) || (mh.msg_flags & MSG_TRUNC)) {
        s = fail(why, "a message of " + std::to_string(r) + " bytes (memif messages are " +
                          std::to_string(sizeof m) + ")");
    } else if ((mh.msg_flags & MSG_CTRUNC) || nfds > 1) {
        s = fail(why, std::string("more fds than one with ") + type_name(m.type));
    } else if (m.type == static_cast<uint16_t>(MsgType::disconnect)) {
        why = "the peer disconnected: " + text_of(m.disconnect.string, sizeof m.disconnect.string);
        s = Step::over;
    } else {
        s = p_.server ? server_step(m, fd, why) : client_step(m, why);
    }
    return s;
}

// ---- server ---------------------------------------------------------------------------------

MemifSession::Step MemifSession::adopt(const Params &p, std::string &why) {
    p_ = p;
    Msg m{};
    m.type = static_cast<uint16_t>(MsgType::init);
    m.init = init_;
    UniqueFd no_fd;
    return server_step(m, no_fd, why);
}

MemifSession::Step MemifSession::server_step(const Msg &m, UniqueFd &fd, std::string &why) {
    const auto type = static_cast<MsgType>(m.type);
    const auto unexpected = [&] {
        return fail(why, std::string("unexpected ") + type_name(m.type) + " message during the handshake");
    };
    if (type != MsgType::add_region && type != MsgType::add_ring && fd)
        return fail(why, std::string("an fd with ") + type_name(m.type));
    switch (state_) {
    case State::init: {
        if (type != MsgType::init) return unexpected();
        const memif::Init &i = m.init;
        if (i.version != memif::kVersion)
            return fail(why, "memif version " + std::to_string(i.version >> 8) + "." + std::to_string(i.version & 0xff) +
                                 " (this switch speaks 2.0)");
        if (i.id != p_.id) {
            init_ = i;
            return Step::other_id;
        }
        // A server without a secret takes any, as VPP's and net_memif's do. Neither secret is
        // logged nor sent back: the reason says only that they differ.
        if (!p_.secret.empty()) {
            const std::string sent = sent_secret(i.secret);
            if (sent.empty()) return fail(why, "secret mismatch: the client sent none");
            if (sent != p_.secret) return fail(why, "secret mismatch: the client sent another");
        }
        if (i.mode != memif::kModeEthernet) return fail(why, "mode " + std::to_string(i.mode) + " (only ethernet)");
        peer_name_ = text_of(i.name, sizeof i.name);
        state_ = State::parts;
        break;
    }
    case State::parts:
        if (type == MsgType::add_region) {
            if (!add_region(m.add_region, fd, why)) return fail(why, why);
        } else if (type == MsgType::add_ring) {
            if (!add_ring(m.add_ring, fd, why)) return fail(why, why);
        } else if (type == MsgType::connect) {
            const std::string name = text_of(m.connect.if_name, sizeof m.connect.if_name);
            if (!name.empty()) peer_name_ += (peer_name_.empty() ? "" : " ") + name;
            return go_up(why);
        } else {
            return unexpected();
        }
        break;
    default:
        return fail(why, std::string("unexpected ") + type_name(m.type) + " message once connected");
    }
    if (!send(MsgType::ack, Msg{})) {
        why = std::string("sending ACK: ") + std::strerror(errno);
        return Step::over;
    }
    return Step::more;
}

bool MemifSession::add_region(const memif::AddRegion &r, UniqueFd &fd, std::string &why) {
    if (!fd) return why = "ADD_REGION without an fd", false;
    if (r.index != n_regions_ || r.index >= kMaxRegions)
        return why = "region " + std::to_string(r.index) + " out of turn or over the " + std::to_string(kMaxRegions) +
                     " advertised", false;
    if (r.size == 0 || r.size > kMaxRegionBytes) return why = "region size " + std::to_string(r.size), false;
    struct stat st {};
    if (fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return why = "region " + std::to_string(r.index) + " is no memfd", false;
    if (static_cast<uint64_t>(st.st_size) < r.size)
        return why = "region " + std::to_string(r.index) + " claims " + std::to_string(r.size) + " bytes, its fd has " +
                     std::to_string(st.st_size), false;
    // Unsealed, the client could shrink it later and our next read of it would be SIGBUS.
    const int seals = fcntl(fd.get(), F_GET_SEALS);
    if (seals < 0 || !(seals & F_SEAL_SHRINK))
        return why = "region " + std::to_string(r.index) + " is not sealed against shrinking (F_SEAL_SHRINK)", false;
    void *p = mmap(nullptr, r.size, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
    if (p == MAP_FAILED) return why = "mapping region " + std::to_string(r.index) + ": " + std::strerror(errno), false;
    regions_[n_regions_] = MemifRegion{static_cast<uint8_t *>(p), r.size};
    region_fds_[n_regions_] = std::move(fd);
    ++n_regions_;
    return true;
}

bool MemifSession::add_ring(const memif::AddRing &r, UniqueFd &fd, std::string &why) {
    const bool c2s = r.flags & memif::kAddRingC2S;
    const std::string what = std::string(c2s ? "C2S" : "S2C") + " ring " + std::to_string(r.index);
    if (!fd) return why = "ADD_RING without an eventfd", false;
    if (r.index != 0) return why = what + ": one queue pair was advertised", false;
    Ring &ring = c2s ? c2s_ : s2c_;
    if (ring.added) return why = what + " added twice", false;
    if (r.region >= n_regions_) return why = what + " in region " + std::to_string(r.region) + ", never added", false;
    if (r.log2_ring_size < 1 || r.log2_ring_size > memif::kMaxLog2RingSize)
        return why = what + ": log2 size " + std::to_string(r.log2_ring_size), false;
    if (log2_ != 0 && r.log2_ring_size != log2_) return why = what + ": the two rings differ in size", false;
    if (r.private_hdr_size != 0) return why = what + ": private headers are not supported", false;
    // 16-byte aligned: the descriptors are read in 8-byte halves.
    if (r.offset % 16 != 0 || uint64_t{r.offset} + memif::ring_bytes(r.log2_ring_size) > regions_[r.region].size)
        return why = what + " at offset " + std::to_string(r.offset) + " is not inside its region", false;
    log2_ = r.log2_ring_size;
    ring = Ring{true, r.region, r.offset, std::move(fd)};
    return true;
}

RingHdr *MemifSession::ring_at(const Ring &r) const {
    return reinterpret_cast<RingHdr *>(regions_[r.region].base + r.offset);
}

MemifSession::Step MemifSession::go_up(std::string &why) {
    if (!c2s_.added || !s2c_.added) return fail(why, "CONNECT before both rings were added");
    RingHdr *c2s = ring_at(c2s_), *s2c = ring_at(s2c_);
    for (RingHdr *h : {c2s, s2c})
        if (__atomic_load_n(&h->cookie, __ATOMIC_RELAXED) != memif::kCookie) return fail(why, "a ring without the memif cookie");
    // Both sides start from zero; each consumer says it polls (no eventfd kicks wanted).
    for (RingHdr *h : {c2s, s2c}) {
        __atomic_store_n(&h->head, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&h->tail, 0, __ATOMIC_RELAXED);
    }
    MemifQueue::Setup s;
    s.server = p_.server;
    s.log2_ring_size = log2_;
    s.regions = regions_.data();
    s.n_regions = n_regions_;
    s.pool = p_.pool;
    s.max_frame = p_.max_frame;
    if (p_.server) {
        __atomic_store_n(&c2s->flags, memif::kRingMaskInt, __ATOMIC_RELAXED);
        s.rx_ring = c2s;
        s.tx_ring = s2c;
        s.tx_kick_fd = s2c_.eventfd.get();
    } else {
        __atomic_store_n(&s2c->flags, memif::kRingMaskInt, __ATOMIC_RELAXED);
        s.rx_ring = s2c;
        s.tx_ring = c2s;
        s.tx_kick_fd = c2s_.eventfd.get();
        s.buf_size = kBufSize;
        const uint64_t rings = 2 * memif::ring_bytes(log2_);
        s.tx_buf_offset = static_cast<uint32_t>(rings);
        s.rx_buf_offset = static_cast<uint32_t>(rings + (uint64_t{kBufSize} << log2_));
    }
    queue_ = std::make_unique<MemifQueue>(s);
    if (p_.server) {
        Msg m{};
        copy_name(m.connected.if_name, sizeof m.connected.if_name, p_.if_name);
        if (!send(MsgType::connected, m)) {
            why = std::string("sending CONNECTED: ") + std::strerror(errno);
            return Step::over;
        }
    } else {
        queue_->post_rx();
    }
    state_ = State::up;
    return Step::connected;
}

// ---- client ---------------------------------------------------------------------------------

bool MemifSession::make_client_region(std::string &why) {
    // Both rings, then the C2S buffers, then the S2C buffers: one slot's buffer each.
    const uint64_t size = 2 * memif::ring_bytes(log2_) + 2 * (uint64_t{kBufSize} << log2_);
    region_fds_[0].reset(memfd_create("dpdk_switch-memif", MFD_ALLOW_SEALING | MFD_CLOEXEC));
    const int fd = region_fds_[0].get();
    if (fd < 0) return why = std::string("memfd_create: ") + std::strerror(errno), false;
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0 || ftruncate(fd, static_cast<off_t>(size)) != 0)
        return why = std::string("sizing the region: ") + std::strerror(errno), false;
    void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return why = std::string("mapping the region: ") + std::strerror(errno), false;
    regions_[0] = MemifRegion{static_cast<uint8_t *>(p), size};
    n_regions_ = 1;
    c2s_ = Ring{true, 0, 0, UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))};
    s2c_ = Ring{true, 0, static_cast<uint32_t>(memif::ring_bytes(log2_)), UniqueFd(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))};
    if (!c2s_.eventfd || !s2c_.eventfd) return why = std::string("eventfd: ") + std::strerror(errno), false;
    const uint64_t bufs = 2 * memif::ring_bytes(log2_);
    unsigned k = 0;
    for (Ring *r : {&c2s_, &s2c_}) {
        RingHdr *h = ring_at(*r);
        h->cookie = memif::kCookie;
        auto *d = reinterpret_cast<memif::Desc *>(h + 1);
        for (uint32_t j = 0; j < (1u << log2_); ++j, ++k)
            d[j] = memif::Desc{0, 0, kBufSize, static_cast<uint32_t>(bufs + uint64_t{k} * kBufSize), 0};
    }
    return true;
}

MemifSession::Step MemifSession::client_step(const Msg &m, std::string &why) {
    const auto type = static_cast<MsgType>(m.type);
    const State waits_ack[] = {State::ack_init, State::ack_region, State::ack_ring_c2s, State::ack_ring_s2c};
    const bool ack_turn = std::find(std::begin(waits_ack), std::end(waits_ack), state_) != std::end(waits_ack);
    Msg out{};
    if (state_ == State::hello && type == MsgType::hello) {
        const memif::Hello &h = m.hello;
        if (h.min_version > memif::kVersion || h.max_version < memif::kVersion)
            return fail(why, "the server speaks memif versions " + std::to_string(h.min_version >> 8) + ".." +
                                 std::to_string(h.max_version >> 8) + ", not 2.0");
        if (h.max_log2_ring_size < 1) return fail(why, "the server takes no ring of 2 slots or more");
        log2_ = std::min<unsigned>(kLog2RingSize, h.max_log2_ring_size);
        peer_name_ = text_of(h.name, sizeof h.name);
        if (!make_client_region(why)) return fail(why, why);
        out.init.version = memif::kVersion;
        out.init.id = p_.id;
        out.init.mode = memif::kModeEthernet;
        const auto secret = secret_field(p_.secret);
        std::memcpy(out.init.secret, secret.data(), secret.size());
        copy_name(out.init.name, sizeof out.init.name, "dpdk_switch");
        if (!send(MsgType::init, out)) return fail(why, std::string("sending INIT: ") + std::strerror(errno));
        state_ = State::ack_init;
        return Step::more;
    }
    if (ack_turn && type == MsgType::ack) {
        bool ok = true;
        switch (state_) {
        case State::ack_init:
            out.add_region = memif::AddRegion{0, regions_[0].size};
            ok = send(MsgType::add_region, out, region_fds_[0].get());
            state_ = State::ack_region;
            break;
        case State::ack_region:
        case State::ack_ring_c2s: {
            const bool c2s = state_ == State::ack_region;
            const Ring &r = c2s ? c2s_ : s2c_;
            out.add_ring = memif::AddRing{static_cast<uint16_t>(c2s ? memif::kAddRingC2S : 0), 0, 0, r.offset,
                                          static_cast<uint8_t>(log2_), 0};
            ok = send(MsgType::add_ring, out, r.eventfd.get());
            state_ = c2s ? State::ack_ring_c2s : State::ack_ring_s2c;
            break;
        }
        default:
            copy_name(out.connect.if_name, sizeof out.connect.if_name, p_.if_name);
            ok = send(MsgType::connect, out);
            state_ = State::connected_wait;
            break;
        }
        if (!ok) return fail(why, std::string("sending to the server: ") + std::strerror(errno));
        return Step::more;
    }
    if (state_ == State::connected_wait && type == MsgType::connected) {
        const std::string name = text_of(m.connected.if_name, sizeof m.connected.if_name);
        if (!name.empty()) peer_name_ += (peer_name_.empty() ? "" : " ") + name;
        return go_up(why);
    }
    return fail(why, std::string("unexpected ") + type_name(m.type) + " message" +
                         (state_ == State::up ? " once connected" : " during the handshake"));
}

}  // namespace dsw
