// libFuzzer target for the memif data path once connected: the input is a hostile peer. A
// MemifSession of either role is taken through a real handshake on a socketpair, over sealed
// memfd regions that the fuzzer maps too (it makes them as client peer; as server peer it maps
// the one the switch's client sends), and the connected MemifQueue is then driven as a worker
// drives it: rx() and tx() calls interleaved with the peer's writes to ring indexes, descriptors
// (flags, region, offset, length, the NEXT chain flag) and ring flags. Built and run by
// scripts/fuzz.sh; seeds in tests/fuzz/memif_data_seeds (tests/fuzz/make_memif_seeds.py).
//
// Input format (all little-endian):
//   [0] bit0: the switch is the client (else the server); bits1-4: log2 ring size asked, 1 + v % 14
//       (as client the switch takes at most 10); bit5: max_frame 9018 (else 1518); bits6-7: extra
//       regions (server only)
//   [1] region 0's buffer room after the two rings: (v + 1) * 256 + 3 bytes (server only)
//   [2..4] each extra region's size: (v + 1) * 97 bytes (never a page multiple)
//   then ops, at most 64, each a byte (low 3 bits the op) and its arguments:
//   0 index  u8 sel (bit0 the switch's TX ring, else RX; bit1 tail, else head; bit2 add) u16 v
//   1 desc   u8 sel (bit0 TX ring) u16 slot, then a whole Desc (flags, region, length, offset,
//            metadata: 16 bytes)
//   2 frames the peer sends well: u8 count (1 + v % 32), per frame u16 length (v % 9300),
//            u8 chunk (64 * (1 + v % 32) bytes per descriptor), u8 where (region, offset)
//   3 the peer frees TX slots: as client peer posts u8 count buffers (1 + v % 64) of u16 length
//            at u16 offset in region u8; as server peer moves the C2S tail u8 count slots on
//            (0: to the head)
//   4 rx     u8 n (1 + v % 32)
//   5 tx     u8 count (1 + v % 32), per frame u16 length (1 + v % 12000) u8 segments (1 + v % 4)
//   6 flags  u8 sel (bit0 TX ring) u16 the ring header's flags (the interrupt mask)
//   7 rx of a whole burst
//
// Checks, besides what ASan and UBSan catch:
//   - every frame rx() returns is a chain of descriptors the peer produced, each inside a region
//     the peer owns (as client, inside the switch's own slot buffer), its pkt_len the sum of
//     their lengths and its bytes theirs; the frames it skipped are runts or oversize, counted;
//     without a fault, a short burst leaves nothing produced behind
//   - tx(): the descriptors it used, in order, grouped by NEXT, are the frames it sent, their
//     lengths and bytes; as server each inside the buffer the peer posted; indexes within the
//     slots the peer gave
//   - nothing in a region changes but the ring headers, the descriptors used and the buffers
//     the peer gave (or, as client, the switch's own slot buffers); the bytes of a region's
//     last page past its size stay zero
//   - the mempool is full again once the session is gone (no mbuf leaked); a hang is libFuzzer's
//     -timeout
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fcntl.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/dpdk/eal.h"
#include "dpdk_switch/ports/memif_session.h"
#include "dpdk_switch/ports/memif_wire.h"

namespace {

using dsw::MemifQueue;
using dsw::MemifSession;
using dsw::memif_send;
using dsw::memif::Desc;
using dsw::memif::Msg;
using dsw::memif::MsgType;
using dsw::memif::RingHdr;

[[noreturn]] void die(const std::string &what) {
    std::fprintf(stderr, "memif_data_fuzzer: %s\n", what.c_str());
    std::abort();
}
#define CHECK(cond)                                                                      \
    do {                                                                                 \
        if (!(cond)) die(std::string("check failed at line ") + std::to_string(__LINE__) + ": " #cond); \
    } while (0)

dsw::Eal *g_eal;
rte_mempool *g_pool;
constexpr unsigned kPoolMbufs = 4095;
constexpr unsigned kMaxOps = 64;
// Regions up to this much in all are compared whole after every call; larger ones at the end.
constexpr uint64_t kCompareEachCall = 256 * 1024;
constexpr uint32_t kClientBuf = MemifSession::kBufSize;

struct Input {
    const uint8_t *p;
    size_t n, at = 0;
    uint8_t u8() { return at < n ? p[at++] : 0; }
    uint16_t u16() { return static_cast<uint16_t>(u8() | u8() << 8); }
    uint32_t u32() { return static_cast<uint32_t>(u16() | uint32_t{u16()} << 16); }
    bool done() const { return at >= n; }
};

uint8_t pattern(unsigned region, uint64_t off) { return static_cast<uint8_t>((off * 7 + (off >> 8) * 3 + region * 61 + 1) | 1); }

// A region as the peer maps it, and the shadow: what it must hold, but for what the switch may
// have written in a call.
struct Region {
    uint8_t *base = nullptr;
    uint64_t size = 0, mapped = 0;
    std::vector<uint8_t> shadow;
};

uint64_t page_up(uint64_t n) {
    const uint64_t pg = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    return (n + pg - 1) / pg * pg;
}

void send_msg(int sock, MsgType t, Msg m, int fd = -1) {
    if (!memif_send(sock, t, m, fd)) die("sendmsg");
}

// The next message the switch sent, and the fd with it (or -1); -1 type when none is waiting.
int recv_msg(int sock, Msg &m, int &fd) {
    fd = -1;
    iovec iov{&m, sizeof m};
    alignas(cmsghdr) char ctl[CMSG_SPACE(4 * sizeof(int))];
    msghdr mh{};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl;
    mh.msg_controllen = sizeof ctl;
    if (recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) <= 0) return -1;
    for (cmsghdr *c = CMSG_FIRSTHDR(&mh); c != nullptr; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        const size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < k; ++i) {
            int f;
            std::memcpy(&f, CMSG_DATA(c) + i * sizeof(int), sizeof f);
            if (fd < 0) fd = f; else close(f);
        }
    }
    return m.type;
}

void drain(int sock) {
    Msg m;
    int fd;
    while (recv_msg(sock, m, fd) >= 0)
        if (fd >= 0) close(fd);
}

struct Peer {
    bool switch_client = false;
    unsigned log2 = 1;
    uint16_t size = 2, mask = 1;
    uint32_t max_frame = 1518;
    std::vector<Region> regions;
    std::vector<int> fds;   // the peer's: memfds, eventfds
    // Both rings in region 0: the switch's RX ring (C2S as server, S2C as client) and TX ring.
    uint64_t rx_off = 0, tx_off = 0;
    uint64_t rx_buf_off = 0, tx_buf_off = 0;   // switch as client: its slot buffers
    // The switch's cursors, as the checks follow them.
    uint16_t rx_next = 0, tx_next = 0;
    dsw::PortCounters pc;

    RingHdr *ring(bool tx) const { return reinterpret_cast<RingHdr *>(regions[0].base + (tx ? tx_off : rx_off)); }
    uint64_t desc_off(bool tx, uint16_t slot) const {
        return (tx ? tx_off : rx_off) + sizeof(RingHdr) + uint64_t{sizeof(Desc)} * (slot & mask);
    }
    Desc desc(bool tx, uint16_t slot) const {
        Desc d;
        std::memcpy(&d, regions[0].shadow.data() + desc_off(tx, slot), sizeof d);
        return d;
    }
    // The peer writes: the region and its shadow alike.
    void put(unsigned r, uint64_t off, const void *src, size_t len) {
        if (len == 0) return;
        std::memcpy(regions[r].base + off, src, len);
        std::memcpy(regions[r].shadow.data() + off, src, len);
    }
    void put_desc(bool tx, uint16_t slot, const Desc &d) { put(0, desc_off(tx, slot), &d, sizeof d); }
    void put_index(bool tx, bool tail, uint16_t v) {
        put(0, (tx ? tx_off : rx_off) + (tail ? offsetof(RingHdr, tail) : offsetof(RingHdr, head)), &v, sizeof v);
    }
    uint16_t index(bool tx, bool tail) const {
        uint16_t v;
        std::memcpy(&v, regions[0].base + (tx ? tx_off : rx_off) + (tail ? offsetof(RingHdr, tail) : offsetof(RingHdr, head)), sizeof v);
        return v;
    }
    // The switch may have written [off, off + len) of region r: taken into the shadow.
    void allow(unsigned r, uint64_t off, uint64_t len) {
        if (len == 0) return;
        std::memcpy(regions[r].shadow.data() + off, regions[r].base + off, len);
    }
    void allow_ring_hdrs() {
        allow(0, rx_off, sizeof(RingHdr));
        allow(0, tx_off, sizeof(RingHdr));
    }
    uint64_t total() const {
        uint64_t t = 0;
        for (const Region &r : regions) t += r.size;
        return t;
    }
    void compare() const {
        for (size_t i = 0; i < regions.size(); ++i) {
            const Region &r = regions[i];
            if (std::memcmp(r.base, r.shadow.data(), r.size) != 0) {
                uint64_t at = 0;
                while (r.base[at] == r.shadow[at]) ++at;
                die("region " + std::to_string(i) + " changed at offset " + std::to_string(at) + " where the switch may not write");
            }
            for (uint64_t at = r.size; at < r.mapped; ++at)
                if (r.base[at] != 0) die("region " + std::to_string(i) + " written past its size, at " + std::to_string(at));
        }
    }
    void compare_if_small() const {
        if (total() <= kCompareEachCall) compare();
    }
    ~Peer() {
        for (Region &r : regions)
            if (r.base != nullptr) munmap(r.base, r.mapped);
        for (int fd : fds) close(fd);
    }
};

int sealed_memfd(uint64_t size) {
    const int fd = memfd_create("memif_data_fuzz", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    if (fd < 0 || ftruncate(fd, static_cast<off_t>(size)) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) != 0) die("memfd");
    return fd;
}

Region map_region(int fd, uint64_t size) {
    Region r;
    r.size = size;
    r.mapped = page_up(size);
    // The whole last page: its bytes past the file's end read as zero, and must stay so.
    void *p = mmap(nullptr, r.mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) die("mmap");
    r.base = static_cast<uint8_t *>(p);
    return r;
}

// The switch as server; the fuzzer a client making the regions and rings. True when connected.
bool connect_server(Peer &peer, MemifSession &s, int sock, Input &in, uint8_t h0) {
    const unsigned extra = h0 >> 6;
    const uint64_t rings = 2 * dsw::memif::ring_bytes(peer.log2);
    std::vector<uint64_t> sizes{rings + (uint64_t{in.u8()} + 1) * 256 + 3};
    for (unsigned i = 0; i < 3; ++i) {
        const uint64_t v = (uint64_t{in.u8()} + 1) * 97;
        if (i < extra) sizes.push_back(v);
    }
    std::string why;
    if (s.start(why) != MemifSession::Step::more) die("start: " + why);
    auto step = [&](MsgType t, Msg m, int fd) {
        drain(sock);
        send_msg(sock, t, m, fd);
        return s.on_readable(why);
    };
    Msg m{};
    m.init.version = dsw::memif::kVersion;
    m.init.mode = dsw::memif::kModeEthernet;
    if (step(MsgType::init, m, -1) != MemifSession::Step::more) die("INIT: " + why);
    for (size_t i = 0; i < sizes.size(); ++i) {
        const int fd = sealed_memfd(sizes[i]);
        peer.fds.push_back(fd);
        Region r = map_region(fd, sizes[i]);
        for (uint64_t at = 0; at < r.size; ++at) r.base[at] = pattern(static_cast<unsigned>(i), at);
        if (i == 0) {
            std::memset(r.base, 0, rings);
            for (uint64_t off : {uint64_t{0}, rings / 2}) std::memcpy(r.base + off, &dsw::memif::kCookie, 4);
        }
        r.shadow.assign(r.base, r.base + r.size);
        peer.regions.push_back(std::move(r));
        m = Msg{};
        m.add_region = dsw::memif::AddRegion{static_cast<uint16_t>(i), sizes[i]};
        if (step(MsgType::add_region, m, fd) != MemifSession::Step::more) die("ADD_REGION: " + why);
    }
    for (bool c2s : {true, false}) {
        const int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        peer.fds.push_back(efd);
        m = Msg{};
        m.add_ring = dsw::memif::AddRing{static_cast<uint16_t>(c2s ? dsw::memif::kAddRingC2S : 0), 0, 0,
                                         static_cast<uint32_t>(c2s ? 0 : rings / 2), static_cast<uint8_t>(peer.log2), 0};
        if (step(MsgType::add_ring, m, efd) != MemifSession::Step::more) die("ADD_RING: " + why);
    }
    if (step(MsgType::connect, Msg{}, -1) != MemifSession::Step::connected) die("CONNECT: " + why);
    peer.rx_off = 0;   // C2S
    peer.tx_off = rings / 2;
    return true;
}

// The switch as client; the fuzzer a server mapping the region the switch makes.
bool connect_client(Peer &peer, MemifSession &s, int sock) {
    std::string why;
    Msg m{};
    m.hello.min_version = m.hello.max_version = dsw::memif::kVersion;
    m.hello.max_region = MemifSession::kMaxRegions - 1;
    m.hello.max_log2_ring_size = static_cast<uint8_t>(peer.log2);
    send_msg(sock, MsgType::hello, m);
    MemifSession::Step st = s.on_readable(why);
    for (int i = 0; i < 5 && st == MemifSession::Step::more; ++i) {
        Msg got{};
        int fd;
        while (recv_msg(sock, got, fd) >= 0) {
            if (got.type == static_cast<uint16_t>(MsgType::add_region) && fd >= 0) {
                peer.fds.push_back(fd);
                Region r = map_region(fd, got.add_region.size);
                r.shadow.assign(r.base, r.base + r.size);
                peer.regions.push_back(std::move(r));
            } else if (fd >= 0) {
                peer.fds.push_back(fd);
            }
        }
        send_msg(sock, i < 4 ? MsgType::ack : MsgType::connected, Msg{});
        st = s.on_readable(why);
    }
    if (st != MemifSession::Step::connected || peer.regions.size() != 1) die("client handshake: " + why);
    peer.log2 = s.log2_ring_size();
    const uint64_t ring = dsw::memif::ring_bytes(peer.log2);
    peer.tx_off = 0;   // C2S
    peer.rx_off = ring;
    peer.tx_buf_off = 2 * ring;
    peer.rx_buf_off = 2 * ring + (uint64_t{kClientBuf} << peer.log2);
    // post_rx() wrote the S2C descriptors and head: the shadow follows.
    peer.regions[0].shadow.assign(peer.regions[0].base, peer.regions[0].base + peer.regions[0].size);
    return true;
}

// Where the bytes of one descriptor of the switch's RX ring are, as the peer wrote it; false
// when no sound peer could mean it.
bool rx_buffer(const Peer &peer, uint16_t slot, const Desc &d, const uint8_t *&p) {
    if (peer.switch_client) {
        if (d.length > kClientBuf) return false;
        p = peer.regions[0].shadow.data() + peer.rx_buf_off + uint64_t{kClientBuf} * (slot & peer.mask);
        return true;
    }
    if (d.region >= peer.regions.size() || uint64_t{d.offset} + d.length > peer.regions[d.region].size) return false;
    p = peer.regions[d.region].shadow.data() + d.offset;
    return true;
}

void do_rx(Peer &peer, MemifQueue &q, uint16_t n) {
    // The switch's own index back to where it left it: it never reads it, a peer may scribble.
    if (peer.switch_client)
        peer.put_index(false, false, static_cast<uint16_t>(peer.rx_next + peer.size));
    else
        peer.put_index(false, true, peer.rx_next);
    const uint16_t produced = peer.index(false, peer.switch_client);   // client peer: head; server peer: tail
    const uint16_t avail = static_cast<uint16_t>(produced - peer.rx_next);
    const uint64_t drops0 = peer.pc.drops[static_cast<unsigned>(dsw::DropReason::runt)].get() +
                            peer.pc.drops[static_cast<unsigned>(dsw::DropReason::oversize)].get();
    rte_mbuf *pkts[dsw::kMaxBurst];
    const uint16_t got = q.rx(pkts, n, peer.pc);
    CHECK(got <= n);
    const uint16_t next = peer.switch_client ? static_cast<uint16_t>(peer.index(false, false) - peer.size)
                                             : peer.index(false, true);
    const uint16_t used = static_cast<uint16_t>(next - peer.rx_next);
    CHECK(used <= avail);
    if (avail > peer.size) CHECK(used == 0 && got == 0);   // an index out of the ring: a fault
    // Walk the chains the switch consumed, from the descriptors as the peer left them.
    uint16_t pos = peer.rx_next, k = 0;
    uint64_t dropped = 0;
    while (pos != next) {
        std::vector<std::pair<const uint8_t *, uint32_t>> parts;
        uint64_t total = 0;
        bool more = true;
        while (more) {
            CHECK(pos != next);   // a chain the switch took must end inside what it consumed
            CHECK(parts.size() < MemifQueue::kMaxChain);
            const Desc d = peer.desc(false, pos);
            const uint8_t *p = nullptr;
            if (!rx_buffer(peer, pos, d, p)) die("rx consumed a descriptor outside the peer's memory at slot " + std::to_string(pos));
            parts.emplace_back(p, d.length);
            total += d.length;
            more = d.flags & dsw::memif::kDescNext;
            ++pos;
        }
        if (total < 14 || total > peer.max_frame) {
            ++dropped;
            continue;
        }
        CHECK(k < got);
        rte_mbuf *m = pkts[k++];
        CHECK(m->pkt_len == total);
        // Its bytes, segment by segment, against the descriptors' buffers.
        size_t pi = 0;
        uint32_t po = 0, seg_sum = 0;
        unsigned segs = 0;
        for (const rte_mbuf *s = m; s != nullptr; s = s->next, ++segs) {
            seg_sum += s->data_len;
            const uint8_t *b = rte_pktmbuf_mtod(s, const uint8_t *);
            for (uint32_t i = 0; i < s->data_len; ++i) {
                while (pi < parts.size() && po == parts[pi].second) ++pi, po = 0;
                CHECK(pi < parts.size());   // no more bytes than the descriptors'
                if (b[i] != parts[pi].first[po++]) die("an rx frame's bytes are not its descriptors'");
            }
        }
        CHECK(seg_sum == total && segs == m->nb_segs);
    }
    CHECK(k == got);
    const uint64_t drops1 = peer.pc.drops[static_cast<unsigned>(dsw::DropReason::runt)].get() +
                            peer.pc.drops[static_cast<unsigned>(dsw::DropReason::oversize)].get();
    CHECK(drops1 - drops0 == dropped);
    // Without a fault, a short burst took every slot the peer had produced.
    if (q.fault() == dsw::MemifFault::none && got < n) CHECK(next == produced);
    for (uint16_t i = 0; i < got; ++i) rte_pktmbuf_free(pkts[i]);
    peer.rx_next = next;
    peer.allow_ring_hdrs();
    if (peer.switch_client)
        for (uint16_t i = 0; i < used; ++i) peer.allow(0, peer.desc_off(false, static_cast<uint16_t>(next + peer.size - 1 - i)), sizeof(Desc));
    peer.compare_if_small();
}

// A frame to send: `len` bytes in `segs` mbufs, byte i being (seed + i * 13).
rte_mbuf *make_frame(uint32_t len, unsigned segs, uint8_t seed) {
    rte_mbuf *head = nullptr, *last = nullptr;
    uint32_t done = 0;
    for (unsigned s = 0; s < segs; ++s) {
        rte_mbuf *m = rte_pktmbuf_alloc(g_pool);
        if (m == nullptr) {
            rte_pktmbuf_free(head);
            return nullptr;
        }
        const uint32_t want = s + 1 == segs ? len - done : len / segs;
        const uint32_t c = std::min<uint32_t>(want, rte_pktmbuf_tailroom(m));
        uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
        for (uint32_t i = 0; i < c; ++i) p[i] = static_cast<uint8_t>(seed + (done + i) * 13);
        m->data_len = static_cast<uint16_t>(c);
        done += c;
        if (head == nullptr) {
            head = m;
        } else {
            last->next = m;
            ++head->nb_segs;
        }
        head->pkt_len = done;
        last = m;
    }
    return head;
}

void do_tx(Peer &peer, MemifQueue &q, Input &in) {
    const unsigned count = 1 + in.u8() % 32;
    rte_mbuf *pkts[dsw::kMaxBurst];
    struct Sent {
        uint32_t len;
        uint8_t seed;
    };
    std::vector<std::pair<rte_mbuf *, Sent>> made;
    uint16_t n = 0;
    for (unsigned i = 0; i < count; ++i) {
        const uint32_t len = 1 + in.u16() % 12000;
        const unsigned segs = 1 + in.u8() % 4;
        const uint8_t seed = static_cast<uint8_t>(i * 29 + n);
        rte_mbuf *m = make_frame(len, segs, seed);
        if (m == nullptr) break;
        pkts[n++] = m;
        made.push_back({m, Sent{m->pkt_len, seed}});
    }
    if (n == 0) return;
    if (peer.switch_client)
        peer.put_index(true, false, peer.tx_next);
    else
        peer.put_index(true, true, peer.tx_next);
    // The slots the peer gave, and the descriptors in them as it left them.
    const uint16_t given = peer.switch_client
        ? static_cast<uint16_t>(peer.size - static_cast<uint16_t>(peer.tx_next - peer.index(true, true)))
        : static_cast<uint16_t>(peer.index(true, false) - peer.tx_next);
    std::vector<Desc> before(peer.size);
    for (uint16_t i = 0; i < peer.size; ++i) before[i] = peer.desc(true, i);
    uint16_t refused = 0;
    const uint16_t sent = q.tx(pkts, n, refused);
    CHECK(sent <= n && refused <= n - sent);
    const uint16_t next = peer.switch_client ? peer.index(true, false) : peer.index(true, true);
    const uint16_t used = static_cast<uint16_t>(next - peer.tx_next);
    if (sent == 0) CHECK(used == 0);
    if (used > 0) CHECK(given <= peer.size && used <= given);
    // The buffers of the slots used, as the peer posted them. When one lies on a ring or on
    // another, the switch may have read a descriptor (past the burst it loads ahead) that its own
    // copy rewrote, or rewritten a frame's bytes with the next: then only the bounds are checked.
    struct Span {
        uint64_t region, off, len;
    };
    std::vector<Span> spans;
    if (!peer.switch_client) {
        const uint64_t rings_end = std::max(peer.rx_off, peer.tx_off) + dsw::memif::ring_bytes(peer.log2);
        spans.push_back({0, 0, rings_end});
        for (uint16_t i = 0; i < used; ++i) {
            const Desc &d = before[static_cast<uint16_t>(peer.tx_next + i) & peer.mask];
            spans.push_back({d.region, d.offset, d.length});
        }
    }
    std::sort(spans.begin(), spans.end(), [](const Span &a, const Span &b) {
        return a.region != b.region ? a.region < b.region : a.off < b.off;
    });
    bool tangled = false;
    for (size_t i = 1; i < spans.size(); ++i)
        if (spans[i].region == spans[i - 1].region && spans[i - 1].off + spans[i - 1].len > spans[i].off) tangled = true;
    for (uint16_t i = 0; i < used && !peer.switch_client; ++i) {
        if (tangled && i >= dsw::kMaxBurst) break;   // read after the copies began
        const Desc &d = before[static_cast<uint16_t>(peer.tx_next + i) & peer.mask];
        if (d.region >= peer.regions.size() || uint64_t{d.offset} + d.length > peer.regions[d.region].size)
            die("tx used a descriptor outside the peer's memory at slot " + std::to_string(peer.tx_next + i));
    }
    // The sent frames are the first `sent` of pkts as tx left them (refused ones moved behind).
    std::vector<Sent> order;
    for (uint16_t i = 0; i < sent; ++i)
        for (auto &[m, s] : made)
            if (m == pkts[i]) order.push_back(s);
    CHECK(order.size() == sent);
    if (!tangled) {
        uint16_t pos = peer.tx_next;
        for (const Sent &f : order) {
            uint32_t off = 0;
            bool more = true;
            while (more) {
                CHECK(static_cast<uint16_t>(pos - peer.tx_next) < used);
                const uint16_t slot = pos & peer.mask;
                Desc d;
                std::memcpy(&d, peer.regions[0].base + peer.desc_off(true, slot), sizeof d);
                const Desc &b = before[slot];
                const uint8_t *p;
                if (peer.switch_client) {
                    CHECK(d.region == 0 && d.offset == peer.tx_buf_off + uint64_t{kClientBuf} * slot && d.length <= kClientBuf);
                    p = peer.regions[0].base + d.offset;
                } else {
                    CHECK(d.region == b.region && d.offset == b.offset && d.length <= b.length);
                    p = peer.regions[d.region].base + d.offset;
                }
                CHECK(off + d.length <= f.len);
                for (uint32_t i = 0; i < d.length; ++i)
                    if (p[i] != static_cast<uint8_t>(f.seed + (off + i) * 13)) die("a tx frame's bytes are not in its descriptors");
                off += d.length;
                more = d.flags & dsw::memif::kDescNext;
                ++pos;
            }
            CHECK(off == f.len);
        }
        CHECK(static_cast<uint16_t>(pos - peer.tx_next) == used);
    }
    // What the switch may have written: the ring headers, the descriptors and buffers used.
    peer.allow_ring_hdrs();
    for (uint16_t i = 0; i < used; ++i) {
        const uint16_t slot = static_cast<uint16_t>(peer.tx_next + i) & peer.mask;
        peer.allow(0, peer.desc_off(true, slot), sizeof(Desc));
        if (peer.switch_client) {
            peer.allow(0, peer.tx_buf_off + uint64_t{kClientBuf} * slot, kClientBuf);
        } else {
            const Desc &d = before[slot];
            if (d.region < peer.regions.size() && uint64_t{d.offset} + d.length <= peer.regions[d.region].size)
                peer.allow(d.region, d.offset, d.length);   // else tangled: the shadow is taken whole below
        }
    }
    if (tangled)   // the descriptors it read after rewriting them: none of the checks above hold
        for (Region &r : peer.regions) r.shadow.assign(r.base, r.base + r.size);
    peer.tx_next = next;
    for (uint16_t i = sent; i < n; ++i) rte_pktmbuf_free(pkts[i]);   // not taken: still ours
    peer.compare_if_small();
}

// Frames a sound peer would send, in the switch's RX ring.
void produce(Peer &peer, Input &in) {
    const unsigned count = 1 + in.u8() % 32;
    uint16_t at = peer.index(false, peer.switch_client);   // client peer: C2S head; server peer: S2C tail
    for (unsigned f = 0; f < count; ++f) {
        uint32_t len = in.u16() % 9300;
        const uint32_t chunk = peer.switch_client ? kClientBuf : 64 * (1 + in.u8() % 32);
        const uint8_t where = in.u8();
        if (peer.switch_client) in.u8();
        do {
            const uint32_t c = std::min(len, chunk);
            len -= c;
            Desc d{};
            d.flags = len > 0 ? dsw::memif::kDescNext : 0;
            d.length = c;
            if (peer.switch_client) {
                const uint64_t buf = peer.rx_buf_off + uint64_t{kClientBuf} * (at & peer.mask);
                std::vector<uint8_t> bytes(c);
                for (uint32_t i = 0; i < c; ++i) bytes[i] = pattern(0, buf + i + where);
                peer.put(0, buf, bytes.data(), c);
                Desc posted = peer.desc(false, at);
                posted.flags = d.flags;
                posted.length = c;
                d = posted;
            } else {
                const unsigned r = where % peer.regions.size();
                const uint64_t room = peer.regions[r].size - (r == 0 ? 2 * dsw::memif::ring_bytes(peer.log2) : 0);
                const uint64_t base = peer.regions[r].size - room;
                d.region = static_cast<uint16_t>(r);
                d.length = static_cast<uint32_t>(std::min<uint64_t>(c, room));
                d.offset = static_cast<uint32_t>(base + (uint64_t{where} * 131) % (room - d.length + 1));
            }
            peer.put_desc(false, at++, d);
        } while (len > 0);
    }
    peer.put_index(false, peer.switch_client, at);
}

// Slots the peer gives the switch to send into.
void give_tx(Peer &peer, Input &in) {
    const uint8_t count = in.u8();
    if (peer.switch_client) {   // the server peer consumed what the switch sent
        const uint16_t head = peer.index(true, false), tail = peer.index(true, true);
        peer.put_index(true, true, count == 0 ? head : static_cast<uint16_t>(tail + count));
        return;
    }
    const uint32_t len = in.u16();
    const uint16_t off = in.u16();
    const unsigned r = in.u8() % peer.regions.size();
    uint16_t head = peer.index(true, false);
    for (unsigned i = 0; i < 1u + count % 64; ++i) {
        const uint64_t size = peer.regions[r].size;
        const uint64_t start = r == 0 ? 2 * dsw::memif::ring_bytes(peer.log2) : 0;
        Desc d{};
        d.region = static_cast<uint16_t>(r);
        d.length = static_cast<uint32_t>(std::min<uint64_t>(len == 0 ? 2048 : len, size - start));
        d.offset = static_cast<uint32_t>(start + (uint64_t{off} + uint64_t{i} * d.length) % (size - start - d.length + 1));
        peer.put_desc(true, head++, d);
    }
    peer.put_index(true, false, head);
}

void run(const uint8_t *data, size_t size) {
    Input in{data, size};
    const uint8_t h0 = in.u8();
    Peer peer;
    peer.switch_client = h0 & 1;
    peer.log2 = 1 + ((h0 >> 1) & 15) % dsw::memif::kMaxLog2RingSize;
    peer.max_frame = (h0 & 0x20) ? 9018 : 1518;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) die("socketpair");
    peer.fds.push_back(sv[1]);
    MemifSession::Params p;
    p.server = !peer.switch_client;
    p.if_name = "fuzz";
    p.pool = g_pool;
    p.max_frame = peer.max_frame;
    {
        MemifSession s(dsw::UniqueFd(sv[0]), p);
        if (peer.switch_client) {
            in.u8(), in.u8(), in.u8(), in.u8();   // the region sizes are the switch's
            connect_client(peer, s, sv[1]);
        } else {
            connect_server(peer, s, sv[1], in, h0);
        }
        peer.allow_ring_hdrs();   // CONNECT zeroed the indexes and masked the RX ring's kicks
        peer.size = static_cast<uint16_t>(1u << peer.log2);
        peer.mask = static_cast<uint16_t>(peer.size - 1);
        MemifQueue &q = *s.queue();
        for (unsigned op = 0; op < kMaxOps && !in.done(); ++op) {
            const uint8_t code = in.u8();
            switch (code & 7) {
            case 0: {
                const uint8_t sel = in.u8();
                const uint16_t v = in.u16();
                const bool tx = sel & 1, tail = sel & 2;
                peer.put_index(tx, tail, (sel & 4) ? static_cast<uint16_t>(peer.index(tx, tail) + v) : v);
                break;
            }
            case 1: {
                const bool tx = in.u8() & 1;
                const uint16_t slot = in.u16();
                Desc d;
                d.flags = in.u16();
                d.region = in.u16();
                d.length = in.u32();
                d.offset = in.u32();
                d.metadata = in.u32();
                peer.put_desc(tx, slot, d);
                break;
            }
            case 2: produce(peer, in); break;
            case 3: give_tx(peer, in); break;
            case 4: do_rx(peer, q, static_cast<uint16_t>(1 + in.u8() % dsw::kMaxBurst)); break;
            case 5: do_tx(peer, q, in); break;
            case 6: {
                const bool tx = in.u8() & 1;
                const uint16_t v = in.u16();
                peer.put(0, (tx ? peer.tx_off : peer.rx_off) + offsetof(RingHdr, flags), &v, sizeof v);
                break;
            }
            default: do_rx(peer, q, dsw::kMaxBurst); break;
            }
        }
        peer.compare();
        drain(sv[1]);
    }
    // The session and its queue (and the queue's stash of mbufs) are gone: the pool is full.
    if (rte_mempool_in_use_count(g_pool) != 0)
        die(std::to_string(rte_mempool_in_use_count(g_pool)) + " mbufs not back in the pool");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    const std::string prefix = "dswfuzz" + std::to_string(getpid());
    auto eal = dsw::Eal::init({"dsw_fuzz", "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
                               "--file-prefix", prefix, "--log-level", "*:error"});
    if (!eal) die("EAL: " + eal.error().message);
    g_eal = new dsw::Eal(std::move(eal.value()));
    // No per-lcore cache: the in-use count is then exact.
    g_pool = rte_pktmbuf_pool_create("memif_data_fuzz", kPoolMbufs, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (g_pool == nullptr) die("mempool");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    run(data, size);
    return 0;
}
