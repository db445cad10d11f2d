// Switch: the control plane's owner of everything the data plane uses. Members are declared in
// dependency order (RCU, pool, tables, counters, ports, workers) so that destruction stops the
// workers before ports close and closes ports before the pool is freed.
// Runs on the main lcore only; it reaches workers through WorkerShared (atomics, RCU).
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dpdk_switch/control/capture_session.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/episode_log.h"
#include "dpdk_switch/control/learn_watch.h"
#include "dpdk_switch/control/vxlan_state.h"
#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dataplane/worker.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/ports/port.h"
#include "dpdk_switch/result.h"
#include "dpdk_switch/tables/arp_table.h"
#include "dpdk_switch/tables/mac_table.h"

namespace dsw {

struct RcuFree {
    void operator()(rte_rcu_qsbr *q) const;
};

struct PortTotals {
    uint64_t rx_packets = 0, rx_bytes = 0, tx_packets = 0, tx_bytes = 0;
    std::array<uint64_t, kDropReasons> drops{};
    uint64_t csum_completed = 0, gso_segmented = 0;   // the offload fallback's work for this egress port
    PortTotals &operator-=(const PortTotals &o);
};

// The SwitchCounters summed over the lcores (one field per DSW_SWITCH_COUNTERS entry), and the
// drops of every port.
struct SwitchTotals {
#define DSW_X(name, group) uint64_t name = 0;
    DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
    std::array<uint64_t, kDropReasons> drops{};

    // f(SwitchCounter, uint64_t value) for each counter, in list order.
    template <class F>
    void for_each(F &&f) const {
#define DSW_X(name, group) f(SwitchCounter::name, name);
        DSW_SWITCH_COUNTERS(DSW_X)
#undef DSW_X
    }
};

// The per-lcore counters `c` (RTE_MAX_LCORE of them, as the workers write them) summed: a port
// index's, from the start (Switch::port_totals subtracts the port's baseline), and the switch's,
// whose drops are every index's and those counted on no port (LcoreCounters::port_gone).
PortTotals sum_port_counters(const LcoreCounters *c, unsigned index);
SwitchTotals sum_switch_counters(const LcoreCounters *c);

struct LcoreTotals {
    unsigned lcore;
    uint64_t busy_cycles, idle_cycles, polls, packets;
    uint64_t tx_bursts, tx_offered;   // calls of rte_eth_tx_burst, frames given to them
    std::vector<std::string> ports;
};

// One port of the switch: its device, its hand-off ring, and the stats baseline of
// `clear port stats`.
struct SwitchPort {
    unsigned index;
    unsigned lcore;                       // the lcore of queue 0 (it also drains the ring)
    std::vector<unsigned> queue_lcores;   // the lcore that polls each queue (and sends on it)
    unsigned mbufs = 0;      // the most pool mbufs it may hold: descriptors + a full ring
    bool iface_gone = false; // a kernel-backed port whose interface was deleted under the switch
    RingPtr ring;            // declared before eth: destroyed after the device is closed
    rte_mempool *own_pool = nullptr;   // its RX pool of its own (in Switch::port_pools_), or null
    std::optional<Port> eth;   // an ethdev (EthPort) or a port of our own I/O: ports/port.h
    PortTotals baseline;
    uint64_t ring_drops_baseline = 0;   // Port::ring_drops at the last clear
    uint64_t ring_drops_seen = 0;       // it plus the PMD's imissed at the last report_ring_overruns
    ~SwitchPort();
};

class Switch {
public:
    static Result<std::unique_ptr<Switch>> create(const Config &cfg);
    ~Switch();

    Status start();          // opens the config's ports, publishes the view, launches workers;
                             // on failure no worker it launched is left running
    void stop();             // stops workers, idempotent

    // Hot-plug, on the main lcore, while the workers run (or before start). add_port opens the
    // port, creates its ring and publishes a view that has it: the workers poll it from their
    // next loop. It refuses a duplicate name or attachment, a main-lcore `lcore`, a 65th port,
    // and a port whose descriptors and ring the mbuf pool cannot fund without taking from the
    // other ports. Returns the port's index.
    Result<unsigned> add_port(const PortConfig &pc);
    // Publishes a view without the port and waits (RCU) until no worker polls it or hands it
    // frames, then flushes its MAC entries (static ones too), frees what its ring holds and
    // closes the device.
    Status del_port(const std::string &name);

    const Config &config() const { return cfg_; }
    MacTable &macs() { return *macs_; }
    ArpTable *arp() { return arp_.get(); }
    rte_mempool *pool() const { return pool_.get(); }
    std::vector<unsigned> worker_lcores() const { return workers_; }

    const SwitchPort *port(const std::string &name) const;
    const SwitchPort *port(unsigned index) const;
    std::vector<const SwitchPort *> ports() const;
    std::string port_name(unsigned index) const;

    PortTotals port_totals(unsigned index) const;   // since the last clear
    // Packets and bits per second of a port since the previous call for it (as testpmd's
    // `show port stats`); the first call measures from when the port was added.
    struct PortRates {
        double rx_pps, tx_pps, rx_bps, tx_bps;
    };
    PortRates port_rates(unsigned index);
    // Everything the switch knows of one port's traffic, read at once: the source of `show port
    // stats` and, through it, of telemetry.
    struct PmdCounters {
        uint64_t imissed = 0, ierrors = 0, rx_nombuf = 0, oerrors = 0;
    };
    struct KernelCounters {   // the kernel's own counters of the port's interface (the veth host end)
        uint64_t rx_packets = 0, rx_dropped = 0, tx_packets = 0, tx_dropped = 0;
    };
    struct PortSnapshot {
        std::string name;
        PortTotals totals;                       // the switch's counters since the last clear
        PortRates rates;                         // since the previous snapshot of the port (port_rates)
        std::optional<PmdCounters> pmd;          // what the PMD lost before the switch saw it; none if it has no stats
        std::optional<KernelCounters> kernel;    // af_packet, af_xdp, tap while the interface exists
        std::optional<uint64_t> rx_ring_full;    // port_ring_drops: af_packet, af_xdp
    };
    // with_rates false: rates left zero and the rate window untouched (a Prometheus scrape must not
    // shorten the window of the next `show port stats`).
    PortSnapshot port_snapshot(unsigned index, bool with_rates = true);
    void clear_port_stats(unsigned index);
    // Frames the kernel dropped at the port's full af_packet or af_xdp RX ring since the last
    // clear (Port::ring_drops); nullopt for a port without such sockets.
    std::optional<uint64_t> port_ring_drops(unsigned index);
    SwitchTotals switch_totals() const;
    std::vector<LcoreTotals> lcore_totals() const;

    unsigned pool_mbufs() const;       // the pool's size
    unsigned mbufs_committed() const;  // sum of the ports' SwitchPort::mbufs

    unsigned mac_aging_s() const { return aging_s_; }
    void set_mac_aging(unsigned s) { aging_s_ = s; }
    // How long a worker may hold a TX batch (switch.tx_flush_us); workers take a change at once.
    unsigned tx_flush_us() const { return shared_.tx_flush_us.load(std::memory_order_relaxed); }
    void set_tx_flush_us(unsigned us) { shared_.tx_flush_us.store(us, std::memory_order_relaxed); }
    void housekeeping();     // once a second on the main lcore: MAC aging, interface watch, learning refusals logged

    // `capture <port> <file> [count N] [rx|tx|both] [overwrite]`: frames of one port into a pcapng file.
    Status start_capture(const std::string &port, const std::string &path, uint64_t count, uint8_t dirs,
                         bool overwrite = false);
    Status stop_capture(const std::string &port);
    void poll_captures();   // every control-loop turn: writes queued frames, ends finished captures
    // Logs a port's link going down or up (a vhost/memif peer leaving or returning). Every
    // control-loop turn (<= 50 ms): a peer that comes and goes within a second is still seen.
    void watch_links();
    void watch_interfaces();   // notices a kernel-backed port's interface vanishing (or back)
    // The VTEP (switch_vxlan.cc); null without a vxlan: section.
    const VxlanState *vxlan() const { return vxlan_.get(); }
    // `vxlan vtep add <IP> [vni N]`: the VTEP (a new one takes a port index) floods for VNI N,
    // or for every mapped VNI. Returns its port index.
    Result<unsigned> add_vtep(uint32_t ip, std::optional<uint32_t> vni, VtepOrigin origin = VtepOrigin::listed);
    // `vxlan vtep del <IP> [vni N]`: stops its floods for VNI N; without N it goes, and its MACs
    // with it.
    Status del_vtep(uint32_t ip, std::optional<uint32_t> vni);
    void poll_vxlan();   // every control-loop turn: adds the VTEPs the workers reported (learn_vteps)
    // Per-VTEP counters since it was added, or since `clear port stats` cleared them (its port
    // index's).
    PortTotals vtep_totals(unsigned index) const;
    void clear_vtep_stats(unsigned index);
    const CaptureSession *capture(unsigned index) const { return index < kMaxPorts ? captures_[index].get() : nullptr; }
    // The view last published (what the workers load next); null before the first.
    const DataplaneView *view() const { return view_.get(); }

private:
    explicit Switch(const Config &cfg) : cfg_(cfg), aging_s_(cfg.sw.mac_aging_s) {}
    Result<unsigned> open_port(const PortConfig &pc, bool check_mbufs);
    Status check_new_port(const PortConfig &pc) const;
    void publish_view();
    void join_workers(size_t launched);   // tells the workers to stop, waits for the first `launched`
    void report_learn_refusals();
    void report_mbuf_shortage();
    void report_ring_overruns();
    PortTotals raw_port_totals(unsigned index) const;
    Status start_vxlan();
    // The port index a config's static MAC goes on: its port's, or its VTEP's (added if absent).
    Result<unsigned> static_mac_index(const StaticMac &sm);
    void vxlan_housekeeping();
    bool index_free(unsigned index) const;   // neither a port nor a VTEP holds it

    Config cfg_;
    unsigned aging_s_;
    std::vector<unsigned> workers_;
    std::unique_ptr<rte_rcu_qsbr, RcuFree> rcu_;
    MempoolPtr pool_;
    // The offload fallback's segment headers and payload references (WorkerShared::gso_direct,
    // gso_indirect): apart from pool_, so that splitting 64 KB segments never starves RX.
    MempoolPtr gso_direct_, gso_indirect_;
    // RX pools of ports that want their own (af_xdp), in creation order; freed after every
    // port has closed, since their mbufs travel to the other ports.
    std::vector<MempoolPtr> port_pools_;
    unsigned pools_made_ = 0;   // names them: one freed leaves no gap another could collide with
    std::unique_ptr<MacTable> macs_;
    std::unique_ptr<ArpTable> arp_;   // null when switch.arp_proxy is off
    std::unique_ptr<LcoreCounters[]> counters_;
    std::unique_ptr<PortStorm[]> storm_;   // storm-control limiters by port index, shared by the workers
    std::array<std::unique_ptr<SwitchPort>, kMaxPorts> ports_;
    std::array<std::unique_ptr<CaptureSession>, kMaxPorts> captures_;   // by port index
    LearnWatch learn_watch_;
    EpisodeLog mbuf_episode_;
    EpisodeLog ring_episode_;
    uint64_t ring_drops_total_ = 0;   // over every port there has been (never goes down)
    std::array<int8_t, kMaxPorts> link_up_{};   // by port index: -1 unknown (new port), else the last state logged
    struct RateSample {
        uint64_t tsc = 0;
        PortTotals totals;
    };
    std::array<RateSample, kMaxPorts> rate_samples_;   // by port index, control plane only
    std::unique_ptr<VxlanState> vxlan_;   // before the view: views point at its neighbours
    std::array<PortTotals, kMaxPorts> vtep_baseline_;   // by port index: a VTEP's counters when added
    WorkerShared shared_;
    std::unique_ptr<DataplaneView> view_;
    uint64_t view_generation_ = 0;   // of the last view published
    bool running_ = false;
    unsigned next_rr_ = 0;
};

}  // namespace dsw
