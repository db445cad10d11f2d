#include "dpdk_switch/tables/arp_table.h"

#include <cstring>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

namespace dsw {

namespace {
constexpr uint64_t kValid = 1ULL << 63;   // data is never 0, so a present key always has a binding
constexpr uint64_t kStatic = 1ULL << 56;
}  // namespace

uint64_t ArpTable::pack(const ArpBinding &b) {
    return kValid | (b.is_static ? kStatic : 0) | (uint64_t{b.port & 0xffu} << 48) | (b.mac & 0xffffffffffffULL);
}

ArpBinding ArpTable::unpack(uint64_t d) {
    return ArpBinding{d & 0xffffffffffffULL, static_cast<uint16_t>((d >> 48) & 0xff), (d & kStatic) != 0};
}

Result<std::unique_ptr<ArpTable>> ArpTable::create(const std::string &name, unsigned capacity, int socket,
                                                   rte_rcu_qsbr *rcu) {
    std::unique_ptr<ArpTable> t(new ArpTable());
    rte_hash_parameters p{};
    p.name = name.c_str();
    p.entries = capacity;
    p.key_len = sizeof(Key);
    p.hash_func = rte_hash_crc;
    p.socket_id = socket;
    p.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD;
    t->hash_ = rte_hash_create(&p);
    if (t->hash_ == nullptr) return fail("cannot create ARP table: " + std::string(rte_strerror(rte_errno)));
    t->rcu_ = rcu;
    t->capacity_ = capacity;
    return t;
}

ArpTable::~ArpTable() { rte_hash_free(hash_); }

ArpTable::Key ArpTable::key(uint16_t vlan, uint32_t ip) {
    Key k{vlan, 4, {}};
    std::memcpy(k.addr, &ip, sizeof ip);
    return k;
}

ArpTable::Key ArpTable::key6(uint16_t vlan, const uint8_t *ip6) {
    Key k{vlan, 6, {}};
    std::memcpy(k.addr, ip6, 16);
    return k;
}

std::optional<ArpBinding> ArpTable::lookup_key(const Key &k) const noexcept {
    void *data = nullptr;
    if (rte_hash_lookup_data(hash_, &k, &data) < 0) return std::nullopt;
    return unpack(reinterpret_cast<uintptr_t>(data));
}

ArpLearn ArpTable::learn_key(const Key &k, uint64_t mac, uint16_t port) noexcept {
    void *data = nullptr;
    const bool known = rte_hash_lookup_data(hash_, &k, &data) >= 0;
    ArpLearn result = ArpLearn::learned;
    if (known) {
        const ArpBinding b = unpack(reinterpret_cast<uintptr_t>(data));
        if (b.is_static) return ArpLearn::static_kept;   // configured truth beats what a sender claims
        if (b.mac == mac && b.port == port) return ArpLearn::unchanged;
        result = ArpLearn::moved;
    } else if (rte_hash_count(hash_) >= static_cast<int32_t>(capacity_)) {
        return ArpLearn::table_full;
    }
    const uint64_t d = pack(ArpBinding{mac, port, false});
    if (rte_hash_add_key_data(hash_, &k, reinterpret_cast<void *>(static_cast<uintptr_t>(d))) != 0)
        return ArpLearn::table_full;
    return result;
}

Status ArpTable::add_static_key(const Key &k, uint64_t mac) {
    // The proxies answer with this MAC as the Ethernet source: it must be a host's.
    if ((mac & 1) != 0 || mac == 0) return fail("a binding needs a unicast MAC, not a group or zero address");
    const uint64_t d = pack(ArpBinding{mac, kNoPort, true});
    if (rte_hash_add_key_data(hash_, &k, reinterpret_cast<void *>(static_cast<uintptr_t>(d))) != 0)
        return fail("ARP/ND table is full");
    return Ok{};
}

bool ArpTable::remove_key(const Key &k) {
    const int32_t pos = rte_hash_del_key(hash_, &k);
    if (pos < 0) return false;
    retire({pos});
    return true;
}

std::optional<ArpBinding> ArpTable::lookup(uint16_t vlan, uint32_t ip) const noexcept { return lookup_key(key(vlan, ip)); }
ArpLearn ArpTable::learn(uint16_t vlan, uint32_t ip, uint64_t mac, uint16_t port) noexcept {
    return learn_key(key(vlan, ip), mac, port);
}
std::optional<ArpBinding> ArpTable::lookup6(uint16_t vlan, const uint8_t *ip6) const noexcept {
    return lookup_key(key6(vlan, ip6));
}
ArpLearn ArpTable::learn6(uint16_t vlan, const uint8_t *ip6, uint64_t mac, uint16_t port) noexcept {
    return learn_key(key6(vlan, ip6), mac, port);
}
Status ArpTable::add_static(uint16_t vlan, uint32_t ip, uint64_t mac) { return add_static_key(key(vlan, ip), mac); }
bool ArpTable::remove(uint16_t vlan, uint32_t ip) { return remove_key(key(vlan, ip)); }

void ArpTable::retire(const std::vector<int32_t> &positions) {
    if (positions.empty()) return;
    // RW_CONCURRENCY_LF leaves deleted slots allocated: free them once no worker can hold one.
    if (rcu_ != nullptr) rte_rcu_qsbr_synchronize(rcu_, RTE_QSBR_THRID_INVALID);
    for (int32_t pos : positions) rte_hash_free_key_with_position(hash_, pos);
}


unsigned ArpTable::remove_if(bool (*drop)(const ArpRecord &, const void *ctx), const void *ctx) {
    std::vector<int32_t> gone;
    for (const ArpRecord &r : records()) {
        if (!drop(r, ctx)) continue;
        const Key k = r.v6 ? key6(r.vlan, r.ip6.data()) : key(r.vlan, r.ip);
        const int32_t pos = rte_hash_del_key(hash_, &k);
        if (pos >= 0) gone.push_back(pos);
    }
    retire(gone);
    return static_cast<unsigned>(gone.size());
}

std::vector<ArpRecord> ArpTable::records() const {
    std::vector<ArpRecord> out;
    const void *k;
    void *data;
    uint32_t next = 0;
    while (rte_hash_iterate(hash_, &k, &data, &next) >= 0) {
        const Key &kv = *static_cast<const Key *>(k);
        ArpRecord r{kv.family == 6, 0, {}, kv.vlan, unpack(reinterpret_cast<uintptr_t>(data))};
        if (r.v6)
            std::memcpy(r.ip6.data(), kv.addr, 16);
        else
            std::memcpy(&r.ip, kv.addr, 4);
        out.push_back(r);
    }
    return out;
}

unsigned ArpTable::size() const { return static_cast<unsigned>(rte_hash_count(hash_)); }

}  // namespace dsw
