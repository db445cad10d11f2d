#include "dpdk_switch/dataplane/vxlan_encap.h"

#include <cstring>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dpdk_switch/dataplane/vlan_edit.h"
#include "dpdk_switch/tables/mac_key.h"

namespace dsw {

namespace {

constexpr uint16_t kMacsLen = 2 * RTE_ETHER_ADDR_LEN;

// Whether the caller alone may write m's first segment (and so its headroom).
bool writable(const rte_mbuf *m) noexcept {
    return rte_mbuf_refcnt_read(m) == 1 && RTE_MBUF_DIRECT(m);
}

// Indirect references to m's data from byte `off` on, segment by segment (a flood's variant may
// end its first segment before `off`). Null if the pool ran dry; *none when nothing follows.
rte_mbuf *reference_from(rte_mbuf *m, uint32_t off, bool &none) noexcept {
    rte_mbuf *head = nullptr, *last = nullptr;
    uint16_t segs = 0;
    uint32_t len = 0;
    for (rte_mbuf *s = m; s != nullptr; s = s->next) {
        if (off >= s->data_len) {
            off -= s->data_len;
            continue;
        }
        rte_mbuf *c = rte_pktmbuf_alloc(m->pool);
        if (c == nullptr) {
            rte_pktmbuf_free(head);
            return nullptr;
        }
        rte_pktmbuf_attach(c, s);
        c->data_off = static_cast<uint16_t>(c->data_off + off);
        c->data_len = static_cast<uint16_t>(c->data_len - off);
        off = 0;
        len += c->data_len;
        ++segs;
        if (head == nullptr) head = c;
        else last->next = c;
        last = c;
    }
    none = head == nullptr;
    if (head != nullptr) {
        head->nb_segs = segs;
        head->pkt_len = len;
    }
    return head;
}

}  // namespace

uint16_t vxlan_source_port(const rte_mbuf *m, uint32_t et_off) noexcept {
    uint8_t macs_buf[kMacsLen];
    const uint8_t *mp = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, kMacsLen, macs_buf));
    uint64_t macs = 0, addrs = 0;
    uint32_t src_tail = 0, l4 = 0;
    if (mp != nullptr) {
        std::memcpy(&macs, mp, 8);
        std::memcpy(&src_tail, mp + 8, 4);
    }
    uint8_t buf[2 + sizeof(rte_ipv4_hdr) + 4];
    const uint8_t *l3 = static_cast<const uint8_t *>(rte_pktmbuf_read(m, et_off, sizeof buf, buf));
    const bool ip = l3 != nullptr && l3[0] == 0x08 && l3[1] == 0x00 && l3[2] == 0x45;
    if (ip) {
        const uint8_t *iph = l3 + 2;
        std::memcpy(&addrs, iph + 12, 8);   // source and destination addresses
        if (vxlan_has_ports(iph)) std::memcpy(&l4, iph + sizeof(rte_ipv4_hdr), 4);
    }
    return vxlan_flow_port(macs, src_tail, ip, addrs, l4);
}

void vxlan_outer_init(VxlanOuter &o, const VxlanTarget &to, const VxlanView &vx) noexcept {
    uint8_t *hdr = o.hdr;
    mac_to_bytes(to.dst_mac, hdr);
    mac_to_bytes(vx.local_mac, hdr + RTE_ETHER_ADDR_LEN);
    const uint16_t et = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    std::memcpy(hdr + 12, &et, 2);
    rte_ipv4_hdr ip{};   // total length and checksum 0: vxlan_outer_write's
    ip.version_ihl = 0x45;
    ip.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG);
    ip.time_to_live = 64;
    ip.next_proto_id = IPPROTO_UDP;
    ip.src_addr = vx.local_ip_be;
    ip.dst_addr = to.dst_ip_be;
    o.ip_sum = rte_raw_cksum(&ip, sizeof ip);
    std::memcpy(hdr + RTE_ETHER_HDR_LEN, &ip, sizeof ip);
    rte_udp_hdr udp{};
    udp.dst_port = vx.udp_port_be;
    std::memcpy(hdr + RTE_ETHER_HDR_LEN + sizeof ip, &udp, sizeof udp);
    uint8_t *v = hdr + RTE_ETHER_HDR_LEN + sizeof ip + sizeof udp;
    const uint32_t w0 = rte_cpu_to_be_32(uint32_t{kVxlanFlagI} << 24), w1 = rte_cpu_to_be_32(to.vni << 8);
    std::memcpy(v, &w0, 4);
    std::memcpy(v + 4, &w1, 4);
}

rte_mbuf *vxlan_encap(rte_mbuf *m, bool tagged, const VxlanOuter &outer, const VxlanView &vx, DropReason &drop) noexcept {
    const uint32_t tag_len = tagged ? sizeof(rte_vlan_hdr) : 0;
    if (m->pkt_len < RTE_ETHER_HDR_LEN + tag_len) [[unlikely]] {
        drop = DropReason::runt;
        return nullptr;
    }
    const uint32_t inner_len = m->pkt_len - tag_len;
    if (inner_len + kVxlanOuterLen - RTE_ETHER_HDR_LEN > vx.max_ip_len) [[unlikely]] {
        drop = DropReason::vxlan_mtu;
        return nullptr;
    }
    const uint16_t sport = vxlan_source_port(m, kMacsLen + tag_len);
    if (writable(m) && m->data_len >= RTE_ETHER_HDR_LEN + tag_len &&
        rte_pktmbuf_headroom(m) >= kVxlanOuterLen - tag_len) [[likely]] {
        if (tagged) vlan_untag_in_place(m);
        uint8_t *hdr = reinterpret_cast<uint8_t *>(rte_pktmbuf_prepend(m, kVxlanOuterLen));
        vxlan_outer_write(hdr, outer, inner_len, sport);
        m->ol_flags = 0;
        return m;
    }
    // Shared (or without headroom): a header segment with the outer headers and the inner MACs
    // and ethertype, chained to a reference of the rest; m's own reference is then released.
    rte_mbuf *h = rte_pktmbuf_alloc(m->pool);
    if (h == nullptr) [[unlikely]] {
        drop = DropReason::no_mbufs;
        return nullptr;
    }
    uint8_t l2[RTE_ETHER_HDR_LEN + sizeof(rte_vlan_hdr)];
    const uint8_t *src = static_cast<const uint8_t *>(rte_pktmbuf_read(m, 0, RTE_ETHER_HDR_LEN + tag_len, l2));
    bool none = false;
    rte_mbuf *rest = reference_from(m, RTE_ETHER_HDR_LEN + tag_len, none);
    if (rest == nullptr && !none) [[unlikely]] {
        rte_pktmbuf_free(h);
        drop = DropReason::no_mbufs;
        return nullptr;
    }
    uint8_t *hdr = reinterpret_cast<uint8_t *>(rte_pktmbuf_append(h, kVxlanOuterLen + RTE_ETHER_HDR_LEN));
    if (hdr == nullptr) [[unlikely]] {   // a pool whose data room cannot hold the headers
        rte_pktmbuf_free(h);
        rte_pktmbuf_free(rest);
        drop = DropReason::no_mbufs;
        return nullptr;
    }
    vxlan_outer_write(hdr, outer, inner_len, sport);
    std::memcpy(hdr + kVxlanOuterLen, src, kMacsLen);
    std::memcpy(hdr + kVxlanOuterLen + kMacsLen, src + kMacsLen + tag_len, 2);
    if (rest != nullptr) {
        h->next = rest;
        h->nb_segs = static_cast<uint16_t>(1 + rest->nb_segs);
        h->pkt_len += rest->pkt_len;
    }
    rte_pktmbuf_free(m);
    return h;
}

}  // namespace dsw
