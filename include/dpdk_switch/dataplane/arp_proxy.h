// ARP proxy (what VPP calls ARP termination): bindings are learned from every ARP sender, and a
// request for an address with a known binding is answered by the switch on the ingress port
// instead of being flooded. Only ARP frames come here; IPv4 traffic never does.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "dpdk_switch/dataplane/counters.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/tables/arp_table.h"

namespace dsw {

inline constexpr uint16_t kArpBodyLen = 28;   // Ethernet/IPv4 ARP

struct ArpFields {
    uint16_t op;         // 1 request, 2 reply
    uint64_t sha, tha;   // 48-bit MACs, wire order
    uint32_t spa, tpa;   // host order
};

// Parses the ARP body at l3_off of a frame of `len` bytes (the first segment). Returns kNoDrop,
// or arp_truncated / arp_malformed.
uint8_t parse_arp(const uint8_t *frame, uint16_t len, uint16_t l3_off, ArpFields &out) noexcept;

// Rewrites a request into the reply the owner would send: Ethernet destination = requester,
// source = owner, op = reply, sender = (owner MAC, target IP), target = (requester MAC, IP).
// The frame keeps its length and its VLAN tag, since it leaves by the port it came in on.
void write_arp_reply(uint8_t *frame, uint16_t l3_off, const ArpFields &req, uint64_t owner_mac) noexcept;

enum class ArpVerdict : uint8_t { forward, reply };

// Learns the sender's binding and decides whether the switch answers. Never answers a probe
// (sender IP 0.0.0.0), a gratuitous ARP (sender IP = target IP), or the owner asking about its
// own address. On `reply` the mbuf already holds the reply.
ArpVerdict arp_proxy(ArpTable &arp, rte_mbuf *m, const ArpFields &req, uint16_t l3_off, uint16_t vlan, uint16_t port,
                     SwitchCounters &c) noexcept;

}  // namespace dsw
