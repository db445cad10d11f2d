#include "dpdk_switch/ports/tap_queue.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <rte_ether.h>

namespace dsw {

namespace {
constexpr unsigned kHdr = sizeof(VnetTunnelHdr);

// A frame the port received but drops itself: counted as received, as the worker counts the
// frames it drops (frame_limit.h).
inline void drop_received(rte_mbuf *m, uint32_t len, DropReason why, PortCounters &pc) noexcept {
    pc.rx_packets.inc();
    pc.rx_bytes.add(len);
    pc.drops[static_cast<unsigned>(why)].inc();
    rte_pktmbuf_free(m);
}
}  // namespace

TapQueue::~TapQueue() {
    if (head_ != nullptr) rte_pktmbuf_free(head_);
    if (tail_ != nullptr) rte_pktmbuf_free(tail_);
}

bool TapQueue::post() noexcept {
    if (head_ == nullptr && (head_ = rte_pktmbuf_alloc(pool_)) == nullptr) [[unlikely]]
        return false;
    if (tail_ == nullptr && (tail_ = rte_pktmbuf_alloc(pool_)) != nullptr)
        tail_->data_off = 0;   // a second segment needs no headroom
    return true;
}

uint16_t TapQueue::rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
    uint16_t kept = 0;
    for (uint16_t got = 0; got < n; ++got) {
        if (!post()) [[unlikely]]
            break;   // the pool is short: the tap keeps the rest queued
        rte_mbuf *m = head_;
        const uint32_t room = m->buf_len - m->data_off;
        iovec iov[3] = {{&rx_hdr_, kHdr}, {rte_pktmbuf_mtod(m, void *), room}, {}};
        unsigned niov = 2;
        if (tail_ != nullptr) iov[niov++] = {tail_->buf_addr, tail_->buf_len};
        const ssize_t r = readv(fd_, iov, static_cast<int>(niov));
        if (r <= 0) break;   // EAGAIN: nothing queued; EIO/EBADFD: the interface is down or gone
        head_ = nullptr;
        const uint32_t len = static_cast<uint32_t>(r);
        const uint32_t cap = kHdr + room + (tail_ != nullptr ? tail_->buf_len : 0);
        // The tap answers the frame's whole length even where the buffers cut it.
        if (len < kHdr + RTE_ETHER_HDR_LEN || len > cap) [[unlikely]] {
            drop_received(m, len > kHdr ? len - kHdr : 0, len > cap ? DropReason::oversize : DropReason::runt, pc);
            continue;
        }
        const uint32_t frame = len - kHdr;
        if (frame <= room) [[likely]] {
            m->data_len = static_cast<uint16_t>(frame);
        } else {
            rte_mbuf *t = tail_;
            tail_ = nullptr;
            t->data_len = static_cast<uint16_t>(frame - room);
            m->data_len = static_cast<uint16_t>(room);
            m->next = t;
            m->nb_segs = 2;
        }
        m->pkt_len = frame;
        const VnetParse parsed = vnet_tunnel_to_mbuf(rx_hdr_, m);
        if (!parsed.ok) [[unlikely]] {
            drop_received(m, frame, parsed.reason, pc);
            continue;
        }
        pkts[kept++] = m;
    }
    return kept;
}

uint16_t TapQueue::tx(rte_mbuf **pkts, uint16_t n) noexcept {
    uint16_t sent = 0;
    uint16_t end = n;   // [end, n): frames the tap refused, moved out of the way
    while (sent < end) {
        const rte_mbuf *m = pkts[sent];
        ssize_t r = -1;
        if (m->nb_segs <= kTxIov) [[likely]] {
            mbuf_to_vnet_tunnel(m, tx_hdr_);
            tx_iov_[0] = {&tx_hdr_, kHdr};
            unsigned k = 1;
            for (const rte_mbuf *s = m; s != nullptr; s = s->next)
                if (s->data_len != 0) tx_iov_[k++] = {rte_pktmbuf_mtod(s, void *), s->data_len};
            r = writev(fd_, tx_iov_, static_cast<int>(k));
        } else {
            errno = EMSGSIZE;
        }
        if (r >= 0) [[likely]] {
            rte_pktmbuf_free(pkts[sent]);
            ++sent;
            continue;
        }
        // Down (EIO) or gone, or full for now: the caller counts the rest.
        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR || errno == EIO || errno == EBADFD ||
            errno == ENXIO || errno == ENODEV)
            break;
        // The tap refuses this frame itself (EINVAL: a header it rejects, EMSGSIZE): it goes
        // behind the others, which are still tried, in order.
        rte_mbuf *bad = pkts[sent];
        std::memmove(pkts + sent, pkts + sent + 1, (n - sent - 1) * sizeof(*pkts));
        pkts[n - 1] = bad;
        --end;
    }
    return sent;
}

}  // namespace dsw
