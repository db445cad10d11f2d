// MemifSession: one memif control connection, from the first message to the connected queue
// pair: the handshake of either role, and everything the connection holds (the socket, the
// regions mapped, the ring eventfds, the MemifQueue). Its destructor unmaps and closes it all,
// so its owner destroys it only once no worker can be inside its queue (ports/memif.cc).
//
// Server: sends HELLO; takes INIT (our id, version 2.0, our secret if we have one, ethernet
// mode), ADD_REGION (a sealed memfd at least as large as claimed: fstat, F_SEAL_SHRINK, so that
// the client cannot shrink it under us and turn a read into SIGBUS), ADD_RING (one C2S and one
// S2C ring, inside their region, cookie checked at CONNECT), CONNECT; ACKs each and answers
// CONNECTED. Client: takes HELLO, makes one region (both rings, then the buffers), and sends
// INIT (with our secret), ADD_REGION, the two ADD_RINGs and CONNECT, each after the ACK of the
// one before, as net_memif does.
// Any message out of its turn, of the wrong size, with a count or size it did not advertise,
// ends the session with the reason (and a DISCONNECT to the peer, which it may log).
//
// Who uses it: the port's control thread only.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "dpdk_switch/ports/memif_queue.h"
#include "dpdk_switch/unique_fd.h"

namespace dsw {

// One memif message (its type set to `t`) on `sock`, with `fd` passed along unless it is -1,
// without blocking: whether all of it went. The session's own sends, and a test's peer.
bool memif_send(int sock, memif::MsgType t, const memif::Msg &body, int fd = -1);

class MemifSession {
public:
    // Regions a client may add (the index in HELLO is one less): one suffices for a copying peer.
    static constexpr unsigned kMaxRegions = 16;
    // Ring size a client gets, at most, and the size of its buffers (as net_memif's defaults).
    static constexpr unsigned kLog2RingSize = 10;
    static constexpr uint32_t kBufSize = 2048;

    struct Params {
        bool server = true;
        uint32_t id = 0;
        std::string if_name;      // ours, sent in CONNECT/CONNECTED
        // Client: sent in INIT. Server: INIT must carry this one; "": any client (as VPP,
        // net_memif and libmemif check it).
        std::string secret;
        rte_mempool *pool = nullptr;
        uint32_t max_frame = 0;
    };
    // other_id (server): the client's INIT asks for another interface (other_id()) on this socket:
    // the session goes to that port, which adopt()s it.
    enum class Step { more, connected, over, other_id };

    // `sock`: a connected SOCK_SEQPACKET socket.
    MemifSession(UniqueFd sock, const Params &p);
    MemifSession(const MemifSession &) = delete;
    MemifSession &operator=(const MemifSession &) = delete;
    ~MemifSession();

    int fd() const { return sock_.get(); }
    // Server: sends HELLO. Client: nothing (the server speaks first).
    Step start(std::string &why);
    // Reads and answers one message (the socket is readable or hung up).
    Step on_readable(std::string &why);
    // Server: INIT taken for our own id (the session is this port's from here on).
    bool inited() const { return state_ != State::init; }
    uint32_t other_id() const { return init_.id; }
    // Server: takes a session another port of the socket accepted, whose INIT asked for us.
    Step adopt(const Params &p, std::string &why);
    // Tells the peer why it ends (best effort), before the destructor closes the socket.
    void say_disconnect(const std::string &why);

    MemifQueue *queue() const { return queue_.get(); }
    const std::string &peer_name() const { return peer_name_; }
    unsigned log2_ring_size() const { return log2_; }

private:
    enum class State { hello, init, parts, ack_init, ack_region, ack_ring_c2s, ack_ring_s2c, connected_wait, up };
    struct Ring {
        bool added = false;
        uint16_t region = 0;
        uint32_t offset = 0;
        UniqueFd eventfd;
    };

    // `fd`: the one the message carried (or none); a step that keeps it moves it out.
    Step server_step(const memif::Msg &m, UniqueFd &fd, std::string &why);
    Step client_step(const memif::Msg &m, std::string &why);
    Step fail(std::string &why, std::string reason);
    bool send(memif::MsgType t, const memif::Msg &body, int fd = -1);
    bool add_region(const memif::AddRegion &r, UniqueFd &fd, std::string &why);
    bool add_ring(const memif::AddRing &r, UniqueFd &fd, std::string &why);
    bool make_client_region(std::string &why);
    memif::RingHdr *ring_at(const Ring &r) const;
    Step go_up(std::string &why);

    UniqueFd sock_;
    Params p_;
    State state_;
    unsigned log2_ = 0;
    // Unmapped by the destructor, before the fds close.
    std::array<MemifRegion, kMaxRegions> regions_{};
    std::array<UniqueFd, kMaxRegions> region_fds_;
    uint16_t n_regions_ = 0;
    Ring c2s_, s2c_;
    std::string peer_name_;
    memif::Init init_{};   // an INIT for another id, kept for the port that adopts the session
    std::unique_ptr<MemifQueue> queue_;
};

}  // namespace dsw
