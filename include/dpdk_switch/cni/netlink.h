// rtnetlink through libmnl: the links, addresses and routes the plugin makes, in the namespace
// its socket was opened in. libmnl rather than `ip`: no shell or output parsing, errors as
// errno, and it builds and bounds-checks the attributes (one small C library, Debian's libmnl).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dpdk_switch/cni/ip_prefix.h"
#include "dpdk_switch/result.h"

struct mnl_socket;
struct nlmsghdr;

namespace dsw::cni {

class Netns;

struct LinkInfo {
    int index = 0;
    std::string name;
    std::string mac;      // "aa:bb:..", lower case
    unsigned mtu = 0;
    bool up = false;
    std::string kind;     // "veth", ...
};

struct VethSpec {
    std::string host_name;     // stays in the netlink socket's namespace
    std::string peer_name;     // made directly inside `peer_ns`, with its final name
    const Netns *peer_ns = nullptr;
    unsigned mtu = 1500;
    std::string peer_mac;      // "" : the kernel's random one
};

struct Route {
    IpPrefix dst;
    std::optional<IpPrefix> gw;   // none: on-link
};

class Netlink {
public:
    static Result<Netlink> open();                       // in the current namespace
    static Result<Netlink> open_in(const Netns &ns);
    Netlink(Netlink &&o) noexcept;
    Netlink &operator=(Netlink &&) = delete;
    ~Netlink();

    // Both ends down (the kernel cannot bring one up before both exist). EEXIST (either name
    // taken) is an error naming them.
    Status create_veth(const VethSpec &v);
    Status set_up(const std::string &name);
    Result<std::optional<LinkInfo>> link(const std::string &name);
    // false: there was no such link.
    Result<bool> delete_link(const std::string &name);
    Status add_address(int index, const IpPrefix &p);
    Status add_route(int index, const Route &r);      // an existing equal route is fine
    Result<std::vector<IpPrefix>> addresses(int index);

private:
    explicit Netlink(mnl_socket *s);
    // Sends one request (seq, ACK set here) and runs `cb` on every answer until the ACK or DONE.
    Status talk(void *buf, int (*cb)(const ::nlmsghdr *, void *), void *data);

    mnl_socket *sock_ = nullptr;
    unsigned portid_ = 0;
    unsigned seq_ = 0;
};

}  // namespace dsw::cni
