// Private to classify (switch_path.cc), classify_decapped (switch_path_decap.cc) and its first
// pass's place in the decapsulation (decapped_frame.h): what pass 3 does with a frame, and
// learning's counters (each file uses some of them: [[maybe_unused]]). In an unnamed namespace,
// so that each file's code is made as when these were its own (plain classify's instructions
// must not move).
#pragma once

#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/switch_path.h"

namespace dsw {
namespace {

constexpr unsigned kPrefetchAhead = 4;
// What pass 3 does with frame i: kDropped, or a set of these bits.
constexpr uint8_t kDropped = 0xff;
constexpr uint8_t kGroupDst = 1;   // broadcast or multicast destination: flooded, whatever a lookup says
constexpr uint8_t kArp = 2;
constexpr uint8_t kIp6 = 4;        // may be neighbour discovery
// No MAC key has bit 63 (a VLAN id < 4096 sits in the top 16 bits).
constexpr MacKey kNoKey = ~MacKey{0};

// Learning's counters for `frames` frames of one source: a MAC is learned or moves once, but
// every frame that could not be learned counts.
[[maybe_unused]] void count_learning(LearnResult r, uint16_t frames, SwitchCounters &c) noexcept {
    switch (r) {
    case LearnResult::refreshed: break;
    case LearnResult::learned: c.learned.inc(); break;
    case LearnResult::moved: c.moves.inc(); break;
    case LearnResult::table_full: c.learn_table_full.add(frames); break;
    case LearnResult::static_conflict: c.static_conflicts.add(frames); break;
    case LearnResult::port_limit: c.learn_port_limit.add(frames); break;
    }
}

[[maybe_unused]] uint8_t kind_of(const L2Frame &f) noexcept {
    return static_cast<uint8_t>((mac_is_multicast(f.dst) ? kGroupDst : 0) | (f.ethertype == RTE_ETHER_TYPE_ARP ? kArp : 0) |
                                (f.ethertype == RTE_ETHER_TYPE_IPV6 ? kIp6 : 0));
}

[[maybe_unused]] uint8_t flood_kind(uint8_t kind, MacKey dkey) noexcept {
    if (!(kind & kGroupDst)) return kFloodUnknownUnicast;
    return key_mac(dkey) == kMacMask ? kFloodBroadcast : kFloodMulticast;
}

}  // namespace
}  // namespace dsw
