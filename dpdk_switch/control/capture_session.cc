#include "dpdk_switch/control/capture_session.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <unistd.h>

#include <rte_pcapng.h>

namespace dsw {

namespace {
constexpr unsigned kCaptureMbufs = 4095;   // copies in flight between workers and the file (~38 MB)
constexpr unsigned kCaptureRing = 4096;
unsigned g_sessions = 0;                   // makes pool and ring names unique
}  // namespace

Result<std::unique_ptr<CaptureSession>> CaptureSession::open(const std::string &port, const std::string &path,
                                                             uint64_t count, uint8_t dirs) {
    std::unique_ptr<CaptureSession> s(new CaptureSession());
    s->path_ = path;
    s->count_ = count;
    s->fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (s->fd_ < 0) return fail("cannot write " + path + ": " + std::strerror(errno));
    const std::string tag = std::to_string(++g_sessions);
    rte_mempool *mp = rte_pktmbuf_pool_create(("dsw_cap" + tag).c_str(), kCaptureMbufs, 0, 0,
                                              static_cast<uint16_t>(rte_pcapng_mbuf_size(s->tap_.snaplen)), SOCKET_ID_ANY);
    if (mp == nullptr) return fail("cannot create the capture pool: " + std::string(rte_strerror(rte_errno)));
    s->pool_.reset(mp);
    auto ring = make_ring("dsw_cap" + tag, kCaptureRing, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (!ring) return ring.error();
    s->ring_ = std::move(ring.value());
    s->writer_ = rte_pcapng_fdopen(s->fd_, nullptr, nullptr, "dpdk_switch", ("capture of port " + port).c_str());
    if (s->writer_ == nullptr) return fail("cannot start a pcapng file: " + std::string(rte_strerror(rte_errno)));
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
}

}  // namespace dsw
