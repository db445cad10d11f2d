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

}  // namespace dsw::fuzz
