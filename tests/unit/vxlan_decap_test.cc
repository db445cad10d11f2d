// vxlan_decap_burst against vxlan_decap: every packet of a burst, the common ones its masked
// words take and every other it leaves to vxlan_decap, gets the verdict, VTEP, VLAN and bytes
// that vxlan_decap gives it alone; the untagged inner frames are handed on in arrival order, with
// the keys classify would make of them and their VTEPs' counts.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <map>
#include <utility>
#include <vector>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/dataplane/parse.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/tables/mac_key.h"
#include "frames.h"
#include "offload_frames.h"
#include "vxlan_overlay.h"

namespace dsw {
namespace {

using test::Bytes;

constexpr uint16_t kVtepPort = 3, kOtherVtepPort = 4;
constexpr const char *kOtherVtep = "192.168.9.3";

uint32_t ip_be(const char *s) {
    in_addr a{};
    inet_pton(AF_INET, s, &a);
    return a.s_addr;
}

class VxlanDecapBurstTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto p = make_pktmbuf_pool("vxdecap_test", 255, SOCKET_ID_ANY);
        ASSERT_TRUE(p.ok()) << p.error().message;
        pool_ = std::move(p.value());
        auto t = MacTable::create("vxdecap_macs", 1024, SOCKET_ID_ANY, nullptr);
        ASSERT_TRUE(t.ok()) << t.error().message;
        macs_ = std::move(t.value());
        vx_ = std::make_unique<VxlanView>();
        vx_->enabled = true;
        vx_->local_ip_be = ip_be(test::kLocal);
        vx_->udp_port_be = rte_cpu_to_be_16(4789);
        ASSERT_TRUE(vx_->map(10, test::kVni));
        ASSERT_TRUE(vx_->map(20, 2020));
        vx_->add_vtep(kVtepPort, ip_be(test::kVtepB));
        vx_->add_vtep(kOtherVtepPort, ip_be(kOtherVtep));
    }
    void TearDown() override { EXPECT_TRUE(test::pool_full(pool_.get())) << "leaked mbufs"; }

    rte_mbuf *mbuf(const Bytes &b) {
        rte_mbuf *m = rte_pktmbuf_alloc(pool_.get());
        std::memcpy(rte_pktmbuf_append(m, static_cast<uint16_t>(b.size())), b.data(), b.size());
        return m;
    }

    // What vxlan_decap_burst found of the frames `want` says (vxlan_decap's verdicts alone):
    // each in its list, in order, and each VTEP's untagged inner frames counted.
    void expect_sorted(const std::vector<rte_mbuf *> &burst, const std::vector<DecapResult> &want, const DecapBurst &got);

    MempoolPtr pool_;
    std::unique_ptr<MacTable> macs_;
    std::unique_ptr<VxlanView> vx_;
};

Bytes inner(uint8_t host, size_t len = 60) { return test::eth_frame(test::mac(2, 0, 0, 0, 1, host), test::mac(2, 0, 0, 0, 2, host), 0x0800, len); }

TEST_F(VxlanDecapBurstTest, EveryPacketAsVxlanDecapAloneDecidesIt) {
    std::vector<Bytes> frames;
    frames.push_back(test::vxlan_around(inner(1)));                            // the common packet
    Bytes other_vtep = test::vxlan_around(inner(2));
    test::put_ip(other_vtep, 26, kOtherVtep);
    frames.push_back(other_vtep);
    Bytes other_vni = test::vxlan_around(inner(3));
    other_vni[46] = 0, other_vni[47] = 0x07, other_vni[48] = 0xe4;             // 2020
    frames.push_back(other_vni);
    Bytes vni0 = test::vxlan_around(inner(4));
    vni0[46] = vni0[47] = vni0[48] = 0;
    frames.push_back(vni0);
    frames.push_back(test::vxlan_around(inner(5)));                            // back to the first VNI
    Bytes unknown_vni = test::vxlan_around(inner(6));
    unknown_vni[48] = 0x99;
    frames.push_back(unknown_vni);
    Bytes unknown_vtep = test::vxlan_around(inner(7));
    test::put_ip(unknown_vtep, 26, "192.168.9.77");
    frames.push_back(unknown_vtep);
    frames.push_back(test::vxlan_around(inner(8), "192.168.9.99"));           // not to us
    Bytes port = test::vxlan_around(inner(9));
    port[37] ^= 1;
    frames.push_back(port);
    Bytes flags = test::vxlan_around(inner(10));
    flags[42] = 0;
    frames.push_back(flags);
    Bytes fragment = test::vxlan_around(inner(11));
    fragment[20] = 0x20;                                                       // MF
    frames.push_back(fragment);
    frames.push_back(test::vxlan_around(test::tagged(inner(12), 10)));        // an inner tag
    Bytes padded = test::vxlan_around(inner(13));
    padded.resize(padded.size() + 8, 0xee);                                   // Ethernet padding: trimmed
    frames.push_back(padded);
    Bytes long_ip = test::vxlan_around(inner(14));
    test::put16(long_ip, 16, static_cast<uint16_t>(long_ip.size()));          // past the frame's end
    frames.push_back(long_ip);
    Bytes long_udp = test::vxlan_around(inner(15));
    test::put16(long_udp, 38, 200);
    frames.push_back(long_udp);
    Bytes short_frame = test::vxlan_around(inner(16));
    short_frame.resize(60);
    frames.push_back(short_frame);
    frames.push_back(test::eth_frame(test::mac(0xff, 0xff, 0xff, 0xff, 0xff, 0xff), test::mac(2, 0xbb, 0, 0, 0, 2), 0x0806, 60));
    Bytes options = test::vxlan_around(inner(17));                            // IHL 6: the checks one by one
    options[14] = 0x46;
    options.insert(options.begin() + 34, {0, 0, 0, 0});
    test::put16(options, 16, static_cast<uint16_t>(options.size() - 14));
    frames.push_back(options);
    frames.push_back(test::vxlan_around(inner(18)));
    ASSERT_LE(frames.size(), kMaxBurst);

    std::vector<rte_mbuf *> burst, alone;
    for (const Bytes &f : frames) {
        burst.push_back(mbuf(f));
        alone.push_back(mbuf(f));
    }
    const uint16_t n = static_cast<uint16_t>(frames.size());
    auto got = std::make_unique<DecapBurst>();
    vxlan_decap_burst(burst.data(), n, *vx_, *macs_, *got);
    uint64_t received = 0;
    for (const Bytes &f : frames) received += f.size();
    EXPECT_EQ(got->rx_bytes, received) << "the bytes as received, for the underlay's counter";
    std::vector<DecapResult> want;
    unsigned decapped = 0;
    for (uint16_t i = 0; i < n; ++i) {
        want.push_back(vxlan_decap(alone[i], *vx_));
        if (want[i].verdict == kDecapped) ++decapped;
        EXPECT_EQ(burst[i]->pkt_len, alone[i]->pkt_len) << "frame " << i;
        EXPECT_EQ(burst[i]->data_off, alone[i]->data_off) << "frame " << i;
        EXPECT_EQ(burst[i]->ol_flags, alone[i]->ol_flags) << "frame " << i;
        EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(burst[i], void *), rte_pktmbuf_mtod(alone[i], void *), burst[i]->data_len))
            << "frame " << i;
    }
    expect_sorted(burst, want, *got);
    EXPECT_NE(got->inner.mixed, 0u) << "two VTEPs, two VLANs";
    EXPECT_GE(decapped, 8u) << "the common packets";
    for (uint16_t i = 0; i < n; ++i) {
        rte_pktmbuf_free(burst[i]);
        rte_pktmbuf_free(alone[i]);
    }
}

void VxlanDecapBurstTest::expect_sorted(const std::vector<rte_mbuf *> &burst, const std::vector<DecapResult> &want,
                                        const DecapBurst &got) {
    uint16_t inner = 0, other = 0;
    uint64_t inner_bytes = 0;
    std::map<uint16_t, std::pair<uint64_t, uint64_t>> by_vtep;   // packets, bytes
    for (size_t i = 0; i < burst.size(); ++i) {
        const DecapResult &w = want[i];
        if (w.verdict == kDecapped && w.vlan != kDecapTagged) {
            ASSERT_LT(inner, got.inner.n) << "frame " << i;
            const DecappedFrames &f = got.inner;
            EXPECT_EQ(f.pkts[inner], burst[i]) << "frame " << i << ": arrival order";
            EXPECT_EQ(f.port[inner], w.vtep_port) << "frame " << i;
            EXPECT_EQ(f.vlan[inner], w.vlan) << "frame " << i;
            // The keys as classify makes them of the frame alone, and their hashes the table's.
            const L2Frame l2 = parse_l2(burst[i]);
            EXPECT_EQ(f.kind[inner] == 0xff, l2.drop != kNoDrop) << "frame " << i;
            if (l2.drop != kNoDrop) {
                EXPECT_EQ(f.drop[inner], l2.drop) << "frame " << i;
            } else {
                EXPECT_EQ(f.skey[inner], make_mac_key(l2.src, static_cast<uint16_t>(w.vlan))) << "frame " << i;
                EXPECT_EQ(f.dkey[inner], make_mac_key(l2.dst, static_cast<uint16_t>(w.vlan))) << "frame " << i;
                EXPECT_TRUE(macs_->add_static(f.skey[inner], 1).ok());
                EXPECT_GE(macs_->lookup_hashed(f.skey[inner], f.shash[inner]), 0) << "frame " << i;
                EXPECT_TRUE(macs_->add_static(f.dkey[inner], 1).ok());
                EXPECT_GE(macs_->lookup_hashed(f.dkey[inner], f.dhash[inner]), 0) << "frame " << i;
            }
            inner_bytes += burst[i]->pkt_len;
            by_vtep[static_cast<uint16_t>(w.vtep_port)].first += 1;
            by_vtep[static_cast<uint16_t>(w.vtep_port)].second += burst[i]->pkt_len;
            ++inner;
            continue;
        }
        ASSERT_LT(other, got.n_other) << "frame " << i;
        const DecapResult &r = got.other_res[other];
        EXPECT_EQ(got.other[other], burst[i]) << "frame " << i << ": arrival order";
        EXPECT_EQ(r.verdict, w.verdict) << "frame " << i;
        if (w.verdict == kDecapped) {
            EXPECT_EQ(r.vtep_port, w.vtep_port) << "frame " << i;
            EXPECT_EQ(r.vlan, w.vlan) << "frame " << i;
        } else if (w.verdict == static_cast<uint32_t>(DropReason::vxlan_unknown_vtep)) {
            EXPECT_EQ(r.src_ip_be, w.src_ip_be) << "frame " << i;
            EXPECT_EQ(r.vni, w.vni) << "frame " << i;
        }
        ++other;
    }
    EXPECT_EQ(got.inner.n, inner);
    EXPECT_EQ(got.n_other, other);
    EXPECT_EQ(got.inner.bytes, inner_bytes);
    std::map<uint16_t, std::pair<uint64_t, uint64_t>> counted;
    for (uint16_t k = 0; k < got.n_vtep_rx; ++k) {
        counted[got.vtep_rx[k].port].first += got.vtep_rx[k].packets;
        counted[got.vtep_rx[k].port].second += got.vtep_rx[k].bytes;
    }
    EXPECT_EQ(counted, by_vtep) << "each VTEP's inner frames and bytes";
}

// Inner frames a switch drops on sight (a group or zero source) keep their place, with their
// reason; VTEPs whose addresses end alike (one way of the burst's VTEP table) take turns in it,
// each counted whole.
TEST_F(VxlanDecapBurstTest, DroppedInnerFramesAndVtepsSharingAWay) {
    constexpr uint16_t kSameWayPort = 5;
    vx_->add_vtep(kSameWayPort, ip_be("192.168.9.10"));   // .2 and .10: the same last three bits
    std::vector<Bytes> frames;
    for (unsigned i = 0; i < 12; ++i) {
        Bytes f = test::vxlan_around(inner(static_cast<uint8_t>(i), 60 + i));
        if (i % 3 == 1) test::put_ip(f, 26, "192.168.9.10");
        if (i % 3 == 2) test::put_ip(f, 26, kOtherVtep);
        frames.push_back(f);
    }
    frames[4][56] |= 1;                                                        // a group source
    std::memset(&frames[7][56], 0, 6);                                        // a zero source
    std::vector<rte_mbuf *> burst;
    std::vector<DecapResult> want;
    for (const Bytes &f : frames) {
        burst.push_back(mbuf(f));
        rte_mbuf *alone = mbuf(f);
        want.push_back(vxlan_decap(alone, *vx_));
        rte_pktmbuf_free(alone);
    }
    auto got = std::make_unique<DecapBurst>();
    vxlan_decap_burst(burst.data(), static_cast<uint16_t>(burst.size()), *vx_, *macs_, *got);
    expect_sorted(burst, want, *got);
    ASSERT_EQ(got->inner.n, 12u);
    EXPECT_EQ(got->inner.kind[4], 0xff);
    EXPECT_EQ(got->inner.drop[4], static_cast<uint8_t>(DropReason::src_mac_multicast));
    EXPECT_EQ(got->inner.kind[7], 0xff);
    EXPECT_EQ(got->inner.drop[7], static_cast<uint8_t>(DropReason::src_mac_zero));
    for (rte_mbuf *m : burst) rte_pktmbuf_free(m);
}

// A chained frame with bytes past the outer packet that span more than its last segment: the
// burst form leaves it to vxlan_decap, which cuts across segments (rte_pktmbuf_trim cannot).
TEST_F(VxlanDecapBurstTest, BytesPastTheOuterPacketAcrossSegmentsAreCutInABurstToo) {
    const Bytes in = inner(1, 100);
    Bytes frame = test::vxlan_around(in);
    frame.resize(frame.size() + 2100, 0xee);
    rte_mbuf *m = test::offloaded(pool_.get(), frame, virtio_net_hdr{});
    ASSERT_EQ(m->nb_segs, 2u);
    auto got = std::make_unique<DecapBurst>();
    vxlan_decap_burst(&m, 1, *vx_, *macs_, *got);
    ASSERT_EQ(got->inner.n, 1u);
    EXPECT_EQ(got->inner.pkts[0], m);
    EXPECT_EQ(got->inner.port[0], kVtepPort);
    EXPECT_EQ(m->pkt_len, in.size());
    EXPECT_EQ(m->nb_segs, 1u);
    EXPECT_EQ(Bytes(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len), in);
    rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace dsw
