// Move-only owners of DPDK objects that need nothing but a free call: mempools, rings.
// They expose the raw handle (get()); the hot loop calls DPDK on it directly.
#pragma once

#include <algorithm>
#include <memory>
#include <string>

#include <rte_errno.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "dpdk_switch/result.h"

namespace dsw {

struct MempoolFree {
    void operator()(rte_mempool *mp) const { rte_mempool_free(mp); }
};
struct RingFree {
    void operator()(rte_ring *r) const { rte_ring_free(r); }
};
using MempoolPtr = std::unique_ptr<rte_mempool, MempoolFree>;
using RingPtr = std::unique_ptr<rte_ring, RingFree>;

// `data_room`: each mbuf's, headroom included (a jumbo port's own RX pool wants more).
inline Result<MempoolPtr> make_pktmbuf_pool(const std::string &name, unsigned n, int socket,
                                            uint16_t data_room = RTE_MBUF_DEFAULT_BUF_SIZE) {
    // Per-lcore caches spare the pool's ring on every alloc/free; DPDK wants cache <= n / 1.5.
    const unsigned cache = std::min(256u, n / 2);
    rte_mempool *mp = rte_pktmbuf_pool_create(name.c_str(), n, cache, 0, data_room, socket);
    if (mp == nullptr)
        return fail("cannot create mbuf pool '" + name + "' of " + std::to_string(n) +
                    " mbufs: " + rte_strerror(rte_errno));
    return MempoolPtr(mp);
}

inline Result<RingPtr> make_ring(const std::string &name, unsigned count, int socket, unsigned flags) {
    rte_ring *r = rte_ring_create(name.c_str(), count, socket, flags);
    if (r == nullptr)
        return fail("cannot create ring '" + name + "': " + rte_strerror(rte_errno));
    return RingPtr(r);
}

}  // namespace dsw
