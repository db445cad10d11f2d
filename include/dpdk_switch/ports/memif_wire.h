// The memif protocol as it travels: the fixed-size control messages on the SOCK_SEQPACKET unix
// socket and the layout of a ring in shared memory, as VPP's libmemif and DPDK's net_memif (memif
// version 2.0) speak them. Written from the protocol's description, field for field, so that
// the switch talks to either peer; the static_asserts pin every size and offset a peer relies on.
//
// Who owns what: the client always makes the shared memory (regions: a memfd each, passed with
// SCM_RIGHTS) and the rings in it; the server only maps them. Every ring is written by both
// sides: the producer moves one index, the consumer the other, and each side writes some
// descriptor fields. Nothing in a region can be trusted by the side that did not make it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace dsw::memif {

inline constexpr uint32_t kCookie = 0x3E31F20;
inline constexpr uint16_t kVersion = (2 << 8) | 0;   // 2.0
inline constexpr unsigned kNameSz = 32;
inline constexpr unsigned kSecretSz = 24;   // Init::secret: NUL-padded, no NUL when full
inline constexpr unsigned kMsgSize = 128;   // every message, whatever its type

enum class MsgType : uint16_t { none, ack, hello, init, add_region, add_ring, connect, connected, disconnect };

inline constexpr uint8_t kModeEthernet = 0;
inline constexpr uint16_t kAddRingC2S = 1;        // AddRing::flags: a client-to-server ring
inline constexpr uint16_t kRingMaskInt = 1;       // RingHdr::flags: the consumer polls, no eventfd kick
inline constexpr uint16_t kDescNext = 1;          // Desc::flags: the frame goes on in the next slot
inline constexpr unsigned kMaxLog2RingSize = 14;  // the most a peer may ask (as net_memif's)

#pragma pack(push, 1)
struct Hello {   // server -> client, first
    uint8_t name[kNameSz];
    uint16_t min_version, max_version;
    // The highest index the server takes of each (one less than the count).
    uint16_t max_region, max_s2c_ring, max_c2s_ring;
    uint8_t max_log2_ring_size;
};
struct Init {   // client -> server
    uint16_t version;
    uint32_t id;
    uint8_t mode;
    uint8_t secret[kSecretSz];
    uint8_t name[kNameSz];
};
struct AddRegion {   // client -> server, with the region's fd
    uint16_t index;
    uint64_t size;
};
struct AddRing {   // client -> server, with the ring's eventfd
    uint16_t flags;
    uint16_t index;
    uint16_t region;
    uint32_t offset;
    uint8_t log2_ring_size;
    uint16_t private_hdr_size;
};
struct IfName {   // connect (client -> server), connected (server -> client)
    uint8_t if_name[kNameSz];
};
struct Disconnect {   // either way, then the socket closes
    uint32_t code;
    uint8_t string[96];
};
struct Msg {
    uint16_t type;   // MsgType
    union {
        Hello hello;
        Init init;
        AddRegion add_region;
        AddRing add_ring;
        IfName connect;
        IfName connected;
        Disconnect disconnect;
    };
    uint8_t pad[kMsgSize - 2 - sizeof(Disconnect)];
};

// One slot of a ring: where a buffer is (region, offset), how many bytes of it are used.
struct Desc {
    uint16_t flags;
    uint16_t region;
    uint32_t length;
    uint32_t offset;
    uint32_t metadata;
};
#pragma pack(pop)

// A ring's header, cache-line laid out as both peers build it (64-byte lines): the cookie,
// flags and head on the first line, the tail on the second, the descriptors from the third.
struct RingHdr {
    uint32_t cookie;
    uint16_t flags;
    uint16_t head;
    uint8_t pad0[56];
    uint16_t tail;
    uint8_t pad1[62];
};

static_assert(sizeof(Msg) == kMsgSize);
static_assert(sizeof(Hello) == 43 && sizeof(Init) == 63 && sizeof(AddRegion) == 10 && sizeof(AddRing) == 13);
static_assert(offsetof(Msg, hello) == 2);
static_assert(sizeof(Desc) == 16);
static_assert(offsetof(RingHdr, head) == 6 && offsetof(RingHdr, tail) == 64 && sizeof(RingHdr) == 128);

// Bytes of a ring of 2^log2 slots (header and descriptors).
constexpr uint64_t ring_bytes(unsigned log2) { return sizeof(RingHdr) + (uint64_t{sizeof(Desc)} << log2); }

}  // namespace dsw::memif
