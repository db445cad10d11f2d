#include "dpdk_switch/control/capture_session.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
    // rte_pcapng_fdopen writes the file's first blocks; when a write fails it leaves the reason
    // in errno and rte_errno as it was (a stale value said "No such file or directory").
    errno = 0;
    rte_errno = 0;
    s->writer_ = rte_pcapng_fdopen(s->fd_, nullptr, nullptr, "dpdk_switch", ("capture of port " + port).c_str());
    if (s->writer_ == nullptr) {
        const int err = errno != 0 ? errno : rte_errno;
        return fail("cannot write " + path + ": " + (err != 0 ? std::strerror(err) : "rte_pcapng_fdopen failed"));
    }
    s->fd_ = -1;   // the writer owns it now
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
        if (keep != 0 && rte_pcapng_write_packets(writer_, pkts, static_cast<uint16_t>(keep)) >= 0) written_ += keep;
        rte_pktmbuf_free_bulk(pkts, n);
        if (count_ != 0 && written_ >= count_) return true;
    }
    return false;
}

CaptureSession::~CaptureSession() {
    if (ring_ && writer_ != nullptr) drain();   // a switch stopping mid-capture still writes what it saw
    if (ring_) {
        void *m;
        while (rte_ring_dequeue(ring_.get(), &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
    }
    if (writer_ != nullptr) rte_pcapng_close(writer_);
    if (fd_ >= 0) close(fd_);
    // A session that never started leaves no empty file behind, which would refuse the retry.
    if (writer_ == nullptr && created_) unlink(path_.c_str());
}

}  // namespace dsw
