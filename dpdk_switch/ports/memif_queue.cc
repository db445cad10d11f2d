#include "dpdk_switch/ports/memif_queue.h"

#include <unistd.h>

#include <algorithm>

#include <rte_ether.h>
#include <rte_memcpy.h>
#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/ports/vnet_frames.h"

namespace dsw {

using memif::Desc;
using memif::RingHdr;

const char *memif_fault_text(MemifFault f) {
    switch (f) {
    case MemifFault::none: return "none";
    case MemifFault::ring_index: return "a ring index it moved is out of the ring";
    case MemifFault::desc_region: return "a descriptor names a region it never added";
    case MemifFault::desc_range: return "a descriptor's offset and length run past its region";
    case MemifFault::desc_length: return "a descriptor's length is over the buffer size";
    case MemifFault::chain_long: return "a frame chains more descriptors than allowed";
    case MemifFault::chain_open: return "a chain of descriptors runs past the slots produced";
    }
    return "?";
}

namespace {

// The peer may rewrite a slot while we read it: one load of each half into a copy, which is then
// all we look at (a plain struct copy could be re-read field by field after the checks).
Desc load_desc(const Desc *d) noexcept {
    const auto *w = reinterpret_cast<const uint64_t *>(d);
    const uint64_t a = __atomic_load_n(&w[0], __ATOMIC_RELAXED);
    const uint64_t b = __atomic_load_n(&w[1], __ATOMIC_RELAXED);
    Desc c;
    static_assert(sizeof c == 2 * sizeof a);
    std::memcpy(reinterpret_cast<uint8_t *>(&c), &a, sizeof a);
    std::memcpy(reinterpret_cast<uint8_t *>(&c) + sizeof a, &b, sizeof b);
    return c;
}

// The producer's index, loaded with acquire: the descriptors and buffers before it are written.
uint16_t load_index(uint16_t *i) noexcept { return __atomic_load_n(i, __ATOMIC_ACQUIRE); }
void store_index(uint16_t *i, uint16_t v) noexcept { __atomic_store_n(i, v, __ATOMIC_RELEASE); }

// A hint for the line at p (read, or to be written); it never faults, whatever p is.
void want(const void *p) noexcept { __builtin_prefetch(p, 0, 3); }
void want_to_write(const void *p) noexcept { __builtin_prefetch(p, 1, 3); }

void kick(const RingHdr *r, int fd) noexcept {
    if (fd < 0 || (__atomic_load_n(&r->flags, __ATOMIC_RELAXED) & memif::kRingMaskInt)) return;
    const uint64_t one = 1;
    // Full (the peer never reads it) or gone: it polls then, or is leaving.
    [[maybe_unused]] const ssize_t w = write(fd, &one, sizeof one);
}

}  // namespace

rte_mbuf *MemifQueue::Stash::get() noexcept {
    if (n == 0) {
        // A burst's worth at a time: one trip to the pool rather than one per frame.
        if (rte_pktmbuf_alloc_bulk(pool, m, kMaxBurst) != 0) [[unlikely]]
            return rte_pktmbuf_alloc(pool);   // short: one at a time, until it is empty
        n = kMaxBurst;
    }
    return m[--n];
}

MemifQueue::Stash::~Stash() {
    if (n > 0) rte_pktmbuf_free_bulk(m, n);
}

namespace {

// Appends len bytes at src to the chain head..last, taking mbufs from the stash as needed;
// false when the pool is empty.
bool append(MemifQueue::Stash &stash, rte_mbuf *&head, rte_mbuf *&last, const uint8_t *src, uint32_t len) noexcept {
    while (len > 0) {
        if (last == nullptr || rte_pktmbuf_tailroom(last) == 0) {
            rte_mbuf *m = stash.get();
            if (m == nullptr) [[unlikely]]
                return false;
            if (head == nullptr) {
                head = m;
            } else {
                m->data_off = 0;   // a further segment needs no headroom
                last->next = m;
                ++head->nb_segs;
            }
            last = m;
        }
        const uint32_t c = std::min<uint32_t>(len, rte_pktmbuf_tailroom(last));
        rte_memcpy(rte_pktmbuf_mtod_offset(last, uint8_t *, last->data_len), src, c);
        last->data_len = static_cast<uint16_t>(last->data_len + c);
        head->pkt_len += c;
        src += c;
        len -= c;
    }
    return true;
}

}  // namespace

MemifQueue::MemifQueue(const Setup &s)
    : server_(s.server), rx_ring_(s.rx_ring), tx_ring_(s.tx_ring),
      rx_desc_(reinterpret_cast<Desc *>(s.rx_ring + 1)), tx_desc_(reinterpret_cast<Desc *>(s.tx_ring + 1)),
      size_(static_cast<uint16_t>(1u << s.log2_ring_size)), mask_(static_cast<uint16_t>(size_ - 1)),
      regions_(s.regions), n_regions_(s.n_regions), buf_size_(s.buf_size), tx_kick_fd_(s.tx_kick_fd),
      stash_{s.pool}, max_frame_(s.max_frame) {
    if (!server_) {
        rx_bufs_ = regions_[0].base + s.rx_buf_offset;
        tx_bufs_ = regions_[0].base + s.tx_buf_offset;
    }
}

void MemifQueue::stop(MemifFault f) noexcept {
    MemifFault none = MemifFault::none;
    fault_.compare_exchange_strong(none, f, std::memory_order_release);
}

bool MemifQueue::peer_buffer(const Desc &d, uint32_t need, Buf &out) noexcept {
    if (d.region >= n_regions_) [[unlikely]] {
        stop(MemifFault::desc_region);
        return false;
    }
    const MemifRegion &r = regions_[d.region];
    if (uint64_t{d.offset} + need > r.size) [[unlikely]] {
        stop(MemifFault::desc_range);
        return false;
    }
    out = Buf{r.base + d.offset, need};
    return true;
}

void MemifQueue::post_rx() noexcept {
    // Every slot from the next one to read on belongs to the peer to fill.
    const uint16_t end = static_cast<uint16_t>(rx_next_ + size_);
    for (uint16_t s = rx_posted_; s != end; ++s) {
        Desc &d = rx_desc_[s & mask_];
        d.flags = 0;
        d.region = 0;
        d.length = buf_size_;
        d.offset = static_cast<uint32_t>(rx_bufs_ - regions_[0].base) + static_cast<uint32_t>(s & mask_) * buf_size_;
        d.metadata = 0;
    }
    rx_posted_ = end;
    store_index(&rx_ring_->head, end);
}

uint16_t MemifQueue::rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
    if (fault_.load(std::memory_order_relaxed) != MemifFault::none) [[unlikely]]
        return 0;
    // Server: the client produces on C2S by moving head. Client: the server fills what we
    // posted and moves tail, never past our head.
    const uint16_t produced = load_index(server_ ? &rx_ring_->head : &rx_ring_->tail);
    uint16_t avail = static_cast<uint16_t>(produced - rx_next_);
    const uint16_t limit = server_ ? size_ : static_cast<uint16_t>(rx_posted_ - rx_next_);
    if (avail > limit) [[unlikely]] {
        stop(MemifFault::ring_index);
        return 0;
    }
    const uint16_t start = rx_next_;
    // Each line the peer wrote is a trip from its CPU, long when the host puts the two CPUs
    // apart. Walking frame by frame, the next frame's lines would be asked for only once this
    // one is copied; so the burst's descriptors are first loaded, each once into `seen` (the
    // copy the loop below checks and uses), and the buffers of those that look sound asked
    // for, all misses under way together. Only a hint: the loop's checks still decide.
    Desc seen[kMaxBurst];
    const uint16_t n_seen = std::min<uint16_t>({avail, n, static_cast<uint16_t>(kMaxBurst)});
    for (uint16_t i = 0; i < n_seen; ++i) {
        const uint16_t slot = static_cast<uint16_t>(start + i) & mask_;
        const Desc d = seen[i] = load_desc(&rx_desc_[slot]);
        if (!server_)
            want(rx_bufs_ + size_t{slot} * buf_size_);
        else if (d.region < n_regions_ && d.offset < regions_[d.region].size)
            want(regions_[d.region].base + d.offset);
    }
    uint16_t got = 0;
    while (got < n && avail > 0) {
        rte_mbuf *head = nullptr, *last = nullptr;
        uint64_t total = 0;
        unsigned segs = 0;
        bool more = true, no_mbufs = false;
        while (more) {
            if (segs == avail) [[unlikely]] {
                stop(MemifFault::chain_open);
                break;
            }
            if (segs == kMaxChain) [[unlikely]] {
                stop(MemifFault::chain_long);
                break;
            }
            const uint16_t slot = static_cast<uint16_t>(rx_next_ + segs) & mask_;
            const uint16_t k = static_cast<uint16_t>(rx_next_ + segs - start);
            const Desc d = k < n_seen ? seen[k] : load_desc(&rx_desc_[slot]);
            ++segs;
            more = (d.flags & memif::kDescNext) != 0;
            Buf b;
            if (server_) {
                if (!peer_buffer(d, d.length, b)) break;
            } else {
                if (d.length > buf_size_) [[unlikely]] {
                    stop(MemifFault::desc_length);
                    break;
                }
                b = Buf{rx_bufs_ + size_t{slot} * buf_size_, d.length};
            }
            total += b.len;   // each under 4 GB, at most kMaxChain of them: no overflow in 64 bits
            if (total > max_frame_ || no_mbufs) continue;   // walked to its end, dropped below
            if (!append(stash_, head, last, b.p, b.len)) no_mbufs = true;
        }
        if (fault_.load(std::memory_order_relaxed) != MemifFault::none) [[unlikely]] {
            rte_pktmbuf_free(head);
            break;
        }
        if (no_mbufs) [[unlikely]] {
            rte_pktmbuf_free(head);   // the pool is short: the frame stays in the ring for later
            break;
        }
        rx_next_ = static_cast<uint16_t>(rx_next_ + segs);
        avail = static_cast<uint16_t>(avail - segs);
        if (total > max_frame_ || total < RTE_ETHER_HDR_LEN) [[unlikely]] {
            // Received, and dropped here (as drop_received counts it): never passed on cut.
            pc.rx_packets.inc();
            pc.rx_bytes.add(total);
            pc.drops[static_cast<unsigned>(total > max_frame_ ? DropReason::oversize : DropReason::runt)].inc();
            rte_pktmbuf_free(head);
            continue;
        }
        pkts[got++] = head;
    }
    // Written only when it moved: an idle poll leaves the peer's cache line alone.
    if (rx_next_ != start) {
        if (server_)
            store_index(&rx_ring_->tail, rx_next_);   // the slots read are the client's again
        else
            post_rx();
    }
    return got;
}

uint16_t MemifQueue::tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
    refused = 0;
    if (fault_.load(std::memory_order_relaxed) != MemifFault::none) [[unlikely]]
        return 0;
    // Server: fills the buffers the client posted on S2C (up to its head). Client: fills our
    // own buffers on C2S, up to the server's tail plus the ring.
    uint16_t avail;
    if (server_) {
        avail = static_cast<uint16_t>(load_index(&tx_ring_->head) - tx_next_);
    } else {
        const uint16_t used = static_cast<uint16_t>(tx_next_ - load_index(&tx_ring_->tail));
        avail = static_cast<uint16_t>(size_ - used);
        if (used > size_) avail = UINT16_MAX;   // caught below
    }
    if (avail > size_) [[unlikely]] {
        stop(MemifFault::ring_index);
        return 0;
    }
    // As in rx(), the burst's misses together: each descriptor line asked for to be written (it
    // is read, then written back: asked for so, it comes once, ours alone, rather than shared
    // and then taken from the peer on the write), the descriptors loaded once into `seen`, and
    // the buffers of those that look sound asked for to be written.
    const uint16_t start = tx_next_;
    const uint16_t n_seen = std::min<uint16_t>({avail, n, static_cast<uint16_t>(kMaxBurst)});
    for (uint16_t i = 0; i < n_seen; ++i)
        want_to_write(&tx_desc_[static_cast<uint16_t>(start + i) & mask_]);
    Desc seen[kMaxBurst];
    for (uint16_t i = 0; i < n_seen; ++i) {
        const uint16_t slot = static_cast<uint16_t>(start + i) & mask_;
        if (!server_) {
            want_to_write(tx_bufs_ + size_t{slot} * buf_size_);
            continue;
        }
        const Desc d = seen[i] = load_desc(&tx_desc_[slot]);
        if (d.region < n_regions_ && d.offset < regions_[d.region].size)
            want_to_write(regions_[d.region].base + d.offset);
    }
    Buf bufs[kMaxChain];
    uint16_t sent = 0;
    uint16_t end = n;   // [end, n): refused, moved behind
    while (sent < end) {
        rte_mbuf *m = pkts[sent];
        const uint32_t len = m->pkt_len;
        // The buffers it needs, their sizes as posted (server) or ours (client).
        unsigned segs = 0;
        uint32_t room = 0;
        bool lies = false;
        while (room < len) {
            if (segs == avail || segs == kMaxChain) break;
            const uint16_t slot = static_cast<uint16_t>(tx_next_ + segs) & mask_;
            Buf b;
            if (server_) {
                const uint16_t k = static_cast<uint16_t>(tx_next_ + segs - start);
                const Desc d = k < n_seen ? seen[k] : load_desc(&tx_desc_[slot]);
                if (!peer_buffer(d, d.length, b)) {
                    lies = true;
                    break;
                }
            } else {
                b = Buf{tx_bufs_ + size_t{slot} * buf_size_, buf_size_};
            }
            bufs[segs++] = b;
            room += b.len;
        }
        if (lies) [[unlikely]]
            break;   // the queue stopped; what went before is still published
        if (room < len) {
            if (segs == kMaxChain) {   // it never fits: refused, the rest still go
                move_behind(pkts, sent, n);
                --end;
                continue;
            }
            break;   // the ring is full for now
        }
        // Copy the chain's segments into the buffers, in order.
        unsigned k = 0;
        uint32_t off = 0;   // in bufs[k]
        for (const rte_mbuf *s = m; s != nullptr; s = s->next) {
            const uint8_t *src = rte_pktmbuf_mtod(s, const uint8_t *);
            uint32_t left = s->data_len;
            while (left > 0) {
                if (off == bufs[k].len) {
                    ++k;
                    off = 0;
                    continue;
                }
                const uint32_t c = std::min(left, bufs[k].len - off);
                rte_memcpy(bufs[k].p + off, src, c);
                off += c;
                src += c;
                left -= c;
            }
        }
        // The descriptors: lengths used, NEXT on all but the last. As client we also say where
        // (the server reads region and offset); as server they stay as the client posted them.
        uint32_t left = len;
        for (unsigned i = 0; i < segs; ++i) {
            const uint16_t slot = static_cast<uint16_t>(tx_next_ + i) & mask_;
            Desc &d = tx_desc_[slot];
            const uint32_t used = std::min(left, bufs[i].len);
            left -= used;
            if (!server_) {
                d.region = 0;
                d.offset = static_cast<uint32_t>(bufs[i].p - regions_[0].base);
                d.metadata = 0;
            }
            d.length = used;
            d.flags = i + 1 < segs ? memif::kDescNext : 0;
        }
        tx_next_ = static_cast<uint16_t>(tx_next_ + segs);
        avail = static_cast<uint16_t>(avail - segs);
        ++sent;
    }
    if (sent > 0) {
        store_index(server_ ? &tx_ring_->tail : &tx_ring_->head, tx_next_);
        kick(tx_ring_, tx_kick_fd_);
        rte_pktmbuf_free_bulk(pkts, sent);
    }
    refused = static_cast<uint16_t>(n - end);
    return sent;
}

}  // namespace dsw
