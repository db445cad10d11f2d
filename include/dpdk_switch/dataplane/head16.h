// The first 16 bytes of a frame, compared with another frame's under a mask of the bytes that
// matter (switch_path's test that a burst is one flow). One SSE4.1 compare where the build has
// it (-march=native, or DPDK's corei7 baseline), two 8-byte words elsewhere (a build for any
// x86-64, arm64, ...). Both ways are compiled where they can be, so that a unit test holds the
// portable one to the vector one on every native build.
#pragma once

#include <cstdint>
#include <cstring>

#if defined(__SSE4_1__)
#include <immintrin.h>
#endif

namespace dsw {

struct Head16Plain {
    uint64_t lo, hi;   // bytes 0-7 and 8-15, as they sit in memory
};

inline Head16Plain head16_load_plain(const uint8_t *p) noexcept {
    Head16Plain h;
    std::memcpy(&h.lo, p, 8);
    std::memcpy(&h.hi, p + 8, 8);
    return h;
}
// All 16 bytes matter, or (untagged frames: bytes 14-15 are the start of L3) the first 14.
inline Head16Plain head16_care_plain(bool all16) noexcept {
    uint8_t b[16];
    std::memset(b, 0xff, sizeof b);
    if (!all16) b[14] = b[15] = 0;
    return head16_load_plain(b);
}
inline bool head16_same_plain(Head16Plain a, Head16Plain b, Head16Plain care) noexcept {
    return (((a.lo ^ b.lo) & care.lo) | ((a.hi ^ b.hi) & care.hi)) == 0;
}

#if defined(__SSE4_1__)
using Head16Vector = __m128i;
inline Head16Vector head16_load_vector(const uint8_t *p) noexcept { return _mm_loadu_si128(reinterpret_cast<const __m128i *>(p)); }
inline Head16Vector head16_care_vector(bool all16) noexcept {
    return all16 ? _mm_set1_epi8(-1) : _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 0);
}
inline bool head16_same_vector(Head16Vector a, Head16Vector b, Head16Vector care) noexcept {
    return _mm_testz_si128(_mm_xor_si128(a, b), care);
}

using Head16 = Head16Vector;
inline Head16 head16_load(const uint8_t *p) noexcept { return head16_load_vector(p); }
inline Head16 head16_care(bool all16) noexcept { return head16_care_vector(all16); }
inline bool head16_same(Head16 a, Head16 b, Head16 care) noexcept { return head16_same_vector(a, b, care); }
#else
using Head16 = Head16Plain;
inline Head16 head16_load(const uint8_t *p) noexcept { return head16_load_plain(p); }
inline Head16 head16_care(bool all16) noexcept { return head16_care_plain(all16); }
inline bool head16_same(Head16 a, Head16 b, Head16 care) noexcept { return head16_same_plain(a, b, care); }
#endif

}  // namespace dsw
