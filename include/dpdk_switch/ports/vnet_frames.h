// What the two kinds whose frames carry a virtio-net header share in their I/O (VnetSocket: the
// veth port's packet socket; TapQueue: the vtap port's tap fd): the head and tail mbufs posted
// for one frame, laying a received frame in them, a frame's TX iovecs, and the bookkeeping of a
// frame the kernel refused. All inline: called per frame from both hot loops, it costs no call.
//
// Who uses it: the one worker that polls the port, through the port's queue object.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"

namespace dsw {

// The mbufs posted for one received frame: a head from the port's pool of 64 KB mbufs and, when
// the pool had one, a tail; a frame longer than the head's room continues in the tail, a chain
// of two. Owned by the queue that posted them until a frame takes them.
struct PostedFrame {
    rte_mbuf *head = nullptr;
    rte_mbuf *tail = nullptr;

    // True when it posted a tail just now (the caller points its iovec at it); a pool that is
    // short leaves none, and a long frame is then cut (and counted).
    bool post_tail(rte_mempool *pool) noexcept {
        if (tail != nullptr || (tail = rte_pktmbuf_alloc(pool)) == nullptr) return false;
        tail->data_off = 0;   // a second segment needs no headroom
        return true;
    }

    // The head's room for frame bytes.
    static uint32_t room(const rte_mbuf *m) noexcept { return m->buf_len - m->data_off; }

    // The head, no longer posted.
    rte_mbuf *take_head() noexcept {
        rte_mbuf *m = head;
        head = nullptr;
        return m;
    }

    // Lays the `frame` bytes the kernel wrote into m (the taken head) and, past its room, the
    // tail, which m then takes too. The caller checked the frame fits both.
    void lay(rte_mbuf *m, uint32_t frame) noexcept {
        const uint32_t r = room(m);
        if (frame <= r) [[likely]] {
            m->data_len = static_cast<uint16_t>(frame);
        } else {
            rte_mbuf *t = tail;
            tail = nullptr;
            t->data_len = static_cast<uint16_t>(frame - r);
            m->data_len = static_cast<uint16_t>(r);
            m->next = t;
            m->nb_segs = 2;
        }
        m->pkt_len = frame;
    }

    void release() noexcept {
        if (head != nullptr) rte_pktmbuf_free(head);
        if (tail != nullptr) rte_pktmbuf_free(tail);
        head = tail = nullptr;
    }
};

// A frame the port received but drops itself: counted as received, as the worker counts the
// frames it drops (frame_limit.h).
inline void drop_received(rte_mbuf *m, uint32_t len, DropReason why, PortCounters &pc) noexcept {
    pc.rx_packets.inc();
    pc.rx_bytes.add(len);
    pc.drops[static_cast<unsigned>(why)].inc();
    rte_pktmbuf_free(m);
}

// The iovecs of one frame to send: its header, then each non-empty segment of m's chain. How
// many; v has room for 1 + m->nb_segs.
inline unsigned frame_iov(const rte_mbuf *m, void *hdr, size_t hdr_len, iovec *v) noexcept {
    v[0] = {hdr, hdr_len};
    unsigned k = 1;
    for (const rte_mbuf *s = m; s != nullptr; s = s->next)
        if (s->data_len != 0) v[k++] = {rte_pktmbuf_mtod(s, void *), s->data_len};
    return k;
}

// pkts[at], a frame the kernel refused outright, moved to the back of pkts[0, n) so that the
// frames behind it are still tried, in order; the caller then tries one fewer.
inline void move_behind(rte_mbuf **pkts, uint16_t at, uint16_t n) noexcept {
    rte_mbuf *bad = pkts[at];
    std::memmove(pkts + at, pkts + at + 1, (n - at - 1) * sizeof(*pkts));
    pkts[n - 1] = bad;
}

}  // namespace dsw
