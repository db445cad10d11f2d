// ArpTable: (vlan, IPv4 or IPv6 address) -> the MAC (and port) that owns it: the bindings of
// the ARP proxy and of the IPv6 ND proxy, in one table (a 20-byte key says which family).
//
// Who writes: workers learn bindings from ARP senders (a write only when a binding is new or
// changed); the control plane adds static bindings and deletes (`arp del`, bindings whose MAC
// aged out, port removal). Who reads: workers, lock-free, only for ARP frames.
// Protection: rte_hash with RW_CONCURRENCY_LF + MULTI_WRITER_ADD; the binding is the 64-bit data
// word, replaced atomically by rte_hash; a deleted key's slot is freed only after an
// rte_rcu_qsbr grace period. Not on the IPv4 fast path, so rte_hash's cost does not matter here.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <rte_hash.h>

#include "dpdk_switch/result.h"

struct rte_rcu_qsbr;

namespace dsw {

inline constexpr uint16_t kNoPort = 0xff;   // a static binding: no port known

struct ArpBinding {
    uint64_t mac = 0;       // 48-bit, wire order
    uint16_t port = kNoPort;
    bool is_static = false;
};

using Ip6 = std::array<uint8_t, 16>;   // network order

struct ArpRecord {
    bool v6;
    uint32_t ip;            // IPv4, host order (v6 false)
    Ip6 ip6;                // IPv6 (v6 true)
    uint16_t vlan;
    ArpBinding binding;
};

enum class ArpLearn : uint8_t { unchanged, learned, moved, static_kept, table_full };

class ArpTable {
public:
    static Result<std::unique_ptr<ArpTable>> create(const std::string &name, unsigned capacity, int socket,
                                                    rte_rcu_qsbr *rcu);
    ~ArpTable();
    ArpTable(const ArpTable &) = delete;
    ArpTable &operator=(const ArpTable &) = delete;

    // Data plane. `ip` in host order.
    std::optional<ArpBinding> lookup(uint16_t vlan, uint32_t ip) const noexcept;
    ArpLearn learn(uint16_t vlan, uint32_t ip, uint64_t mac, uint16_t port) noexcept;
    std::optional<ArpBinding> lookup6(uint16_t vlan, const uint8_t *ip6) const noexcept;
    ArpLearn learn6(uint16_t vlan, const uint8_t *ip6, uint64_t mac, uint16_t port) noexcept;

    // Control plane.
    Status add_static(uint16_t vlan, uint32_t ip, uint64_t mac);
    bool remove(uint16_t vlan, uint32_t ip);
    // Removes the dynamic bindings `keep` says no to (e.g. whose MAC left the MAC table).
    unsigned remove_if(bool (*drop)(const ArpRecord &, const void *ctx), const void *ctx);
    std::vector<ArpRecord> records() const;
    unsigned size() const;

private:
    ArpTable() = default;
    struct Key {
        uint16_t vlan;
        uint16_t family;   // 4 or 6
        uint8_t addr[16];  // IPv4 in the first 4 bytes (host order), rest zero
    };
    static_assert(sizeof(Key) == 20);
    static Key key(uint16_t vlan, uint32_t ip);
    static Key key6(uint16_t vlan, const uint8_t *ip6);
    std::optional<ArpBinding> lookup_key(const Key &k) const noexcept;
    ArpLearn learn_key(const Key &k, uint64_t mac, uint16_t port) noexcept;
    Status add_static_key(const Key &k, uint64_t mac);
    bool remove_key(const Key &k);
    static uint64_t pack(const ArpBinding &b);
    static ArpBinding unpack(uint64_t d);
    void retire(const std::vector<int32_t> &positions);

    rte_hash *hash_ = nullptr;
    rte_rcu_qsbr *rcu_ = nullptr;
    unsigned capacity_ = 0;
};

// The one IP formatter and parser (tables/addr_text.cc, on inet_ntop / inet_pton). Host order.
std::string ipv4_to_string(uint32_t ip);
std::optional<uint32_t> ipv4_from_string(const std::string &s);
std::string ipv6_to_string(const Ip6 &ip);

}  // namespace dsw
