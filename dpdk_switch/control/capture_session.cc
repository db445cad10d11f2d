#include "dpdk_switch/control/capture_session.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

#include <rte_pcapng.h>

namespace dsw {

namespace {
constexpr unsigned kCaptureMbufs = 4095;   // copies in flight between workers and the file (~38 MB)
constexpr unsigned kCaptureRing = 4096;
unsigned g_sessions = 0;                   // makes pool and ring names unique

// Why `path` cannot be replaced, or "" for a regular file. Never follows a symlink.
std::string not_replaceable(const std::string &path) {
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) return "";   // gone meanwhile: open says why
    if (S_ISLNK(st.st_mode)) return path + " is a symbolic link (not followed: name the file itself)";
    if (!S_ISREG(st.st_mode)) return path + " is not a regular file";
    return "";
}

// The capture file, created (or, with overwrite, replaced) without following a symlink: a
// command that writes as root must not be turned onto another file by a link, nor destroy a
// user's file by a typo. O_NONBLOCK: a FIFO without a reader would block the control plane.
Result<int> open_capture_file(const std::string &path, bool overwrite) {
    const int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | (overwrite ? 0 : O_EXCL);
    const int fd = ::open(path.c_str(), flags, 0600);
    if (fd < 0) {
        const int err = errno;
        if (err == EEXIST) {   // O_EXCL: anything at the path, a dangling symlink too
            const std::string why = not_replaceable(path);
            return fail(why.empty() ? path + " exists (add `overwrite` to replace it)" : why);
        }
        if (err == ELOOP) return fail(path + " is a symbolic link (not followed: name the file itself)");
        if (err == ENXIO) return fail(path + " is not a regular file");   // a FIFO or socket
        return fail("cannot create " + path + ": " + std::strerror(err));
    }
    struct stat st{};
    std::string why;
    if (fstat(fd, &st) != 0) why = "cannot stat " + path + ": " + std::strerror(errno);
    else if (!S_ISREG(st.st_mode)) why = path + " is not a regular file";
    else if (overwrite && ftruncate(fd, 0) != 0) why = "cannot truncate " + path + ": " + std::strerror(errno);
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) why = "cannot write " + path + ": " + std::strerror(errno);
    if (!why.empty()) {
        close(fd);
        return fail(why);
    }
    return fd;
}
// pcapng's first blocks: a section, and one interface, the captured port, which every packet
// block names (index 0). rte_pcapng_fdopen would list the ethdevs instead, and a port of the
// switch's own I/O (veth) is none: its frames would name no interface of the file.
std::vector<uint8_t> file_header(const std::string &port) {
    std::vector<uint8_t> b;
    auto put = [&b](const void *p, size_t n) { b.insert(b.end(), static_cast<const uint8_t *>(p), static_cast<const uint8_t *>(p) + n); };
    auto u16 = [&put](uint16_t v) { put(&v, 2); };
    auto u32 = [&put](uint32_t v) { put(&v, 4); };
    auto option = [&](uint16_t code, const void *data, uint16_t len) {
        u16(code);
        u16(len);
        put(data, len);
        b.resize((b.size() + 3) & ~size_t{3}, 0);
    };
    auto block = [&](uint32_t type, auto &&body) {
        const size_t start = b.size();
        u32(type);
        u32(0);   // its length, known at its end
        body();
        option(0, nullptr, 0);   // opt_endofopt
        const auto len = static_cast<uint32_t>(b.size() - start + 4);
        std::memcpy(&b[start + 4], &len, 4);
        u32(len);
    };
    const std::string app = "dpdk_switch", comment = "capture of port " + port;
    block(0x0A0D0D0A, [&] {   // section header: byte-order magic, version 1.0, length unknown
        u32(0x1A2B3C4D);
        u16(1);
        u16(0);
        u32(UINT32_MAX);
        u32(UINT32_MAX);
        option(1, comment.data(), static_cast<uint16_t>(comment.size()));   // opt_comment
        option(4, app.data(), static_cast<uint16_t>(app.size()));           // shb_userappl
    });
    block(1, [&] {   // interface: Ethernet, no snap length; timestamps in ns, as rte_pcapng_copy's
        u16(1);
        u16(0);
        u32(0);
        option(2, port.data(), static_cast<uint16_t>(port.size()));   // if_name
        const uint8_t ns = 9;
        option(9, &ns, 1);   // if_tsresol
    });
    return b;
}

bool write_all(int fd, const void *p, size_t n) {
    const auto *c = static_cast<const uint8_t *>(p);
    while (n != 0) {
        const ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return false;
        c += w;
        n -= static_cast<size_t>(w);
    }
    return true;
}

// The packet blocks rte_pcapng_copy made (a chain for a long frame), naming interface 0.
bool write_blocks(int fd, rte_mbuf *const *pkts, unsigned n) {
    std::vector<iovec> iov;
    for (unsigned i = 0; i < n; ++i) {
        rte_mbuf *m = pkts[i];
        rte_pktmbuf_mtod(m, uint32_t *)[2] = 0;   // pcapng_enhance_packet_block::interface_id
        for (rte_mbuf *s = m; s != nullptr; s = s->next) iov.push_back({rte_pktmbuf_mtod(s, void *), s->data_len});
    }
    for (size_t at = 0; at < iov.size();) {
        const int cnt = static_cast<int>(std::min<size_t>(IOV_MAX, iov.size() - at));
        ssize_t w = writev(fd, &iov[at], cnt);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return false;
        // A short write (a full disk, a signal): the rest of this batch byte by byte.
        for (int k = 0; k < cnt; ++k, ++at) {
            const auto len = static_cast<ssize_t>(iov[at].iov_len);
            if (w >= len) {
                w -= len;
                continue;
            }
            if (!write_all(fd, static_cast<uint8_t *>(iov[at].iov_base) + w, static_cast<size_t>(len - w))) return false;
            w = 0;
        }
    }
    return true;
}
}  // namespace

Result<std::unique_ptr<CaptureSession>> CaptureSession::open(const std::string &port, const std::string &path,
                                                             uint64_t count, uint8_t dirs, bool overwrite) {
    std::unique_ptr<CaptureSession> s(new CaptureSession());
    s->path_ = path;
    s->count_ = count;
    auto fd = open_capture_file(path, overwrite);
    if (!fd) return fd.error();
    s->fd_ = fd.value();
    s->created_ = !overwrite;
    const std::string tag = std::to_string(++g_sessions);
    rte_mempool *mp = rte_pktmbuf_pool_create(("dsw_cap" + tag).c_str(), kCaptureMbufs, 0, 0,
                                              static_cast<uint16_t>(rte_pcapng_mbuf_size(CaptureTap::kCopyRoom)), SOCKET_ID_ANY);
    if (mp == nullptr) return fail("cannot create the capture pool: " + std::string(rte_strerror(rte_errno)));
    s->pool_.reset(mp);
    auto ring = make_ring("dsw_cap" + tag, kCaptureRing, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (!ring) return ring.error();
    s->ring_ = std::move(ring.value());
    const std::vector<uint8_t> header = file_header(port);
    if (!write_all(s->fd_, header.data(), header.size()))
        return fail("cannot write " + path + ": " + std::strerror(errno));
    s->started_ = true;
    s->tap_.ring = s->ring_.get();
    s->tap_.pool = s->pool_.get();
    s->tap_.dirs = dirs;
    return s;
}

bool CaptureSession::drain() {
    rte_mbuf *pkts[256];
    unsigned n;
    while ((n = rte_ring_sc_dequeue_burst(ring_.get(), reinterpret_cast<void **>(pkts), 256, nullptr)) != 0) {
        unsigned keep = n;
        if (count_ != 0 && written_ + keep > count_) keep = static_cast<unsigned>(count_ - written_);
        if (keep != 0 && write_blocks(fd_, pkts, keep)) written_ += keep;
        rte_pktmbuf_free_bulk(pkts, n);
        if (count_ != 0 && written_ >= count_) return true;
    }
    return false;
}

CaptureSession::~CaptureSession() {
    if (ring_ && started_) drain();   // a switch stopping mid-capture still writes what it saw
    if (ring_) {
        void *m;
        while (rte_ring_dequeue(ring_.get(), &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
    }
    if (fd_ >= 0) close(fd_);
    // A session that never started leaves no empty file behind, which would refuse the retry.
    if (!started_ && created_) unlink(path_.c_str());
}

}  // namespace dsw
