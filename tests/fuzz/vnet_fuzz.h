// The fuzz target's offload path (control op 6): one frame with a virtio-net header, or a
// virtio PMD's RX flags, through the port's offload RX and the egress fallback, checked as
// frame_fuzzer.cc's header comment says.
#pragma once

#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "fuzz_mbufs.h"

namespace dsw::fuzz {

struct VnetRecord {
    virtio_net_hdr h;
    uint8_t arg, aux;   // arg bits0-2: the egress port's OffloadCaps, bit3: as RX flags; aux: MTU
};

// `trace` prints each decision to stderr (FUZZ_TRACE=1).
void run_vnet(World &w, const VnetRecord &r, const Frame &f, bool trace);

// What the offload path's parts share (tunnel_fuzz.cc too).
bool is_offload_reason(DropReason r);
// The offload fields of `m` describe headers that sit in its first segment.
void check_offload_fields(const rte_mbuf *m);
// What a port's RX set of an mbuf before it read a header into it.
struct OffloadFields {
    uint64_t ol_flags, tx_offload;
};
inline OffloadFields offload_fields(const rte_mbuf *m) { return {m->ol_flags, m->tx_offload}; }
// `m`, the frame `f`, after a port's RX read a header into it (`parsed`): its bytes untouched; a
// refused header names an offload_* reason and leaves the offload fields as they were `before`
// (m is freed: false); an accepted one leaves fields that fit the frame (true).
bool check_parsed(rte_mbuf *m, const Frame &f, const VnetParse &parsed, const OffloadFields &before);
// `m`, its offload fields accepted, through the egress fallback (prepare_for_tx) to a port with
// `caps` and `mtu`, checked; frees everything.
void run_egress(World &w, rte_mbuf *m, uint8_t caps, uint16_t mtu, bool trace);

}  // namespace dsw::fuzz
