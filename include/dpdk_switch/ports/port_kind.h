// How each port type becomes a DPDK device: one small builder per type (ports/<type>.cc) that
// turns a PortConfig into devargs. Everything after probing is shared (EthPort), so a new PMD
// is a new builder and one line in the registry, and no data-plane code changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/result.h"

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
};

// The MTU a kernel-backed port carries: its `mtu:` key, else its interface's (SIOCGIFMTU),
// at most kMaxMtu. An error if the interface's cannot be read.
Result<unsigned> port_mtu(const PortConfig &p);

Result<DeviceSpec> af_packet_device(const PortConfig &p);
Result<DeviceSpec> af_xdp_device(const PortConfig &p);
Result<DeviceSpec> tap_device(const PortConfig &p);
Result<DeviceSpec> vhost_device(const PortConfig &p);
Result<DeviceSpec> virtio_user_device(const PortConfig &p);
Result<DeviceSpec> memif_device(const PortConfig &p);
Result<DeviceSpec> generic_device(const PortConfig &p);

// Dispatches on p.type; an unsupported type is an error naming it.
Result<DeviceSpec> device_for(const PortConfig &p);

// The sockets of `domain` (AF_XDP, AF_PACKET) this process holds (fds): close_leaked_xsks and
// ring_drops find a PMD's sockets as those its probe added.
std::vector<int> socket_fds(int domain);

// Removes `path` if it is a unix socket nobody listens on (connect: ECONNREFUSED). Anything
// else (no file, a live listener, not a socket) is left alone: bind then reports it.
void remove_stale_socket(const std::string &path);

}  // namespace dsw
