#include "dpdk_switch/ports/vnet_socket.h"

#include <cerrno>
#include <cstring>

namespace dsw {

namespace {
constexpr unsigned kHdr = sizeof(virtio_net_hdr);

// A frame the port received but drops itself: counted as received, as the worker counts the
// frames it drops (frame_limit.h).
inline void drop_received(rte_mbuf *m, uint32_t len, DropReason why, PortCounters &pc) noexcept {
    pc.rx_packets.inc();
    pc.rx_bytes.add(len);
    pc.drops[static_cast<unsigned>(why)].inc();
    rte_pktmbuf_free(m);
}
}  // namespace

VnetSocket::~VnetSocket() {
    for (unsigned i = 0; i < kMaxBurst; ++i) {
        if (head_[i] != nullptr) rte_pktmbuf_free(head_[i]);
        if (tail_[i] != nullptr) rte_pktmbuf_free(tail_[i]);
    }
}

unsigned VnetSocket::post(uint16_t n) noexcept {
    // The slots a call filled are a prefix of those it offered: their heads come back in one
    // bulk allocation. Tails are taken only by frames past a head's room, rarely.
    rte_mbuf *fresh[kMaxBurst];
    unsigned missing = 0;
    for (unsigned i = 0; i < n; ++i) missing += head_[i] == nullptr;
    unsigned got = 0;
    if (missing != 0) {
        if (rte_pktmbuf_alloc_bulk(pool_, fresh, missing) == 0) {
            got = missing;
        } else {
            // The pool is short: as many as there are (the kernel keeps the rest queued).
            while (got < missing && (fresh[got] = rte_pktmbuf_alloc(pool_)) != nullptr) ++got;
        }
    }
    unsigned ready = 0;
    for (unsigned i = 0, k = 0; i < n; ++i) {
        if (head_[i] == nullptr) {
            if (k == got) break;
            rte_mbuf *h = fresh[k++];
            head_[i] = h;
            rx_iov_[i][0] = {&rx_hdr_[i], kHdr};
            rx_iov_[i][1] = {rte_pktmbuf_mtod(h, void *), static_cast<size_t>(h->buf_len - h->data_off)};
        }
        if (tail_[i] == nullptr) {
            rte_mbuf *t = rte_pktmbuf_alloc(pool_);
            if (t != nullptr) {
                t->data_off = 0;   // a second segment needs no headroom
                tail_[i] = t;
                rx_iov_[i][2] = {t->buf_addr, t->buf_len};
            }
        }
        msghdr &mh = rx_msg_[i].msg_hdr;
        mh = msghdr{};
        mh.msg_iov = rx_iov_[i];
        mh.msg_iovlen = tail_[i] != nullptr ? 3 : 2;   // without one, a long frame is cut (and counted)
        ready = i + 1;
    }
    return ready;
}

uint16_t VnetSocket::rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
    const unsigned ready = post(n);
    if (ready == 0) [[unlikely]]
        return 0;
    const int got = recvmmsg(fd_, rx_msg_, ready, MSG_DONTWAIT, nullptr);
    if (got <= 0) return 0;   // EAGAIN: nothing queued; an interface gone answers ENETDOWN once
    uint16_t kept = 0;
    for (int i = 0; i < got; ++i) {
        rte_mbuf *m = head_[i];
        head_[i] = nullptr;
        const uint32_t len = rx_msg_[i].msg_len;
        if (len < kHdr || (rx_msg_[i].msg_hdr.msg_flags & MSG_TRUNC)) [[unlikely]] {
            // Longer than head and tail hold (or a header cut short): never switched cut.
            drop_received(m, len > kHdr ? len - kHdr : 0, DropReason::oversize, pc);
            continue;
        }
        const uint32_t frame = len - kHdr;
        const uint32_t room = m->buf_len - m->data_off;
        if (frame <= room) [[likely]] {
            m->data_len = static_cast<uint16_t>(frame);
        } else {
            rte_mbuf *t = tail_[i];
            tail_[i] = nullptr;
            t->data_len = static_cast<uint16_t>(frame - room);
            m->data_len = static_cast<uint16_t>(room);
            m->next = t;
            m->nb_segs = 2;
        }
        m->pkt_len = frame;
        const VnetParse parsed = vnet_to_mbuf(rx_hdr_[i], m);
        if (!parsed.ok) [[unlikely]] {
            drop_received(m, frame, parsed.reason, pc);
            continue;
        }
        pkts[kept++] = m;
    }
    return kept;
}

uint16_t VnetSocket::tx(rte_mbuf **pkts, uint16_t n) noexcept {
    uint16_t sent = 0;
    uint16_t end = n;   // [end, n): frames the kernel refused, moved out of the way
    while (sent < end) {
        // One message per frame from `sent` on, as many as the iovecs hold.
        unsigned msgs = 0, iov = 0;
        for (uint16_t i = sent; i < end && msgs < kTxBatch; ++i) {
            const rte_mbuf *m = pkts[i];
            if (iov + 1 + m->nb_segs > kTxIov) break;
            mbuf_to_vnet(m, tx_hdr_[msgs]);
            iovec *v = &tx_iov_[iov];
            v[0] = {&tx_hdr_[msgs], kHdr};
            unsigned k = 1;
            for (const rte_mbuf *s = m; s != nullptr; s = s->next)
                if (s->data_len != 0) v[k++] = {rte_pktmbuf_mtod(s, void *), s->data_len};
            msghdr &mh = tx_msg_[msgs].msg_hdr;
            mh = msghdr{};
            mh.msg_iov = v;
            mh.msg_iovlen = k;
            iov += k;
            ++msgs;
        }
        int r = -1;
        if (msgs != 0) [[likely]]
            r = sendmmsg(fd_, tx_msg_, msgs, MSG_DONTWAIT);
        else
            errno = EMSGSIZE;   // one frame of more segments than a message takes
        if (r > 0) {
            rte_pktmbuf_free_bulk(pkts + sent, static_cast<unsigned>(r));
            sent = static_cast<uint16_t>(sent + r);
            continue;
        }
        // Full for now, or the interface is down or gone: the caller counts the rest.
        if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR || errno == ENETDOWN || errno == ENXIO ||
            errno == ENODEV)
            break;
        // The kernel refuses the first frame itself (EINVAL, EMSGSIZE): it goes behind the
        // others, which are still tried, in order.
        rte_mbuf *bad = pkts[sent];
        std::memmove(pkts + sent, pkts + sent + 1, (n - sent - 1) * sizeof(*pkts));
        pkts[n - 1] = bad;
        --end;
    }
    return sent;
}

}  // namespace dsw
