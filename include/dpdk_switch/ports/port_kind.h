// Port kinds: each described once (PortKind, in ports/<kind>.cc) and listed in ports/registry.cc.
// An ethdev kind is a small builder that turns a PortConfig into devargs (DeviceSpec); everything
// after probing is shared (EthPort). A kind whose I/O is our own opens an OwnIoPort instead.
// Config validation, `port add`, `show port info`, the interface and link watches and the mbuf
// budget read the description, so a new kind is one file and one registry line, and no
// data-plane code changes.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dpdk_switch/ports/offload_caps.h"
#include "dpdk_switch/ports/port_config.h"
#include "dpdk_switch/ports/port_io.h"
#include "dpdk_switch/result.h"

struct rte_mempool;

namespace dsw {

enum class RingDrops : uint8_t { none, packet_mmap, xsk };

struct DeviceSpec {
    std::string name;      // vdev/ethdev name, e.g. "net_af_packet_c1"
    std::string devargs;   // full argument to rte_dev_probe, e.g. "net_af_packet_c1,iface=v1"
    // mbufs the PMD keeps posted per RX queue whatever rx_desc says (af_xdp's fill ring);
    // 0: at most rx_desc. Sizes the mbuf pools and the admission check of `port add`.
    unsigned rx_fill = 0;
    // RX descriptors the device wants instead of the switch's default (0: the default).
    uint16_t rx_desc = 0;
    // RX from a pool of the port's own rather than the shared one: net_af_xdp (DPDK 22.11)
    // never gives its fill-ring mbufs back when it closes, so they must not come from the pool
    // every other port lives on. Such a pool is freed only when the switch exits.
    bool own_rx_pool = false;
    // net_af_xdp (22.11) also leaves its UMEM socket open on close (a refcount off by one), which
    // keeps the interface's queue bound: EthPort closes the AF_XDP sockets the probe made.
    bool close_leaked_xsks = false;
    // Discard what the RX queues hold once the device is started, before it joins the switch:
    // net_af_packet (22.11) opens its socket for ETH_P_ALL on every interface and binds it to its
    // own only afterwards, so its ring may start with other ports' traffic (which would move
    // their MACs to this port and reach them twice). Not for devices whose first frames are the
    // point (a pcap file).
    bool discard_early_rx = false;
    // Frames the kernel dropped because a socket's RX ring was full (the worker fell behind),
    // which the PMD counts nowhere: EthPort reads them from the sockets the device made, so that
    // `show port stats` shows that loss too. packet_mmap: net_af_packet's PACKET_MMAP rings
    // (PACKET_STATISTICS); xsk: net_af_xdp's rings (XDP_STATISTICS rx_ring_full: its imissed
    // is rx_dropped only, the frames that found no fill-ring buffer).
    RingDrops ring_drops = RingDrops::none;
    // The longest frame the port carries whole, either way: its MTU plus kFrameOverhead. The
    // worker counts a longer one `oversize`, on RX (what a kernel ring cut to its frame's room)
    // and on TX (what the PMD would drop unseen, or the kernel refuse): never switched cut.
    // 0: no limit of its own (parse.h's kMaxFrameLen).
    uint32_t max_frame = 0;
    // RX into a pool of the port's own whose mbufs have this data room (with headroom):
    // net_af_packet (22.11) copies a ring frame into one mbuf and cannot chain, so a jumbo MTU
    // needs mbufs as large as its frames. 0: the default data room.
    uint16_t rx_data_room = 0;
    // RX scatter: the PMD chains mbufs for a frame longer than one (net_tap), so that a frame
    // its kernel side sends whole arrives whole (and is counted `oversize` if over max_frame).
    bool rx_scatter = false;
    // An MTU to set on the device once configured (the interface net_tap makes has 1500); 0: none.
    uint16_t set_mtu = 0;
    // A unix socket the PMD binds (vhost server, memif server): a file left there by a process
    // that died makes bind fail, so EthPort removes it first when nobody listens on it.
    std::string listen_path;
    // TX offloads (RTE_ETH_TX_OFFLOAD_*) to ask of the device: EthPort enables those its
    // tx_offload_capa has, and the port takes what they add up to (offload_caps_of_ethdev);
    // the worker does the rest in software. None: the port takes plain frames only.
    uint64_t tx_offloads = 0;
    // Its RX may hand over frames carrying TX offload requests (a vhost peer's TSO segments).
    bool rx_offloads = false;
    // RX offloads (RTE_ETH_RX_OFFLOAD_*) to ask of the device, those its rx_offload_capa has:
    // net_virtio turns them into the virtio features it negotiates with its backend (checksum,
    // LRO: GUEST_CSUM, GUEST_TSO4/6), net_vhost leaves partial checksums as they are. Such a
    // port's RX says what the peer asked with RX flags (RX_L4_CKSUM_NONE, RX_LRO + tso_segsz),
    // which the worker turns into TX requests (rx_offloads above).
    uint64_t rx_offload_conf = 0;
    // The TX offloads the device's peer takes now, in place of what configure enabled: net_vhost
    // passes a TSO frame to its guest whatever its dev_info says, but the guest must have
    // negotiated it (GUEST_TSO4/6), and another guest can take the socket at any time. Control
    // plane only. Null: what configure enabled is the answer.
    uint64_t (*peer_tx_offloads)(uint16_t port_id) = nullptr;
    // Why a failed probe failed, when the kind can tell what the PMD only logs (af_packet: its
    // fanout group held by another process): appended to EthPort::open's error. "": nothing to add.
    std::string (*probe_failure)(const PortConfig &) = nullptr;
};

// What a port attaches to: the config key that names it, and a value two ports may not share (two
// ports on one interface or socket would steal each other's frames).
struct Attachment {
    std::string key;
    std::string what;
};

// The mbufs a port may hold: sizes the shared pool and the admission check of `port add`.
struct MbufNeeds {
    unsigned shared = 0;   // the most mbufs of the shared pool it may hold (RX posted, TX in flight)
    unsigned own_rx = 0;   // size of the RX pool of its own it wants; 0: RX from the shared pool
    uint16_t own_rx_data_room = 0;   // its mbufs' data room; 0: the default (RTE_MBUF_DEFAULT_BUF_SIZE)
};

struct PortKind {
    PortType type;
    std::string_view name;   // its `type:` in the config, and in `port add <name> <type>`
    // The key that says what it attaches to (required; "" for none), and the further keys of this
    // kind only ("" pads). Every kind also takes the common keys (queues, lcore, vlan, ...).
    std::string_view required;
    std::array<std::string_view, 3> options{};
    // How it opens, one of two ways. An ethdev: the devargs EthPort probes.
    Result<DeviceSpec> (*device)(const PortConfig &) = nullptr;
    // Or I/O of our own (PortIo), RX into `pool`; own_mbufs says how many of it the port may hold.
    Result<std::unique_ptr<OwnIoPort>> (*open_own)(const PortConfig &, rte_mempool *pool) = nullptr;
    Result<MbufNeeds> (*own_mbufs)(const PortConfig &) = nullptr;
    // It has a kernel interface (`iface`): `show port stats` shows that interface's counters.
    bool kernel_iface = false;
    // That interface exists apart from the port (tap's is made by the PMD): the config refuses a
    // missing one, and the switch watches it vanish (frames to it then count port_down).
    bool iface_outlives_port = false;
    // Its link is a software peer (vhost, virtio_user, memif): link up means the peer is there.
    bool peer = false;
    // Its ethdev is a TAP the PMD made (net_tap), which asks for its link by the interface's name
    // in the switch's namespace: the port follows the tap's fd instead (TunWhereabouts), for its
    // link and kernel counters wherever the interface went (moved into a container, renamed).
    bool tap_device = false;
    // What it attaches to; null: nothing two ports could share.
    Attachment (*attachment)(const PortConfig &) = nullptr;
    // Opening refuses a second port on the same attachment by itself (DPDK probes a device name
    // once), in words that name the ethdev: `port add` leaves that check to it.
    bool open_refuses_shared = false;
    // `show port info`'s peer line: whom it talks to (a peer kind only).
    std::string (*peer_of)(const PortConfig &) = nullptr;
    // A kind whose I/O is our own: what it takes on TX and whether its RX may carry offload
    // requests (OffloadCaps bits). An ethdev's come from what EthPort enabled (DeviceSpec::tx_offloads).
    uint8_t offloads = kCapNone;
};

// The kinds, in registry order (the built-in ones, then those registered at run time).
const std::vector<const PortKind *> &port_kinds();
// The kind of `t`; null for a type no kind has.
const PortKind *find_port_kind(PortType t);
// The kind of a configured port (whose type the config loader checked).
const PortKind &port_kind(PortType t);
// Adds a kind at run time (a test's own-I/O kind), on the main lcore before any port of it is
// configured; `kind` must outlive its use. Refuses a type or a name that is taken.
Status register_port_kind(const PortKind &kind);
// Takes a kind registered at run time out again (no port of it may be open); the built-in ones stay.
void unregister_port_kind(const PortKind &kind);

// The MTU a kernel-backed port carries: its `mtu:` key, else its interface's (SIOCGIFMTU),
// at most kMaxMtu. An error if the interface's cannot be read.
Result<unsigned> port_mtu(const PortConfig &p);

// The DeviceSpec of an ethdev port (its kind's builder); an error for a kind that is no ethdev.
Result<DeviceSpec> device_for(const PortConfig &p);

// The sockets of `domain` (AF_XDP, AF_PACKET) this process holds (fds): close_leaked_xsks and
// ring_drops find a PMD's sockets as those its probe added.
std::vector<int> socket_fds(int domain);

// Removes `path` if it is a unix socket nobody listens on (connect: ECONNREFUSED). Anything
// else (no file, a live listener, not a socket) is left alone: bind then reports it.
void remove_stale_socket(const std::string &path);

// Makes the directory of `path`, a socket port `port` is to bind, when it is in the run
// directory (run_dir.h: where a relative socket name in the config is); any other is left to
// its user. An error names the port, the directory and why.
Status make_run_dir_for(const std::string &port, const std::string &path);

}  // namespace dsw
