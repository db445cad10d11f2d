#include "dpdk_switch/cni/netlink.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include <libmnl/libmnl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/netns.h"

namespace dsw::cni {

namespace {

// One request is a few hundred bytes; answers (an address dump) come in parts the kernel sizes
// to the receive buffer, which this is.
constexpr size_t kBufSize = 32768;

Error nl_error(const std::string &what, int e) { return fail(what + ": " + std::strerror(e), kSystemFailure); }

std::string mac_text(const uint8_t *b, size_t n) {
    std::string s;
    char part[4];
    for (size_t i = 0; i < n; ++i) {
        std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", b[i]);
        s += part;
    }
    return s;
}

bool parse_mac(const std::string &s, uint8_t out[6]) {
    unsigned v[6];
    if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return false;
    for (int i = 0; i < 6; ++i) out[i] = static_cast<uint8_t>(v[i]);
    return true;
}

nlmsghdr *request(std::vector<char> &buf, uint16_t type, uint16_t flags) {
    buf.assign(kBufSize, 0);
    nlmsghdr *nlh = mnl_nlmsg_put_header(buf.data());
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    return nlh;
}

// --- answer parsers (libmnl callbacks) ---

int attr_into_table(const nlattr *a, void *data) {
    auto **tb = static_cast<const nlattr **>(data);
    const int type = mnl_attr_get_type(a);
    if (mnl_attr_type_valid(a, IFLA_MAX) > 0) tb[type] = a;
    return MNL_CB_OK;
}

int link_cb(const nlmsghdr *nlh, void *data) {
    auto *out = static_cast<LinkInfo *>(data);
    const auto *ifm = static_cast<const ifinfomsg *>(mnl_nlmsg_get_payload(nlh));
    const nlattr *tb[IFLA_MAX + 1] = {};
    if (mnl_attr_parse(nlh, sizeof *ifm, attr_into_table, tb) < 0) return MNL_CB_ERROR;
    out->index = ifm->ifi_index;
    out->up = (ifm->ifi_flags & IFF_UP) != 0;
    if (tb[IFLA_IFNAME] && mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_STRING) >= 0)
        out->name = mnl_attr_get_str(tb[IFLA_IFNAME]);
    if (tb[IFLA_MTU] && mnl_attr_validate(tb[IFLA_MTU], MNL_TYPE_U32) >= 0) out->mtu = mnl_attr_get_u32(tb[IFLA_MTU]);
    if (tb[IFLA_ADDRESS])
        out->mac = mac_text(static_cast<const uint8_t *>(mnl_attr_get_payload(tb[IFLA_ADDRESS])),
                            mnl_attr_get_payload_len(tb[IFLA_ADDRESS]));
    if (tb[IFLA_LINKINFO]) {
        // (libmnl's iteration macros are C: they assign from void *.)
        const nlattr *nest = tb[IFLA_LINKINFO];
        const auto *a = static_cast<const nlattr *>(mnl_attr_get_payload(nest));
        const char *end = static_cast<const char *>(mnl_attr_get_payload(nest)) + mnl_attr_get_payload_len(nest);
        for (; mnl_attr_ok(a, static_cast<int>(end - reinterpret_cast<const char *>(a))); a = mnl_attr_next(a))
            if (mnl_attr_get_type(a) == IFLA_INFO_KIND && mnl_attr_validate(a, MNL_TYPE_STRING) >= 0)
                out->kind = mnl_attr_get_str(a);
    }
    return MNL_CB_OK;
}

struct AddrDump {
    int index;
    std::vector<IpPrefix> found;
};

int addr_cb(const nlmsghdr *nlh, void *data) {
    auto *d = static_cast<AddrDump *>(data);
    const auto *ifa = static_cast<const ifaddrmsg *>(mnl_nlmsg_get_payload(nlh));
    if (static_cast<int>(ifa->ifa_index) != d->index) return MNL_CB_OK;
    if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) return MNL_CB_OK;
    const nlattr *local = nullptr, *address = nullptr;
    const auto *a = static_cast<const nlattr *>(mnl_nlmsg_get_payload_offset(nlh, sizeof *ifa));
    for (; mnl_attr_ok(a, static_cast<int>(static_cast<const char *>(mnl_nlmsg_get_payload_tail(nlh)) -
                                           reinterpret_cast<const char *>(a)));
         a = mnl_attr_next(a)) {
        if (mnl_attr_get_type(a) == IFA_LOCAL) local = a;
        if (mnl_attr_get_type(a) == IFA_ADDRESS) address = a;
    }
    const nlattr *use = local ? local : address;   // IFA_LOCAL is ours; IFA_ADDRESS the peer's on a point-to-point link
    if (use == nullptr) return MNL_CB_OK;
    IpPrefix p;
    p.family = ifa->ifa_family;
    p.len = ifa->ifa_prefixlen;
    if (mnl_attr_get_payload_len(use) != p.addr_size()) return MNL_CB_OK;
    std::memcpy(p.bytes.data(), mnl_attr_get_payload(use), p.addr_size());
    d->found.push_back(p);
    return MNL_CB_OK;
}

}  // namespace

Netlink::Netlink(mnl_socket *s) : sock_(s), portid_(mnl_socket_get_portid(s)) {}

Netlink::Netlink(Netlink &&o) noexcept : sock_(std::exchange(o.sock_, nullptr)), portid_(o.portid_), seq_(o.seq_) {}

Netlink::~Netlink() {
    if (sock_ != nullptr) mnl_socket_close(sock_);
}

Result<Netlink> Netlink::open() {
    mnl_socket *s = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
    if (s == nullptr) return nl_error("netlink socket", errno);
    if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int e = errno;
        mnl_socket_close(s);
        return nl_error("netlink bind", e);
    }
    return Netlink(s);
}

Result<Netlink> Netlink::open_in(const Netns &ns) {
    auto fd = ns.socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    if (!fd) return fd.error();
    mnl_socket *s = mnl_socket_fdopen(*fd);
    if (s == nullptr || mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
        const int e = errno;
        if (s != nullptr) mnl_socket_close(s);
        else ::close(*fd);
        return nl_error("netlink socket in the container's namespace", e);
    }
    return Netlink(s);
}

Status Netlink::talk(void *buf, int (*cb)(const nlmsghdr *, void *), void *data) {
    auto *nlh = static_cast<nlmsghdr *>(buf);
    nlh->nlmsg_flags |= NLM_F_ACK;
    nlh->nlmsg_seq = ++seq_;
    if (mnl_socket_sendto(sock_, nlh, nlh->nlmsg_len) < 0) return Error{errno, "send"};
    std::vector<char> answer(kBufSize);
    for (;;) {
        const ssize_t n = mnl_socket_recvfrom(sock_, answer.data(), answer.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error{errno, "recv"};
        }
        const int r = mnl_cb_run(answer.data(), static_cast<size_t>(n), seq_, portid_, cb, data);
        if (r == MNL_CB_ERROR) return Error{errno, "kernel"};
        if (r == MNL_CB_STOP) return Ok{};
    }
}

// Errors from talk() carry errno in Error::code; the public functions turn it into a message.

Status Netlink::create_veth(const VethSpec &v) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, v.host_name.c_str());
    mnl_attr_put_u32(nlh, IFLA_MTU, v.mtu);
    nlattr *linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    nlattr *info = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    // The peer is described as a link of its own: an ifinfomsg, then its attributes.
    auto *pifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    pifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, v.peer_name.c_str());
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(v.peer_ns->fd()));
    mnl_attr_put_u32(nlh, IFLA_MTU, v.mtu);
    if (!v.peer_mac.empty()) {
        uint8_t mac[6];
        if (!parse_mac(v.peer_mac, mac)) return fail("bad MAC " + v.peer_mac, kInvalidConfig);
        mnl_attr_put(nlh, IFLA_ADDRESS, sizeof mac, mac);
    }
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, info);
    mnl_attr_nest_end(nlh, linkinfo);
    if (auto st = talk(buf.data(), nullptr, nullptr); !st) {
        if (st.error().code == EEXIST)
            return fail("interface " + v.host_name + " (host) or " + v.peer_name + " (container) already exists",
                        kSystemFailure);
        return nl_error("creating veth " + v.host_name + " / " + v.peer_name, st.error().code);
    }
    return Ok{};
}

Status Netlink::set_up(const std::string &name) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_NEWLINK, 0);
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_flags = ifm->ifi_change = IFF_UP;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    if (auto st = talk(buf.data(), nullptr, nullptr); !st) return nl_error("setting " + name + " up", st.error().code);
    return Ok{};
}

Result<std::optional<LinkInfo>> Netlink::link(const std::string &name) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_GETLINK, 0);
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    LinkInfo info;
    if (auto st = talk(buf.data(), link_cb, &info); !st) {
        if (st.error().code == ENODEV) return std::optional<LinkInfo>();
        return nl_error("looking up " + name, st.error().code);
    }
    return std::optional<LinkInfo>(info);
}

Result<bool> Netlink::delete_link(const std::string &name) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_DELLINK, 0);
    auto *ifm = static_cast<ifinfomsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
    ifm->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
    if (auto st = talk(buf.data(), nullptr, nullptr); !st) {
        if (st.error().code == ENODEV) return false;
        return nl_error("deleting " + name, st.error().code);
    }
    return true;
}

Status Netlink::add_address(int index, const IpPrefix &p) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
    auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = static_cast<uint8_t>(p.family);
    ifa->ifa_prefixlen = static_cast<uint8_t>(p.len);
    ifa->ifa_index = static_cast<uint32_t>(index);
    ifa->ifa_scope = RT_SCOPE_UNIVERSE;
    // No duplicate address detection: IPAM handed the address out, and an address tentative for
    // a second would make the container's first packets fail.
    if (p.family == AF_INET6) ifa->ifa_flags = IFA_F_NODAD;
    mnl_attr_put(nlh, IFA_LOCAL, p.addr_size(), p.bytes.data());
    mnl_attr_put(nlh, IFA_ADDRESS, p.addr_size(), p.bytes.data());
    if (auto st = talk(buf.data(), nullptr, nullptr); !st) return nl_error("adding address " + p.text(), st.error().code);
    return Ok{};
}

Status Netlink::add_route(int index, const Route &r) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
    auto *rtm = static_cast<rtmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
    rtm->rtm_family = static_cast<uint8_t>(r.dst.family);
    rtm->rtm_dst_len = static_cast<uint8_t>(r.dst.len);
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = r.gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    if (r.dst.len > 0) mnl_attr_put(nlh, RTA_DST, r.dst.addr_size(), r.dst.bytes.data());
    if (r.gw) mnl_attr_put(nlh, RTA_GATEWAY, r.gw->addr_size(), r.gw->bytes.data());
    mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(index));
    if (auto st = talk(buf.data(), nullptr, nullptr); !st) {
        // The subnet's own route comes with its address: IPAM may list it again.
        if (st.error().code == EEXIST) return Ok{};
        return nl_error("adding route " + r.dst.text() + (r.gw ? " via " + r.gw->addr_text() : ""), st.error().code);
    }
    return Ok{};
}

Result<std::vector<IpPrefix>> Netlink::addresses(int index) {
    std::vector<char> buf;
    nlmsghdr *nlh = request(buf, RTM_GETADDR, NLM_F_DUMP);
    auto *ifa = static_cast<ifaddrmsg *>(mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
    ifa->ifa_family = AF_UNSPEC;
    AddrDump d{index, {}};
    if (auto st = talk(buf.data(), addr_cb, &d); !st) return nl_error("listing addresses", st.error().code);
    return d.found;
}

}  // namespace dsw::cni
