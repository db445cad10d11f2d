#include "dpdk_switch/dataplane/arp_proxy.h"

#include <cstring>

#include <rte_arp.h>
#include <rte_byteorder.h>

namespace dsw {

namespace {
uint16_t be16_at(const uint8_t *p) {
    uint16_t v;
    std::memcpy(&v, p, 2);
    return rte_be_to_cpu_16(v);
}
uint32_t be32_at(const uint8_t *p) {
    uint32_t v;
    std::memcpy(&v, p, 4);
    return rte_be_to_cpu_32(v);
}
void put_be16(uint8_t *p, uint16_t v) {
    const uint16_t b = rte_cpu_to_be_16(v);
    std::memcpy(p, &b, 2);
}
void put_be32(uint8_t *p, uint32_t v) {
    const uint32_t b = rte_cpu_to_be_32(v);
    std::memcpy(p, &b, 4);
}
}  // namespace

uint8_t parse_arp(const uint8_t *frame, uint16_t len, uint16_t l3_off, ArpFields &out) noexcept {
    if (len < l3_off || len - l3_off < kArpBodyLen) return static_cast<uint8_t>(DropReason::arp_truncated);
    const uint8_t *a = frame + l3_off;
    if (be16_at(a) != RTE_ARP_HRD_ETHER || be16_at(a + 2) != RTE_ETHER_TYPE_IPV4 || a[4] != 6 || a[5] != 4)
        return static_cast<uint8_t>(DropReason::arp_malformed);
    out.op = be16_at(a + 6);
    out.sha = mac_from_bytes(a + 8);
    out.spa = be32_at(a + 14);
    out.tha = mac_from_bytes(a + 18);
    out.tpa = be32_at(a + 24);
    // A group or zero sender hardware address is never a host's: learning it would let one
    // frame bind an address to ff:ff:ff:ff:ff:ff (found by the fuzzer).
    if (mac_is_multicast(out.sha) || out.sha == 0) return static_cast<uint8_t>(DropReason::arp_malformed);
    return kNoDrop;
}

void write_arp_reply(uint8_t *frame, uint16_t l3_off, const ArpFields &req, uint64_t owner_mac) noexcept {
    mac_to_bytes(req.sha, frame);            // Ethernet destination: the requester
    mac_to_bytes(owner_mac, frame + 6);      // Ethernet source: the owner, as if it answered
    uint8_t *a = frame + l3_off;
    put_be16(a + 6, RTE_ARP_OP_REPLY);
    mac_to_bytes(owner_mac, a + 8);
    put_be32(a + 14, req.tpa);
    mac_to_bytes(req.sha, a + 18);
    put_be32(a + 24, req.spa);
}

ArpVerdict arp_proxy(ArpTable &arp, rte_mbuf *m, const ArpFields &req, uint16_t l3_off, uint16_t vlan, uint16_t port,
                     SwitchCounters &c) noexcept {
    if (req.spa != 0) {   // a probe (RFC 5227) claims nothing yet
        switch (arp.learn(vlan, req.spa, req.sha, port)) {
        case ArpLearn::learned: c.arp_learned.inc(); break;
        case ArpLearn::moved: c.arp_moves.inc(); break;
        default: break;
        }
    }
    if (req.op != RTE_ARP_OP_REQUEST || req.spa == 0 || req.spa == req.tpa) return ArpVerdict::forward;
    const auto owner = arp.lookup(vlan, req.tpa);
    if (!owner || owner->mac == req.sha) return ArpVerdict::forward;
    write_arp_reply(rte_pktmbuf_mtod(m, uint8_t *), l3_off, req, owner->mac);
    c.arp_proxy_replies.inc();
    return ArpVerdict::reply;
}

}  // namespace dsw
