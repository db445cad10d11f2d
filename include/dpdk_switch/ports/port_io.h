// A port whose RX and TX are the project's own code rather than an ethdev's rte_eth_rx_burst /
// rte_eth_tx_burst (a kind that cannot be a PMD: Debian's DPDK has no driver SDK).
//
// Who writes: the control plane, which opens the port and puts `&io()` in the dataplane view's
// PortSlot. Who reads: the workers, for every burst of that port (PortSlot::io non-null). The
// OwnIoPort outlives every view that points at its PortIo (a port is closed only after the view
// without it is published and RCU shows every worker past the old one).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/ports/iface_where.h"

struct rte_mbuf;

namespace dsw {

struct PortIo {
    // As rte_eth_rx_burst: up to `n` frames of RX queue `queue` into `pkts`; how many. A frame it
    // received but cannot pass on (a virtio-net header that lies, a frame cut short) it frees
    // and counts in `pc`, the polling worker's counters of this port: received, and dropped
    // with its reason, as the worker counts its own drops.
    uint16_t (*rx)(void *ctx, uint16_t queue, rte_mbuf **pkts, uint16_t n, PortCounters &pc) noexcept = nullptr;
    // As rte_eth_tx_burst: takes the first of `pkts` it can (they are its own from then on) and
    // answers how many; the rest stay the caller's. Of those, the last `refused` are frames its
    // kernel refused outright (a header it rejects, longer than the interface's MTU): a drop of
    // their own (tx_refused), not a full queue (tx_full).
    uint16_t (*tx)(void *ctx, uint16_t queue, rte_mbuf **pkts, uint16_t n, uint16_t &refused) noexcept = nullptr;
    void *ctx = nullptr;
};

// The control plane's owner of such a port (what its kind's open_own returns): its destructor
// stops the I/O and gives back every mbuf it holds.
class OwnIoPort {
public:
    virtual ~OwnIoPort() = default;
    virtual const PortIo &io() const = 0;
    // The longest frame it carries whole (PortSlot::max_frame); 0: no limit of its own.
    virtual uint32_t max_frame() const { return 0; }
    // What it takes (OffloadCaps), given what its kind says at most: less where its kernel
    // refused some at open (a vtap on a kernel without UDP-tunnel GSO).
    virtual uint8_t offload_caps(uint8_t of_kind) const { return of_kind; }
    // Whether its link is up (a peer there, its interface running).
    virtual bool link_up() const { return true; }
    // Where its kernel interface is now (IfaceWhere); nullopt: by the configured name in the
    // switch's namespace, always (a kind that does not follow its interface). Control plane only.
    virtual std::optional<IfaceWhere> iface_where() const { return std::nullopt; }
    // link_up() and iface_where() at once, for a kind that can answer both from one look.
    virtual bool link_up_where(std::optional<IfaceWhere> &where) const {
        where = iface_where();
        return link_up();
    }
    // Frames its kernel socket dropped for a full receive buffer (the worker fell behind) since
    // it opened; nullopt: it has no such socket. Control plane only (the count may reset on read).
    virtual std::optional<uint64_t> ring_drops() { return std::nullopt; }
};

}  // namespace dsw
