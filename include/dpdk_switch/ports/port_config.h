// One port's configuration (DESIGN.md §4's per-port keys) and its kind. The ports layer owns
// them, so that a port kind (ports/<kind>.cc) never reaches into the control plane; the config
// loader (control/config_port.cc) fills them from the kinds' descriptions (port_kind.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dpdk_switch/ports/kind_list.h"

namespace dsw {

// A port kind: each is described once, in ports/<kind>.cc, and listed in ports/kind_list.h.
// Values past these are kinds registered at run time (register_port_kind, e.g. a test's).
#define DSW_PORT_TYPE(k) k,
enum class PortType : uint8_t { DSW_PORT_KINDS(DSW_PORT_TYPE) };
#undef DSW_PORT_TYPE

struct PortConfig {
    std::string name;
    PortType type = PortType::dpdk;
    std::string iface;                 // af_packet, af_xdp, tap
    std::string path;                  // vhost, virtio_user: unix socket path
    std::string socket;                // memif socket path
    std::string devargs;               // dpdk: full devargs, e.g. "net_pcap0,rx_pcap=x.pcap"
    bool client = false;               // vhost: connect instead of listen
    // vhost, virtio_user: negotiate checksum offload and TSO with the peer (64 KB segments
    // cross whole); false: full checksums and MTU-sized frames only, as before offloads.
    bool offloads = true;
    unsigned queues = 1;
    unsigned mtu = 0;                  // af_packet, af_xdp, tap; 0: the interface's (tap: 1500)
    unsigned id = 0;                   // memif id
    std::string role = "server";      // memif: server (master) | client (slave)
    // memif: what a client sends in INIT, and what a server requires of it ("": none). Up to 24
    // printable bytes; never shown or logged (show port info says only whether there is one).
    std::string secret;
    std::optional<unsigned> lcore;     // worker that owns the port; round-robin when absent
    uint16_t vlan = 0;                 // access VLAN (0: untagged, default domain)
    std::vector<uint16_t> trunk;       // 802.1Q trunk VLANs; empty: access port
    unsigned mac_limit = 0;            // most MACs learned behind this port; 0: no limit
    // Storm control: most frames per second accepted from this port, per kind; 0: no limit.
    unsigned storm_broadcast_pps = 0, storm_multicast_pps = 0, storm_unknown_unicast_pps = 0;
    bool operator==(const PortConfig &) const = default;
};

// A kind's name as the config's `type:` says it ("unknown" for none registered); and back.
const char *port_type_name(PortType t);
std::optional<PortType> port_type_from_name(const std::string &name);

}  // namespace dsw
