// Cutting a frame to its first bytes across segments: rte_pktmbuf_trim cuts within the last
// segment only (it refuses, changing nothing, when more is to go), so a packet that ends
// segments before its chain does would keep the bytes past its end.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

namespace dsw {

// `m` (the caller's alone) holds its first `len` bytes from now on; the segments past them go
// back to their pool. Nothing changes when the frame is not longer than `len`.
inline void pktmbuf_trim_to(rte_mbuf *m, uint32_t len) noexcept {
    if (m->pkt_len <= len) [[likely]]
        return;
    m->pkt_len = len;
    // The segment holding byte len - 1 (the segments' lengths add up to the old pkt_len).
    rte_mbuf *last = m;
    uint16_t segs = 1;
    uint32_t held = 0;
    while (held + last->data_len < len) {
        held += last->data_len;
        last = last->next;
        ++segs;
    }
    last->data_len = static_cast<uint16_t>(len - held);
    rte_mbuf *rest = last->next;
    last->next = nullptr;
    m->nb_segs = segs;
    if (rest != nullptr) rte_pktmbuf_free(rest);
}

}  // namespace dsw
