// The registry of port kinds: those the switch is built with (kind_list.h, one line each), then
// any registered at run time. Each kind is described in its own file (ports/<kind>.cc).
#include "dpdk_switch/ports/kind_list.h"
#include "dpdk_switch/ports/port_kind.h"

namespace dsw {

#define DSW_DECLARE_KIND(k) extern const PortKind k##_kind;
DSW_PORT_KINDS(DSW_DECLARE_KIND)
#undef DSW_DECLARE_KIND

namespace {

#define DSW_COUNT_KIND(k) +1
constexpr long kBuiltInKinds = 0 DSW_PORT_KINDS(DSW_COUNT_KIND);
#undef DSW_COUNT_KIND

// Written on the main lcore only (start-up, a test's register_port_kind); read there too.
std::vector<const PortKind *> &registry() {
#define DSW_LIST_KIND(k) &k##_kind,
    static std::vector<const PortKind *> kinds{DSW_PORT_KINDS(DSW_LIST_KIND)};
#undef DSW_LIST_KIND
    return kinds;
}

}  // namespace

const std::vector<const PortKind *> &port_kinds() { return registry(); }

const PortKind *find_port_kind(PortType t) {
    for (const PortKind *k : registry())
        if (k->type == t) return k;
    return nullptr;
}

const PortKind &port_kind(PortType t) {
    // Every PortConfig's type was checked against the registry when it was read.
    return *find_port_kind(t);
}

Status register_port_kind(const PortKind &kind) {
    for (const PortKind *k : registry())
        if (k->type == kind.type || k->name == kind.name)
            return fail("port kind " + std::string(kind.name) + ": its type or name is taken");
    if ((kind.device == nullptr) == (kind.open_own == nullptr) || (kind.open_own != nullptr && kind.own_mbufs == nullptr))
        return fail("port kind " + std::string(kind.name) + ": opens as an ethdev (device) or with I/O of its own "
                    "(open_own and own_mbufs), one of the two");
    registry().push_back(&kind);
    return Ok{};
}

void unregister_port_kind(const PortKind &kind) {
    std::vector<const PortKind *> &all = registry();
    for (auto it = all.begin() + kBuiltInKinds; it < all.end(); ++it)
        if (*it == &kind) {
            all.erase(it);
            return;
        }
}

const char *port_type_name(PortType t) {
    const PortKind *k = find_port_kind(t);
    return k != nullptr ? k->name.data() : "unknown";
}

std::optional<PortType> port_type_from_name(const std::string &name) {
    for (const PortKind *k : registry())
        if (k->name == name) return k->type;
    return std::nullopt;
}

Result<DeviceSpec> device_for(const PortConfig &p) {
    const PortKind *k = find_port_kind(p.type);
    if (k == nullptr || k->device == nullptr)
        return fail(std::string("port ") + p.name + ": type " + port_type_name(p.type) + " is not an ethdev");
    return k->device(p);
}

}  // namespace dsw
