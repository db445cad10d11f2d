// libFuzzer target for the data plane's frame handling: parse_l2, the VLAN ingress check, MAC
// learning and lookup, the ARP proxy and the IPv6 ND proxy, exactly as a worker runs them
// (SwitchPath::classify on a burst), against real MacTable/ArpTable instances on a real EAL;
// and the offload path of a frame with a virtio-net header: vnet_to_mbuf (a vnet port's RX),
// virtio_rx_to_tx (a virtio ethdev's RX flags) and prepare_for_tx (the egress fallback).
// Built and run by scripts/fuzz.sh; seeds come from tests/fuzz/make_seeds.py.
//
// Input format (little-endian; make_seeds.py writes the same):
//   header, 8 bytes:
//     [0]    flags: bit0 ingress ports are trunks, bit1 proxies off (ArpTable* null)
//     [1]    burst size - 1 (mod 32)
//     [2..3] VLAN of access ports; first VLAN of the trunk window (& 0xfff)
//     [4..7] trunk window: bit i set = the trunk carries VLAN (first + i) & 0xfff
//   then records until the input ends:
//     frame:   u16 len (bit 15 clear), u8 flags, u8 aux, then len bytes (fewer if the input ends)
//                flags bits0-2: extra headroom (data_off = default + n, so reads go unaligned)
//                flags bit3:    two segments, the first holding min(aux, len) bytes
//                flags bit4:    extra zero segments that push pkt_len past kMaxFrameLen
//                flags bits5-7: ingress port, read from the first frame of each burst
//     control: u16 op | 0x8000, u8 arg, u8 aux; runs after the pending burst is classified
//                op 0: flush both tables            op 1: flush dynamic MACs of port arg % 8
//                op 2: static MAC (6 bytes follow)  op 3: static ARP (4-byte IP, 6-byte MAC follow)
//                op 4: drop ARP/ND bindings whose MAC has left the MAC table   op 5: remove MAC (6 bytes)
//                op 6: the next frame takes the offload path, not classify: a virtio_net_hdr
//                      (10 bytes, little-endian) follows; arg bits0-2: the egress port's
//                      OffloadCaps, bit3: give the header to virtio_rx_to_tx as a PMD's RX
//                      flags (hdr flags bit0 RX_LRO, bit1 RX_L4_CKSUM_NONE, bit2 _GOOD;
//                      gso_size as tso_segsz) instead of vnet_to_mbuf; aux: the port's MTU,
//                      68 + 36 * aux
//                op 7: the next frame comes from a vtap: a UDP-tunnel virtio-net header (24 bytes,
//                      VnetTunnelHdr, little-endian) follows, for vnet_tunnel_to_mbuf; arg bits0-2
//                      as op 6, bit3: the frame is switched as it is instead of decapsulated by
//                      the fuzzer's VTEP (tunnel_fuzz.h: 192.168.0.1, UDP 4789, VNI 100 = VLAN
//                      10, VNI 200 = VLAN 20, remote VTEPs 192.168.0.2 on the link and 10.9.0.2,
//                      10.9.0.3 behind the gateway 192.168.0.254); aux: the MTU, as op 6
//   Frames are classified in bursts of the header's size; every input starts from empty tables,
//   so a crash reproduces from its input alone.
//
// Checks, besides what ASan and UBSan catch:
//   - every decision is a port (< 8, never the ingress port), flood, reply, or a drop with a
//     known reason; forwarded frames belong to a VLAN the ingress port carries;
//   - a frame shorter than an Ethernet header, with a multicast source, or tagged on an access
//     port / untagged on a trunk is dropped;
//   - a reply is a well-formed ARP reply (same length) or ICMPv6 Neighbor Advertisement (valid
//     checksum) answering exactly the request it replaced; every other frame is left untouched;
//   - the pool is full again after every input (no leaked mbufs).
//   - offload path: a refused header leaves the mbuf as it was and names an offload_* reason;
//     an accepted one never changes the frame's bytes and leaves lengths that fit the first
//     segment (l2 + l3 + l4 <= data_len), one IP version, a non-zero segment size for a GSO
//     frame; prepare_for_tx either drops with an offload_* reason or hands back well-formed
//     chains, each frame it split fitting the MTU, and every mbuf of its pools comes back.
//   - tunnel path: as the offload path; an accepted tunnel GSO header is the tunnel form at the
//     inner L4 header; a decapsulated frame is exactly the inner frame up to the outer IPv4
//     length (plus the VNI's tag on a tagged one), its requests against its own headers; an ARP
//     on the underlay from a unicast sender resolves exactly the VTEPs whose next hop sent it,
//     to the sender's MAC, and a request for the VTEP's address becomes its reply in place.
// Mbuf memory comes from an EAL memzone that ASan knows nothing about, so the harness poisons
// each buffer outside the bytes a segment holds: a read past data_len (or a header read from a
// second segment) is reported as a heap-buffer-overflow-like "use-after-poison".
#include <sanitizer/asan_interface.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include <rte_arp.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>

#include "dpdk_switch/dataplane/arp_proxy.h"
#include "dpdk_switch/dataplane/offload.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dataplane/switch_path.h"
#include "dpdk_switch/dataplane/vnet_hdr.h"
#include "dpdk_switch/dpdk/eal.h"
#include "fuzz_mbufs.h"
#include "tunnel_fuzz.h"
#include "vnet_fuzz.h"

namespace {

using namespace dsw;
using namespace dsw::fuzz;

constexpr unsigned kPorts = 8;                // ingress ports the input can pick
constexpr unsigned kPoolSize = 255;           // >= 3 segments * kMaxBurst
constexpr uint16_t kHeaderLen = 8;

World *g_world = nullptr;
// Never torn down (libFuzzer exits from many places), but held here so that LeakSanitizer's check
// at exit sees it reachable, like g_world.
Eal *g_eal = nullptr;
bool g_trace = false;   // FUZZ_TRACE=1: print each decision (to check what a seed reaches)

uint64_t mac_at(const uint8_t *p) { return mac_from_bytes(p); }

// `m` holds the ARP reply the proxy wrote over the request `f`, in place.
void check_arp_reply(const rte_mbuf *m, const Frame &f, uint16_t l3) {
    const uint8_t *o = f.bytes;
    const uint8_t *r = rte_pktmbuf_mtod(m, const uint8_t *);
    const uint16_t first_len = first_len_of(f);
    FUZZ_CHECK(m->data_len == first_len && first_len >= l3 + kArpBodyLen);   // in place, in the first segment
    FUZZ_CHECK(tail_equals(m, f));
    const uint8_t *oa = o + l3, *ra = r + l3;
    // It answered a request that is neither a probe nor gratuitous.
    FUZZ_CHECK(be16(oa + 6) == RTE_ARP_OP_REQUEST);
    FUZZ_CHECK(std::memcmp(oa + 14, "\0\0\0\0", 4) != 0);
    FUZZ_CHECK(std::memcmp(oa + 14, oa + 24, 4) != 0);
    // Headers the proxy must not touch.
    FUZZ_CHECK(std::memcmp(r + 12, o + 12, l3 - 12) == 0);
    FUZZ_CHECK(std::memcmp(ra, oa, 6) == 0);   // htype, ptype, hlen, plen
    FUZZ_CHECK(be16(ra) == RTE_ARP_HRD_ETHER && be16(ra + 2) == RTE_ETHER_TYPE_IPV4 && ra[4] == 6 && ra[5] == 4);
    FUZZ_CHECK(be16(ra + 6) == RTE_ARP_OP_REPLY);
    // Sender = (owner MAC, asked IP), target = the requester; Ethernet from owner to requester.
    FUZZ_CHECK(std::memcmp(ra + 14, oa + 24, 4) == 0);
    FUZZ_CHECK(std::memcmp(ra + 18, oa + 8, 6) == 0);
    FUZZ_CHECK(std::memcmp(ra + 24, oa + 14, 4) == 0);
    FUZZ_CHECK(std::memcmp(r, oa + 8, 6) == 0);
    FUZZ_CHECK(std::memcmp(r + 6, ra + 8, 6) == 0);
    FUZZ_CHECK(mac_at(ra + 8) != mac_at(oa + 8));   // never answers the owner about itself
    // The reply's Ethernet source must be one the switch itself would accept (parse_l2 drops a
    // group or zero source): a binding must never have been learned from such a sender MAC.
    FUZZ_CHECK(!mac_is_multicast(mac_at(ra + 8)) && mac_at(ra + 8) != 0);
    // The rest of the frame (padding) is unchanged.
    FUZZ_CHECK(std::memcmp(ra + kArpBodyLen, oa + kArpBodyLen, first_len - l3 - kArpBodyLen) == 0);
}

// `m` holds the Neighbor Advertisement the proxy made of the solicitation `f`.
void check_na_reply(const rte_mbuf *m, const Frame &f, uint16_t l3) {
    static constexpr uint8_t kUnspecified[16] = {};
    const uint8_t *o = f.bytes;
    const uint8_t *r = rte_pktmbuf_mtod(m, const uint8_t *);
    FUZZ_CHECK(m->nb_segs == 1);
    FUZZ_CHECK(m->data_len == l3 + kNaFrameTail && m->pkt_len == m->data_len);
    const uint8_t *oip = o + l3, *rip = r + l3;
    const uint8_t *ona = oip + 40, *rna = rip + 40;
    FUZZ_CHECK(ona[0] == 135 && ona[1] == 0);                              // it answered an NS
    FUZZ_CHECK(std::memcmp(oip + 8, kUnspecified, 16) != 0);          // not DAD
    FUZZ_CHECK(std::memcmp(r + 12, o + 12, l3 - 12) == 0);               // ethertype (and tag) kept
    FUZZ_CHECK(std::memcmp(r, o + 6, 6) == 0);                           // back to the requester
    FUZZ_CHECK((rip[0] >> 4) == 6 && be16(rip + 4) == 32 && rip[6] == 58 && rip[7] == 255);
    FUZZ_CHECK(std::memcmp(rip + 8, ona + 8, 16) == 0);                  // from the target
    FUZZ_CHECK(std::memcmp(rip + 24, oip + 8, 16) == 0);                 // to the solicitor
    FUZZ_CHECK(rna[0] == 136 && rna[1] == 0 && rna[4] == 0x60);
    FUZZ_CHECK(std::memcmp(rna + 8, ona + 8, 16) == 0);
    FUZZ_CHECK(rna[24] == 2 && rna[25] == 1);
    FUZZ_CHECK(std::memcmp(rna + 26, r + 6, 6) == 0);                    // option = Ethernet source
    FUZZ_CHECK(mac_at(r + 6) != mac_at(o + 6));
    FUZZ_CHECK(!mac_is_multicast(mac_at(r + 6)) && mac_at(r + 6) != 0);   // a source the switch would accept
    FUZZ_CHECK(rte_ipv6_udptcp_cksum_verify(reinterpret_cast<const rte_ipv6_hdr *>(rip), rna) == 0);
}

struct Config {
    bool trunk, proxy;
    unsigned burst;
    PortSlot slot;
};

void check_decision(const Config &cfg, uint16_t in_port, const Frame &f, const rte_mbuf *m, const BurstDecision &d,
                    unsigned i) {
    const uint16_t out = d.out[i];
    const uint16_t first_len = first_len_of(f);
    const bool dropped = (out & 0xc000) == kOutDrop;
    if (dropped) {
        FUZZ_CHECK((out & ~kOutDrop) < kDropReasons);
    } else {
        FUZZ_CHECK(out < kPorts || out == kOutFlood || out == kOutReply);
        FUZZ_CHECK(out != in_port);
        FUZZ_CHECK(d.vlan[i] < kVlans && cfg.slot.carries(d.vlan[i]));
        // The burst's tagging is the port's: only a frame tagged as the port expects gets here.
        FUZZ_CHECK(d.tagged == cfg.trunk);
        FUZZ_CHECK(first_len >= RTE_ETHER_HDR_LEN && is_tag(be16(f.bytes + 12)) == cfg.trunk);
    }
    // What must be dropped whatever else the frame holds.
    if (first_len < RTE_ETHER_HDR_LEN) {
        FUZZ_CHECK(out == out_drop(DropReason::runt));
    } else {
        const bool tagged = is_tag(be16(f.bytes + 12));
        if (mac_is_multicast(mac_at(f.bytes + 6)) || mac_at(f.bytes + 6) == 0 || tagged != cfg.trunk ||
            m->pkt_len > kMaxFrameLen)
            FUZZ_CHECK(dropped);
    }
    if (out == kOutReply) {
        FUZZ_CHECK(cfg.proxy);
        const uint16_t l3 = cfg.trunk ? 18 : 14;
        const uint16_t et = be16(f.bytes + l3 - 2);
        if (et == RTE_ETHER_TYPE_ARP)
            check_arp_reply(m, f, l3);
        else if (et == RTE_ETHER_TYPE_IPV6)
            check_na_reply(m, f, l3);
        else
            FUZZ_CHECK(!"reply to a frame that is neither ARP nor IPv6");
    } else {
        FUZZ_CHECK(frame_equals(m, f));
    }
}

// A priority-tagged frame (802.1Q tag with VID 0) admitted on a port of untagged frames loses
// its tag in place (802.1Q puts it in the port's own VLAN): the checks then compare with the
// frame as classify left it, the input without its 4 tag bytes. Any other frame is unchanged.
Frame as_classified(const Frame &f, const rte_mbuf *m, std::vector<uint8_t> &untagged) {
    const uint16_t first_len = first_len_of(f);
    const bool priority_tagged = first_len >= RTE_ETHER_HDR_LEN + 4 && is_tag(be16(f.bytes + 12)) &&
                                 (be16(f.bytes + 14) & 0x0fff) == 0;
    if (!priority_tagged || m->data_len + 4 != first_len) return f;
    untagged.assign(f.bytes, f.bytes + 12);
    untagged.insert(untagged.end(), f.bytes + 16, f.bytes + f.len);
    Frame g = f;
    g.bytes = untagged.data();
    g.len = static_cast<uint16_t>(f.len - 4);
    if (f.flags & 8) g.aux = static_cast<uint8_t>(f.aux - 4);
    return g;
}

constexpr unsigned kVnetOp = 6, kTunnelOp = 7, kControlOps = 8;

class Runner {
public:
    Runner(World &w, const Config &cfg) : w_(w), cfg_(cfg), path_(*w.macs, cfg.proxy ? w.arp.get() : nullptr) {}

    // The next frame takes the offload path (control op 6).
    void arm_vnet(const VnetRecord &r) {
        vnet_ = r;
        vnet_armed_ = true;
    }

    // The next frame comes from a vtap (control op 7).
    void arm_tunnel(const TunnelRecord &r) {
        tunnel_ = r;
        tunnel_armed_ = true;
    }

    void add(const Frame &f) {
        if (tunnel_armed_) {
            tunnel_armed_ = false;
            run_tunnel(w_, tunnel_, f, g_trace);
            return;
        }
        if (vnet_armed_) {
            vnet_armed_ = false;
            run_vnet(w_, vnet_, f, g_trace);
            return;
        }
        if (n_ == 0) port_ = static_cast<uint16_t>(f.flags >> 5);
        rte_mbuf *m = make_mbuf(w_.pool, f);
        if (m == nullptr) return;
        frames_[n_] = f;
        pkts_[n_++] = m;
        if (n_ == cfg_.burst) run();
    }

    void run() {
        if (n_ == 0) return;
        BurstDecision d;
        std::memset(&d, 0xa5, sizeof d);   // a decision the path forgot to write fails the checks
        path_.classify(pkts_, n_, Ingress{port_, &cfg_.slot}, ++now_s_, d, *w_.counters);
        for (unsigned i = 0; i < n_; ++i) {
            if (g_trace) trace(i, d);
            std::vector<uint8_t> untagged;
            check_decision(cfg_, port_, as_classified(frames_[i], pkts_[i], untagged), pkts_[i], d, i);
            free_chain(pkts_[i]);
        }
        n_ = 0;
    }

private:
    void trace(unsigned i, const BurstDecision &d) const {
        const uint16_t out = d.out[i];
        std::fprintf(stderr, "frame_fuzzer: port %u len %u segs %u -> ", port_, frames_[i].len, pkts_[i]->nb_segs);
        if ((out & 0xc000) == kOutDrop)
            std::fprintf(stderr, "drop %s\n", drop_reason_name(static_cast<DropReason>(out & 0xff)));
        else if (out == kOutFlood)
            std::fprintf(stderr, "flood vlan %u\n", d.vlan[i]);
        else if (out == kOutReply)
            std::fprintf(stderr, "reply vlan %u\n", d.vlan[i]);
        else
            std::fprintf(stderr, "port %u vlan %u\n", out, d.vlan[i]);
    }

    World &w_;
    const Config &cfg_;
    SwitchPath path_;
    rte_mbuf *pkts_[kMaxBurst];
    Frame frames_[kMaxBurst];
    unsigned n_ = 0;
    uint16_t port_ = 0;
    uint32_t now_s_ = 0;
    VnetRecord vnet_{};
    bool vnet_armed_ = false;
    TunnelRecord tunnel_{};
    bool tunnel_armed_ = false;
};

void flush_all(World &w) {
    w.macs->flush(-1, true);
    w.arp->remove_if([](const ArpRecord &, const void *) { return true; }, nullptr);
}

void control(World &w, const Config &cfg, uint16_t op, uint8_t arg, const uint8_t *p, size_t left, size_t &used) {
    used = 0;
    switch (op % kControlOps) {
    case 0: flush_all(w); break;
    case 1: w.macs->flush(arg % kPorts, false); break;
    case 2:
        if (left < 6) return;
        used = 6;
        (void)w.macs->add_static(make_mac_key(mac_from_bytes(p), cfg.slot.access_vlan), arg % kPorts);
        break;
    case 3: {
        if (left < 10) return;
        used = 10;
        uint32_t ip;
        std::memcpy(&ip, p, 4);
        (void)w.arp->add_static(cfg.slot.access_vlan, rte_be_to_cpu_32(ip), mac_from_bytes(p + 4));
        break;
    }
    case 4: {
        // What the control plane does when MACs age out: bindings follow their MAC.
        w.arp->remove_if(
            [](const ArpRecord &r, const void *ctx) {
                const auto &macs = *static_cast<const MacTable *>(ctx);
                return !r.binding.is_static && !macs.find_record(make_mac_key(r.binding.mac, r.vlan));
            },
            w.macs.get());
        break;
    }
    case 5:
        if (left < 6) return;
        used = 6;
        w.macs->remove(make_mac_key(mac_from_bytes(p), cfg.slot.access_vlan));
        break;
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    // libFuzzer's own argv is not EAL's: give EAL a fixed command line.
    const std::string prefix = "dswfuzz" + std::to_string(getpid());
    auto eal = Eal::init({"dsw_fuzz", "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-telemetry",
                          "--file-prefix", prefix, "--log-level", "*:error"});
    if (!eal) die(eal.error().message.c_str());
    g_eal = new Eal(std::move(eal.value()));
    auto *w = new World;
    const size_t sz = rte_rcu_qsbr_get_memsize(RTE_MAX_LCORE);
    w->rcu = static_cast<rte_rcu_qsbr *>(rte_zmalloc("fuzz_rcu", sz, RTE_CACHE_LINE_SIZE));
    if (w->rcu == nullptr || rte_rcu_qsbr_init(w->rcu, RTE_MAX_LCORE) != 0) die("rcu");
    // No reader registers with the QSBR variable, so every synchronize returns at once. Small
    // tables, so that one input can fill them (learn_table_full, probe windows, reused slots).
    auto macs = MacTable::create("fuzz_macs", 32, SOCKET_ID_ANY, w->rcu);
    if (!macs) die(macs.error().message.c_str());
    w->macs = std::move(macs.value());
    auto arp = ArpTable::create("fuzz_arp", 16, SOCKET_ID_ANY, w->rcu);
    if (!arp) die(arp.error().message.c_str());
    w->arp = std::move(arp.value());
    w->pool = rte_pktmbuf_pool_create("fuzz_pool", kPoolSize, 0, 0, kDataRoom + RTE_PKTMBUF_HEADROOM, SOCKET_ID_ANY);
    if (w->pool == nullptr) die("mempool");
    w->gso_direct = rte_pktmbuf_pool_create("fuzz_gso_hdr", 255, 0, 0, RTE_PKTMBUF_HEADROOM + 256, SOCKET_ID_ANY);
    w->gso_indirect = rte_pktmbuf_pool_create("fuzz_gso_ind", 511, 0, 0, 0, SOCKET_ID_ANY);
    if (w->gso_direct == nullptr || w->gso_indirect == nullptr) die("gso mempools");
    w->counters = static_cast<LcoreCounters *>(rte_zmalloc("fuzz_counters", sizeof(LcoreCounters), RTE_CACHE_LINE_SIZE));
    if (w->counters == nullptr) die("counters");
    g_world = w;
    const char *trace = std::getenv("FUZZ_TRACE");
    g_trace = trace != nullptr && *trace == '1';
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < kHeaderLen) return -1;   // not worth keeping in the corpus
    World &w = *g_world;
    flush_all(w);
    reset_tunnel();
    Config cfg{};
    cfg.trunk = data[0] & 1;
    cfg.proxy = !(data[0] & 2);
    cfg.burst = 1 + data[1] % kMaxBurst;
    const uint16_t vlan = le16(data + 2) & 0xfff;
    uint32_t window;
    std::memcpy(&window, data + 4, 4);
    cfg.slot.present = true;
    cfg.slot.trunk = cfg.trunk;
    cfg.slot.access_vlan = vlan;
    if (cfg.trunk) {
        for (unsigned i = 0; i < 32; ++i)
            if ((window >> i) & 1) {
                const unsigned v = (vlan + i) & 0xfff;
                cfg.slot.allowed[v >> 6] |= uint64_t{1} << (v & 63);
            }
    } else {
        cfg.slot.allowed[vlan >> 6] |= uint64_t{1} << (vlan & 63);   // as Switch builds an access port's slot
    }

    {
        Runner runner(w, cfg);
        size_t off = kHeaderLen;
        while (size - off >= 4) {
            const uint16_t len = le16(data + off);
            const uint8_t flags = data[off + 2], aux = data[off + 3];
            off += 4;
            if ((len & 0x8000) && (len & 0x7fff) % kControlOps == kVnetOp) {
                runner.run();
                if (size - off < sizeof(virtio_net_hdr)) break;
                VnetRecord r{};
                std::memcpy(&r.h, data + off, sizeof r.h);
                r.arg = flags;
                r.aux = aux;
                off += sizeof r.h;
                runner.arm_vnet(r);
                continue;
            }
            if ((len & 0x8000) && (len & 0x7fff) % kControlOps == kTunnelOp) {
                runner.run();
                if (size - off < sizeof(VnetTunnelHdr)) break;
                TunnelRecord r{};
                std::memcpy(&r.h, data + off, sizeof r.h);
                r.arg = flags;
                r.aux = aux;
                off += sizeof r.h;
                runner.arm_tunnel(r);
                continue;
            }
            if (len & 0x8000) {
                runner.run();
                size_t used;
                control(w, cfg, len & 0x7fff, flags, data + off, size - off, used);
                off += used;
                continue;
            }
            const uint16_t n = static_cast<uint16_t>(std::min<size_t>(len, size - off));
            runner.add(Frame{data + off, n, flags, aux});
            off += n;
        }
        runner.run();
    }
    FUZZ_CHECK(rte_mempool_avail_count(w.pool) == w.pool->size);
    FUZZ_CHECK(rte_mempool_avail_count(w.gso_direct) == w.gso_direct->size);
    FUZZ_CHECK(rte_mempool_avail_count(w.gso_indirect) == w.gso_indirect->size);
    if (g_trace) {
        const SwitchCounters &c = w.counters->sw;
        std::fprintf(stderr,
                     "frame_fuzzer: totals: learned %lu moves %lu table_full %lu static_conflicts %lu arp_learned %lu "
                     "arp_moves %lu arp_replies %lu nd_learned %lu nd_replies %lu; %u MACs, %u bindings\n",
                     c.learned.get(), c.moves.get(), c.learn_table_full.get(), c.static_conflicts.get(),
                     c.arp_learned.get(), c.arp_moves.get(), c.arp_proxy_replies.get(), c.nd_learned.get(),
                     c.nd_proxy_replies.get(), w.macs->size(), w.arp->size());
    }
    return 0;
}
