// TapQueue: the data path of a TAP netdev's file descriptor opened with IFF_VNET_HDR (the vtap
// port's I/O). A tap's fd reads and writes one frame per call (no recvmmsg/sendmmsg on it), so a
// burst is a loop of readv/writev; each frame carries the 24-byte UDP-tunnel virtio-net header
// (dataplane/vnet_tunnel.h), mapped onto the mbuf's offload fields, so that 64 KB TCP/UDP
// segments, plain or inside a VXLAN tunnel, cross as they are. The kernel copies each frame
// once; user space never does.
//
// RX: a head and a tail mbuf from the port's own pool of 64 KB mbufs stay posted; a frame longer
// than the head's room continues in the tail, a chain of two. The tap writes an 802.1Q tag
// inline (no tag apart, unlike a packet socket). TX: one writev per frame, the header then each
// segment of the chain.
//
// Who uses it: the one worker that polls the port calls rx() and tx(); the control plane makes
// it before the port is in any view and destroys it after RCU showed no worker has it.
#pragma once

#include <sys/uio.h>

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/vnet_tunnel.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/vnet_frames.h"

namespace dsw {

class TapQueue {
public:
    // Segments of one frame a writev takes (a header segment chained to a clone and its tail);
    // a frame of more is refused (counted by the caller).
    static constexpr unsigned kTxIov = 16;
    // The data room of the pool's mbufs: a 64 KB frame plus headers fits in a head and a tail.
    static constexpr uint16_t kDataRoom = UINT16_MAX;

    // `fd`: a non-blocking tap fd with IFF_VNET_HDR and a header size of sizeof(VnetTunnelHdr),
    // owned (closed) by the caller. `outer_udp_csum`: the tap took TUN_F_UDP_TUNNEL_GSO_CSUM, so
    // the UDP-tunnel GSO frames written get their outer UDP checksum asked for
    // (vnet_tunnel_ask_outer_csum), and the encapsulated frames asking only for their inner
    // checksum get theirs written (vnet_tunnel_outer_csum_lco).
    TapQueue(int fd, rte_mempool *pool, bool outer_udp_csum = false)
        : fd_(fd), pool_(pool), outer_udp_csum_(outer_udp_csum) {}
    TapQueue(const TapQueue &) = delete;
    TapQueue &operator=(const TapQueue &) = delete;
    ~TapQueue();   // gives back the posted mbufs

    // Up to n frames; one whose header lies, or cut short, is freed and counted in pc (received,
    // and dropped with its reason).
    uint16_t rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept;
    // Writes pkts in order and frees what the kernel took (it copied them): how many. The rest
    // stay the caller's: those behind a write the tap refused for the moment (down, gone) and,
    // moved behind them, the last `refused`, which it refused outright (a header it rejects:
    // EINVAL).
    uint16_t tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept;

private:
    bool post() noexcept;   // a head (and, if the pool has one, a tail) posted

    int fd_;
    rte_mempool *pool_;
    bool outer_udp_csum_;
    PostedFrame slot_;
    VnetTunnelHdr rx_hdr_{};
    VnetTunnelHdr tx_hdr_{};
    iovec tx_iov_[1 + kTxIov];
};

}  // namespace dsw
