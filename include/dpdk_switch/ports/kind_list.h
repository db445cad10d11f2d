// The port kinds the switch is built with: one line each, in PortType order. This list is the
// registry (ports/registry.cc reads it, and PortType's values come from it); each kind is
// described in its own file, ports/<kind>.cc, as `extern const PortKind <kind>_kind`.
#pragma once

#define DSW_PORT_KINDS(X) \
    X(af_packet)          \
    X(af_xdp)             \
    X(tap)                \
    X(vhost)              \
    X(virtio_user)        \
    X(memif)              \
    X(dpdk)               \
    X(veth)               \
    X(vtap)
