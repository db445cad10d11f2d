// VnetSocket: the data path of an AF_PACKET socket with PACKET_VNET_HDR (the veth port's I/O).
// Frames move in batches, one recvmmsg or sendmmsg per burst, straight between the kernel and
// the mbufs: the kernel copies each frame once and user space never does. Each frame carries a
// virtio-net header, mapped onto the mbuf's offload fields (dataplane/vnet_hdr.h), so that a
// container's partial checksums and 64 KB TCP/UDP segments cross the switch as they are.
//
// RX: every message slot has a header, a head mbuf and a tail mbuf posted from the port's own
// pool of 64 KB mbufs; a frame longer than the head's room (up to the 65535-byte data room
// less headroom) continues in the tail, a chain of two. What a call does not fill stays posted
// for the next. A frame that came tagged has its tag back in place before the header is read
// (the kernel hands a packet socket the tag apart, in PACKET_AUXDATA: the socket must have it
// on). TX: one message per frame, the header then each segment of the chain.
//
// Who uses it: the one worker that polls the port calls rx() and tx(); the control plane makes
// it before the port is in any view and destroys it after RCU showed no worker has it.
#pragma once

#include <linux/if_packet.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/vnet_frames.h"

namespace dsw {

class VnetSocket {
public:
    // Frames one tx() call sends at most per sendmmsg (a TX batch: TxStage::kBatch).
    static constexpr unsigned kTxBatch = 64;
    // iovecs for one sendmmsg: a header and about three segments a frame (a flood's VLAN
    // variant is a header segment chained to a clone); a batch with more sends in two calls.
    static constexpr unsigned kTxIov = kTxBatch * 4;

    // `fd`: a bound AF_PACKET socket with PACKET_VNET_HDR and PACKET_AUXDATA, owned (closed) by the caller.
    VnetSocket(int fd, rte_mempool *pool) : fd_(fd), pool_(pool) {}
    VnetSocket(const VnetSocket &) = delete;
    VnetSocket &operator=(const VnetSocket &) = delete;
    ~VnetSocket();   // gives back the posted mbufs

    // Up to n (<= kMaxBurst) frames; a frame cut short (longer than head and tail) or whose
    // header lies is freed and counted in pc (received, and dropped with its reason).
    uint16_t rx(rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept;
    // Sends pkts in order and frees what the kernel took (it copied them): how many. The rest
    // stay the caller's: those the socket had no room for (EAGAIN/ENOBUFS) or could not send
    // (the interface down or gone) and, moved behind them, the last `refused`, which the kernel
    // refused outright (EINVAL: a header it rejects; EMSGSIZE: longer than the MTU).
    uint16_t tx(rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept;

    // The data room of the pool's mbufs: all of uint16_t, so that a frame of up to 64 KB
    // plus its headers fits in a head and a tail.
    static constexpr uint16_t kDataRoom = UINT16_MAX;

private:
    unsigned post(uint16_t n) noexcept;   // how many leading slots are ready for recvmmsg

    // Room for the one control message asked for: PACKET_AUXDATA.
    union Control {
        cmsghdr align;
        char buf[CMSG_SPACE(sizeof(tpacket_auxdata))];
    };

    int fd_;
    rte_mempool *pool_;
    virtio_net_hdr rx_hdr_[kMaxBurst];
    PostedFrame slot_[kMaxBurst];
    iovec rx_iov_[kMaxBurst][3];
    Control rx_ctl_[kMaxBurst];
    mmsghdr rx_msg_[kMaxBurst];
    virtio_net_hdr tx_hdr_[kTxBatch];
    iovec tx_iov_[kTxIov];
    mmsghdr tx_msg_[kTxBatch];
};

}  // namespace dsw
