// libFuzzer target for the memif handshake: a MemifSession of either role on one end of a
// SOCK_SEQPACKET socketpair, the fuzzer the peer on the other, sending the messages of the
// input with the fds it asks for (sealed or unsealed memfds, eventfds, /dev/null), exactly as
// on_readable takes them from a real peer. No EAL: the session's queue touches its mempool only
// when frames move, and none do. Built and run by scripts/fuzz.sh; seeds in tests/fuzz/memif_seeds
// (tests/fuzz/make_memif_seeds.py writes them).
//
// Input format:
//   [0] flags: bit0 the session is the client (else the server); bit1 it has the secret
//       "fuzzsecret"; bits2-3 its id (0..3)
//   then records until the input ends, at most 16:
//     u8 ctl: bits0-2 the fds sent with the message: 0 none, 1 a memfd sealed against shrinking
//               as large as the message's ADD_REGION size claims (at most 1 MiB, so a larger
//               claim meets a smaller file), 2 the same unsealed, 3 an eventfd, 4 two eventfds,
//               5 a sealed memfd half the claimed size, 6 /dev/null (no memfd), 7 none
//             bit3: the memfd holds the ring cookie at every 16-byte offset (a valid ring
//               header wherever the ADD_RING puts it)
//             bit6: the peer closes its end instead of sending (the session reads EOF)
//             bit7: a length byte follows: the message is that many bytes (else 128)
//     the message's bytes (zero-padded where the input ends)
//
// Checks, besides what ASan and UBSan catch: every session ends (over) with a reason, and a
// connected one has its queue; no fd is left open after the session is destroyed.
#include <dirent.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "dpdk_switch/ports/memif_session.h"
#include "dpdk_switch/ports/memif_wire.h"

namespace {

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "memif_fuzzer: %s\n", what.c_str());
    std::abort();
}

constexpr uint64_t kMaxFile = 1u << 20;

// The process's open fds, each with what it is ("5 -> memfd:memif_fuzz (deleted)"). Pipes are
// left out: the sanitizers open two to their symbolizer the first time they name a function
// (libFuzzer's NEW_FUNC lines), and the session is never given one.
std::vector<std::string> open_fds() {
    std::vector<std::string> fds;
    if (DIR *d = opendir("/proc/self/fd")) {
        const int own = dirfd(d);
        while (const dirent *e = readdir(d)) {
            if (e->d_name[0] == '.' || std::atoi(e->d_name) == own) continue;
            char target[256] = {};
            const std::string path = std::string("/proc/self/fd/") + e->d_name;
            const ssize_t n = readlink(path.c_str(), target, sizeof target - 1);
            if (std::strncmp(target, "pipe:", 5) == 0) continue;
            fds.push_back(std::string(e->d_name) + " -> " + (n > 0 ? target : "?"));
        }
        closedir(d);
    }
    std::sort(fds.begin(), fds.end());
    return fds;
}

int make_memfd(uint64_t size, bool seal, bool cookies) {
    const int fd = memfd_create("memif_fuzz", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (fd < 0) die("memfd_create");
    if (ftruncate(fd, static_cast<off_t>(size)) != 0) die("ftruncate");
    if (cookies && size >= 4) {
        void *p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) die("mmap");
        for (uint64_t at = 0; at + 4 <= size; at += 16) std::memcpy(static_cast<uint8_t *>(p) + at, &dsw::memif::kCookie, 4);
        munmap(p, size);
    }
    if (seal && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) die("F_ADD_SEALS");
    return fd;
}

// The fds record `ctl` asks for, with the message `m` (its ADD_REGION size, whatever its type).
std::vector<int> fds_for(uint8_t ctl, const uint8_t *m) {
    uint64_t claimed;
    std::memcpy(&claimed, m + 4, sizeof claimed);
    const uint64_t size = std::min<uint64_t>(claimed == 0 ? 1 : claimed, kMaxFile);
    const bool cookies = ctl & 8;
    switch (ctl & 7) {
    case 1: return {make_memfd(size, true, cookies)};
    case 2: return {make_memfd(size, false, cookies)};
    case 3: return {eventfd(0, EFD_CLOEXEC)};
    case 4: return {eventfd(0, EFD_CLOEXEC), eventfd(0, EFD_CLOEXEC)};
    case 5: return {make_memfd(std::max<uint64_t>(size / 2, 1), true, cookies)};
    case 6: return {open("/dev/null", O_RDWR | O_CLOEXEC)};
    default: return {};
    }
}

void send_msg(int sock, const uint8_t *m, size_t len, const std::vector<int> &fds) {
    iovec iov{const_cast<uint8_t *>(m), len};
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    alignas(cmsghdr) char ctl[CMSG_SPACE(2 * sizeof(int))];
    if (!fds.empty()) {
        mh.msg_control = ctl;
        mh.msg_controllen = CMSG_SPACE(fds.size() * sizeof(int));
        cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(fds.size() * sizeof(int));
        std::memcpy(CMSG_DATA(c), fds.data(), fds.size() * sizeof(int));
    }
    if (sendmsg(sock, &mh, MSG_DONTWAIT) < 0) die(std::string("sendmsg: ") + std::strerror(errno));
    for (int fd : fds) close(fd);
}

// What the session sent us: read and dropped (with the fds it passed), so that its sends never
// find the socket full.
void drain(int sock) {
    for (;;) {
        uint8_t buf[dsw::memif::kMsgSize + 16];
        iovec iov{buf, sizeof buf};
        alignas(cmsghdr) char ctl[CMSG_SPACE(8 * sizeof(int))];
        msghdr mh{};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = ctl;
        mh.msg_controllen = sizeof ctl;
        if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) return;
        for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            const size_t n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            for (size_t i = 0; i < n; ++i) {
                int fd;
                std::memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                close(fd);
            }
        }
    }
}

void run(const uint8_t *data, size_t size) {
    if (size == 0) return;
    const uint8_t flags = data[0];
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    int peer = sv[1];
    dsw::MemifSession::Params p;
    p.server = !(flags & 1);
    p.secret = (flags & 2) ? "fuzzsecret" : "";
    p.id = (flags >> 2) & 3;
    p.if_name = "fuzz";
    p.max_frame = 1518;
    dsw::MemifSession s(dsw::UniqueFd(sv[0]), p);
    std::string why;
    dsw::MemifSession::Step step = s.start(why);
    size_t at = 1;
    for (unsigned n = 0; n < 16 && step == dsw::MemifSession::Step::more && at < size; ++n) {
        drain(peer);
        const uint8_t ctl = data[at++];
        size_t len = dsw::memif::kMsgSize;
        if ((ctl & 0x80) && at < size) len = data[at++];
        uint8_t m[256] = {};
        const size_t have = std::min(len, size - at);
        std::memcpy(m, data + at, have);
        at += have;
        if (ctl & 0x40) {
            close(peer);
            peer = -1;
        } else {
            send_msg(peer, m, len, fds_for(ctl, m));
        }
        step = s.on_readable(why);
        if (step == dsw::MemifSession::Step::other_id) {
            // Another port of the socket takes the session: here, the same one under that id.
            p.id = s.other_id();
            step = s.adopt(p, why);
        }
        if (step == dsw::MemifSession::Step::connected && s.queue() == nullptr) die("connected without a queue");
        if (step == dsw::MemifSession::Step::connected) step = dsw::MemifSession::Step::more;   // go on: messages once up
        if (peer < 0) break;
    }
    if (step == dsw::MemifSession::Step::over && why.empty()) die("a session ended without a reason");
    if (peer >= 0) {
        drain(peer);
        close(peer);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const std::vector<std::string> baseline = open_fds();
    run(data, size);
    const std::vector<std::string> now = open_fds();
    if (now != baseline) {
        std::string left;
        for (const std::string &f : now)
            if (!std::binary_search(baseline.begin(), baseline.end(), f)) left += "\n  " + f;
        die("fds left open after the session ended:" + left);
    }
    return 0;
}
