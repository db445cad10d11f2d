// tap: a kernel TAP netdev made by the PMD (a host interface into the switch).
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

namespace {

Result<DeviceSpec> tap_device(const PortConfig &p) {
    DeviceSpec d;
    d.name = "net_tap_" + p.name;
    d.devargs = d.name + ",iface=" + p.iface;
    // The PMD makes its interface with MTU 1500, and sends nothing longer than its MTU's frame:
    // an `mtu:` key sets both (EthPort says what the PMD refuses: 22.11 takes at most 1504).
    // Frames the kernel side sends longer (an MTU raised with `ip link`) arrive whole, chained,
    // and are counted oversize.
    const unsigned mtu = p.mtu != 0 ? p.mtu : 1500;
    d.set_mtu = static_cast<uint16_t>(p.mtu);
    d.max_frame = mtu + kFrameOverhead;
    d.rx_scatter = true;
    return d;
}

Attachment tap_attachment(const PortConfig &p) { return {"iface", "interface " + p.iface}; }

}  // namespace

// Its interface is the PMD's own: made with the port, gone with it.
extern const PortKind tap_kind{
    .type = PortType::tap, .name = "tap", .required = "iface", .options = {"mtu"},
    .device = tap_device, .kernel_iface = true, .tap_device = true, .attachment = tap_attachment,
};

}  // namespace dsw
