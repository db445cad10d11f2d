// MemifQueue: the data path of one connected memif queue pair (an RX ring and a TX ring in
// shared memory), frames copied between the rings' buffers and mbufs (no zero-copy: the
// peer's memory never reaches an mbuf, so nothing of it outlives the connection).
//
// Nothing the peer writes is trusted. Every descriptor is read once into a local copy and
// checked before use: as server (the peer's regions and descriptors) its region index, and its
// offset and length within that mapped region; as client (our own region) only length and flags
// are the peer's, checked against our buffer size, and each slot's buffer is where we put it.
// The ring indexes the peer moves are checked against the ring size, a chain of NEXT
// descriptors against kMaxChain and against the slots the peer produced. A frame longer than the
// switch carries is a counted drop (oversize), a runt too; a descriptor that lies is a fault:
// the queue stops (rx and tx answer 0) and fault() says why, for the port's control thread to
// end the connection. Never an access outside the mapped regions.
//
// Who uses it: the one worker that polls the port calls rx() and tx(); the control thread makes
// it before publishing it and destroys it after no worker can be inside (ports/memif.cc).
#pragma once

#include <atomic>
#include <cstdint>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/memif_wire.h"

struct rte_mbuf;
struct rte_mempool;

namespace dsw {

// A region mapped into this process: [base, base + size).
struct MemifRegion {
    uint8_t *base = nullptr;
    uint64_t size = 0;
};

// Why a queue stopped: what the peer wrote wrong.
enum class MemifFault : uint8_t { none, ring_index, desc_region, desc_range, desc_length, chain_long, chain_open };
const char *memif_fault_text(MemifFault f);

class MemifQueue {
public:
    // Descriptors one frame may span, either way (a 9 KB frame in 64-byte buffers fits).
    static constexpr unsigned kMaxChain = 160;

    struct Setup {
        bool server = true;
        memif::RingHdr *rx_ring = nullptr;   // server: C2S; client: S2C
        memif::RingHdr *tx_ring = nullptr;   // server: S2C; client: C2S
        unsigned log2_ring_size = 10;
        // The regions the descriptors may name (server: the peer's, all of them).
        const MemifRegion *regions = nullptr;
        uint16_t n_regions = 0;
        // Client only: our buffers in region 0, buf_size bytes per slot, the RX ring's from
        // rx_buf_offset and the TX ring's from tx_buf_offset (slot i at offset + i * buf_size).
        uint32_t buf_size = 0;
        uint32_t rx_buf_offset = 0, tx_buf_offset = 0;
        int tx_kick_fd = -1;   // the TX ring's eventfd: written when the peer did not mask it
        rte_mempool *pool = nullptr;   // RX mbufs
        uint32_t max_frame = 0;        // longer received frames are dropped `oversize`
    };

    explicit MemifQueue(const Setup &s);
    MemifQueue(const MemifQueue &) = delete;
    MemifQueue &operator=(const MemifQueue &) = delete;

    // Client: posts every RX buffer to the peer (before the queue is published).
    void post_rx() noexcept;

    // Up to n frames, copied into mbuf chains from the pool; drops counted in pc.
    uint16_t rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept;
    // Copies the first frames that fit into the TX ring and frees them: how many. refused: the
    // last frames it will never take (longer than kMaxChain buffers hold).
    uint16_t tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept;

    // What stopped the queue; none while it runs. Any thread.
    MemifFault fault() const { return fault_.load(std::memory_order_acquire); }

    // RX mbufs taken from the pool a burst at a time; given back when the queue goes.
    struct Stash {
        rte_mempool *pool;
        rte_mbuf *m[kMaxBurst] = {};
        unsigned n = 0;
        rte_mbuf *get() noexcept;
        ~Stash();
    };

private:
    struct Buf {
        uint8_t *p;
        uint32_t len;
    };
    // The buffer slot `slot` of ring `r` points at, of at least `need` bytes as the peer says
    // (server), or our own (client); none and a fault when it lies.
    bool peer_buffer(const memif::Desc &d, uint32_t need, Buf &out) noexcept;
    void stop(MemifFault f) noexcept;

    bool server_;
    memif::RingHdr *rx_ring_, *tx_ring_;
    memif::Desc *rx_desc_, *tx_desc_;
    uint16_t size_, mask_;
    const MemifRegion *regions_;
    uint16_t n_regions_;
    uint32_t buf_size_;
    uint8_t *rx_bufs_ = nullptr, *tx_bufs_ = nullptr;   // client
    int tx_kick_fd_;
    Stash stash_;
    uint32_t max_frame_;
    // Worker-owned cursors. rx_next_: the next slot to read. rx_posted_ (client): how far our
    // RX buffers are posted (the head we wrote). tx_next_: the next slot to fill.
    uint16_t rx_next_ = 0, rx_posted_ = 0, tx_next_ = 0;
    std::atomic<MemifFault> fault_{MemifFault::none};
};

}  // namespace dsw
