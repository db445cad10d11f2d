#include "dpdk_switch/ports/vnet_socket.h"

#include <cerrno>
#include <cstring>

#include <rte_byteorder.h>
#include <rte_ether.h>

namespace dsw {

namespace {
constexpr unsigned kHdr = sizeof(virtio_net_hdr);

// The 802.1Q/802.1ad tag the kernel took off a received frame (veth hands it over apart, as an
// offloaded tag; so does the stack's own untagging on receive) and reported in PACKET_AUXDATA,
// put back where it was: after the MACs, which move 4 bytes into the head's headroom. The
// virtio-net header's offsets were counted on the untagged frame: they move too. False for a
// frame too short to hold the MACs (the kernel never untags one).
bool retag(rte_mbuf *m, const tpacket_auxdata &aux, virtio_net_hdr &h) noexcept {
    constexpr uint16_t kMacs = 2 * RTE_ETHER_ADDR_LEN, kTag = sizeof(rte_vlan_hdr);
    if (m->data_len < kMacs || rte_pktmbuf_headroom(m) < kTag) [[unlikely]]
        return false;
    const auto *from = rte_pktmbuf_mtod(m, const uint8_t *);
    auto *to = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, kTag));
    std::memmove(to, from, kMacs);
    // Without TPID_VALID (kernels before 3.14) the tag can only have been 802.1Q.
    const uint16_t tpid = (aux.tp_status & TP_STATUS_VLAN_TPID_VALID) ? aux.tp_vlan_tpid : RTE_ETHER_TYPE_VLAN;
    const uint16_t tag[2] = {rte_cpu_to_be_16(tpid), rte_cpu_to_be_16(aux.tp_vlan_tci)};
    std::memcpy(to + kMacs, tag, kTag);
    // A wrap past 65535 leaves an offset vnet_to_mbuf refuses, as it refuses any that lies.
    if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
        h.csum_start = rte_cpu_to_le_16(static_cast<uint16_t>(rte_le_to_cpu_16(h.csum_start) + kTag));
    if (h.hdr_len != 0) h.hdr_len = rte_cpu_to_le_16(static_cast<uint16_t>(rte_le_to_cpu_16(h.hdr_len) + kTag));
    return true;
}

// The slot's PACKET_AUXDATA when it says the frame came tagged, else null: for an untagged
// frame one test of the status the kernel wrote (it writes the message for every frame).
inline const tpacket_auxdata *tag_of(const msghdr &mh, const void *ctl) noexcept {
    const auto *aux = reinterpret_cast<const tpacket_auxdata *>(CMSG_DATA(static_cast<const cmsghdr *>(ctl)));
    if (!(aux->tp_status & TP_STATUS_VLAN_VALID)) [[likely]]
        return nullptr;
    // Rare from here: the message is checked to be the aux data (and this frame's) before use.
    const cmsghdr *c = CMSG_FIRSTHDR(&mh);
    if (c == nullptr || c != ctl || c->cmsg_level != SOL_PACKET || c->cmsg_type != PACKET_AUXDATA ||
        c->cmsg_len < CMSG_LEN(sizeof(tpacket_auxdata)))
        return nullptr;
    return aux;
}
}  // namespace

VnetSocket::~VnetSocket() {
    for (PostedFrame &slot : slot_) slot.release();
}

unsigned VnetSocket::post(uint16_t n) noexcept {
    // The slots a call filled are a prefix of those it offered: their heads come back in one
    // bulk allocation. Tails are taken only by frames past a head's room, rarely.
    rte_mbuf *fresh[kMaxBurst];
    unsigned missing = 0;
    for (unsigned i = 0; i < n; ++i) missing += slot_[i].head == nullptr;
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
        PostedFrame &slot = slot_[i];
        if (slot.head == nullptr) {
            if (k == got) break;
            rte_mbuf *h = fresh[k++];
            slot.head = h;
            rx_iov_[i][0] = {&rx_hdr_[i], kHdr};
            rx_iov_[i][1] = {rte_pktmbuf_mtod(h, void *), PostedFrame::room(h)};
        }
        if (slot.post_tail(pool_)) rx_iov_[i][2] = {slot.tail->buf_addr, slot.tail->buf_len};
        msghdr &mh = rx_msg_[i].msg_hdr;
        mh = msghdr{};
        mh.msg_iov = rx_iov_[i];
        mh.msg_iovlen = slot.tail != nullptr ? 3 : 2;   // without one, a long frame is cut (and counted)
        mh.msg_control = rx_ctl_[i].buf;
        mh.msg_controllen = sizeof rx_ctl_[i].buf;
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
        rte_mbuf *m = slot_[i].take_head();
        const uint32_t len = rx_msg_[i].msg_len;
        if (len < kHdr || (rx_msg_[i].msg_hdr.msg_flags & MSG_TRUNC)) [[unlikely]] {
            // Longer than head and tail hold (or a header cut short): never switched cut.
            drop_received(m, len > kHdr ? len - kHdr : 0, DropReason::oversize, pc);
            continue;
        }
        uint32_t frame = len - kHdr;
        slot_[i].lay(m, frame);
        if (const tpacket_auxdata *aux = tag_of(rx_msg_[i].msg_hdr, rx_ctl_[i].buf)) [[unlikely]] {
            if (!retag(m, *aux, rx_hdr_[i])) {
                drop_received(m, frame, DropReason::runt, pc);
                continue;
            }
            frame = m->pkt_len;
        }
        const VnetParse parsed = vnet_to_mbuf(rx_hdr_[i], m);
        if (!parsed.ok) [[unlikely]] {
            drop_received(m, frame, parsed.reason, pc);
            continue;
        }
        pkts[kept++] = m;
    }
    return kept;
}

uint16_t VnetSocket::tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept {
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
            const unsigned k = frame_iov(m, &tx_hdr_[msgs], kHdr, v);
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
        move_behind(pkts, sent, n);
        --end;
    }
    refused = static_cast<uint16_t>(n - end);
    return sent;
}

}  // namespace dsw
