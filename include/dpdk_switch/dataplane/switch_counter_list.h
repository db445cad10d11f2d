// The switch's learning and proxy counters, as one list: the per-lcore Counters
// (SwitchCounters), their sums (SwitchTotals), `show switch stats` and telemetry are generated
// from it, so a counter added here shows up everywhere (as the drop reasons do, drop_reason.h).
#pragma once

#include <cstdint>

namespace dsw {

// X(name, group): group is the line `show switch stats` prints it on in text.
#define DSW_SWITCH_COUNTERS(X)                                                                     \
    X(learned, learning)            /* a new MAC learned */                                        \
    X(moves, learning)              /* a known MAC seen behind another port */                     \
    X(flooded, learning)            /* frames sent to every port of their VLAN */                  \
    X(learn_table_full, learning)   /* a MAC not learned: the table was full */                    \
    X(static_conflicts, learning)   /* a static MAC seen as source behind another port */          \
    X(learn_port_limit, learning)   /* a MAC not learned: its port holds mac_limit already */      \
    X(arp_proxy_replies, arp)       /* ARP requests answered by the switch */                      \
    X(arp_learned, arp)             /* IPv4 bindings learned from ARP */                           \
    X(arp_moves, arp)               /* an IPv4 address seen with another MAC or port */            \
    X(nd_proxy_replies, nd)         /* neighbour solicitations answered by the switch */           \
    X(nd_learned, nd)               /* IPv6 bindings learned from NS/NA */                         \
    X(nd_moves, nd)                 /* an IPv6 address seen with another MAC or port */

enum class SwitchCounter : uint8_t {
#define DSW_X(name, group) name,
    DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
    count
};

inline constexpr unsigned kSwitchCounters = static_cast<unsigned>(SwitchCounter::count);

inline constexpr const char *kSwitchCounterNames[kSwitchCounters] = {
#define DSW_X(name, group) #name,
    DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
};

inline constexpr const char *kSwitchCounterGroups[kSwitchCounters] = {
#define DSW_X(name, group) #group,
    DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
};

}  // namespace dsw
