#include "dpdk_switch/ports/tap_queue.h"

#include <unistd.h>

#include <cerrno>

#include <rte_ether.h>

namespace dsw {

namespace {
constexpr unsigned kHdr = sizeof(VnetTunnelHdr);
}  // namespace

TapQueue::~TapQueue() { slot_.release(); }

bool TapQueue::post() noexcept {
    if (slot_.head == nullptr && (slot_.head = rte_pktmbuf_alloc(pool_)) == nullptr) [[unlikely]]
        return false;
    slot_.post_tail(pool_);
    return true;
}

uint16_t TapQueue::rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept {
    uint16_t kept = 0;
    for (uint16_t got = 0; got < n; ++got) {
        if (!post()) [[unlikely]]
            break;   // the pool is short: the tap keeps the rest queued
        const rte_mbuf *t = slot_.tail;
        const uint32_t room = PostedFrame::room(slot_.head);
        iovec iov[3] = {{&rx_hdr_, kHdr}, {rte_pktmbuf_mtod(slot_.head, void *), room}, {}};
        unsigned niov = 2;
        if (t != nullptr) iov[niov++] = {t->buf_addr, t->buf_len};
        const ssize_t r = readv(fd_, iov, static_cast<int>(niov));
        if (r <= 0) break;   // EAGAIN: nothing queued; EIO/EBADFD: the interface is down or gone
        rte_mbuf *m = slot_.take_head();
        const uint32_t len = static_cast<uint32_t>(r);
        const uint32_t cap = kHdr + room + (t != nullptr ? t->buf_len : 0);
        // The tap answers the frame's whole length even where the buffers cut it.
        if (len < kHdr + RTE_ETHER_HDR_LEN || len > cap) [[unlikely]] {
            drop_received(m, len > kHdr ? len - kHdr : 0, len > cap ? DropReason::oversize : DropReason::runt, pc);
            continue;
        }
        const uint32_t frame = len - kHdr;
        slot_.lay(m, frame);
        const VnetParse parsed = vnet_tunnel_to_mbuf(rx_hdr_, m);
        if (!parsed.ok) [[unlikely]] {
            drop_received(m, frame, parsed.reason, pc);
            continue;
        }
        pkts[kept++] = m;
    }
    return kept;
}

uint16_t TapQueue::tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
    uint16_t sent = 0;
    uint16_t end = n;   // [end, n): frames the tap refused, moved out of the way
    while (sent < end) {
        const rte_mbuf *m = pkts[sent];
        ssize_t r = -1;
        if (m->nb_segs <= kTxIov) [[likely]] {
            mbuf_to_vnet_tunnel(m, tx_hdr_);
            // The switch's own encapsulation (DPDK's tunnel form). A tunnel GSO frame switched as
            // it is carries its sender's outer checksum request already (mbuf_to_vnet_tunnel).
            if (outer_udp_csum_ && (m->ol_flags & RTE_MBUF_F_TX_TUNNEL_MASK) == RTE_MBUF_F_TX_TUNNEL_VXLAN) {
                if (tx_hdr_.hdr.gso_type & kVnetGsoUdpTunnel)
                    vnet_tunnel_ask_outer_csum(pkts[sent], tx_hdr_);
                else
                    vnet_tunnel_outer_csum_lco(pkts[sent]);
            }
            const unsigned k = frame_iov(m, &tx_hdr_, kHdr, tx_iov_);
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
        move_behind(pkts, sent, n);
        --end;
    }
    refused = static_cast<uint16_t>(n - end);
    return sent;
}

}  // namespace dsw
