// vxlan_decap_burst against vxlan_decap: every packet of a burst, the common ones its masked
// words take and every other it leaves to vxlan_decap, gets the verdict, VTEP, VLAN and bytes
// that vxlan_decap gives it alone.
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <vector>

#include "dpdk_switch/dataplane/vxlan_decap.h"
#include "dpdk_switch/dpdk/owners.h"
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

    MempoolPtr pool_;
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
    DecapResult got[kMaxBurst];
    uint64_t received = 0;
    for (const Bytes &f : frames) received += f.size();
    EXPECT_EQ(vxlan_decap_burst(burst.data(), n, *vx_, got), received) << "the bytes as received, for the underlay's counter";
    unsigned decapped = 0;
    for (uint16_t i = 0; i < n; ++i) {
        const DecapResult want = vxlan_decap(alone[i], *vx_);
        EXPECT_EQ(got[i].verdict, want.verdict) << "frame " << i;
        if (want.verdict == kDecapped) {
            ++decapped;
            EXPECT_EQ(got[i].vtep_port, want.vtep_port) << "frame " << i;
            EXPECT_EQ(got[i].vlan, want.vlan) << "frame " << i;
        } else if (want.verdict == static_cast<uint32_t>(DropReason::vxlan_unknown_vtep)) {
            EXPECT_EQ(got[i].src_ip_be, want.src_ip_be) << "frame " << i;
            EXPECT_EQ(got[i].vni, want.vni) << "frame " << i;
        }
        EXPECT_EQ(burst[i]->pkt_len, alone[i]->pkt_len) << "frame " << i;
        EXPECT_EQ(burst[i]->data_off, alone[i]->data_off) << "frame " << i;
        EXPECT_EQ(burst[i]->ol_flags, alone[i]->ol_flags) << "frame " << i;
        EXPECT_EQ(0, std::memcmp(rte_pktmbuf_mtod(burst[i], void *), rte_pktmbuf_mtod(alone[i], void *), burst[i]->data_len))
            << "frame " << i;
        rte_pktmbuf_free(burst[i]);
        rte_pktmbuf_free(alone[i]);
    }
    EXPECT_GE(decapped, 8u) << "the common packets";
}

// A chained frame with bytes past the outer packet that span more than its last segment: the
// burst form leaves it to vxlan_decap, which cuts across segments (rte_pktmbuf_trim cannot).
TEST_F(VxlanDecapBurstTest, BytesPastTheOuterPacketAcrossSegmentsAreCutInABurstToo) {
    const Bytes in = inner(1, 100);
    Bytes frame = test::vxlan_around(in);
    frame.resize(frame.size() + 2100, 0xee);
    rte_mbuf *m = test::offloaded(pool_.get(), frame, virtio_net_hdr{});
    ASSERT_EQ(m->nb_segs, 2u);
    DecapResult got[1];
    vxlan_decap_burst(&m, 1, *vx_, got);
    ASSERT_EQ(got[0].verdict, kDecapped);
    EXPECT_EQ(got[0].vtep_port, kVtepPort);
    EXPECT_EQ(m->pkt_len, in.size());
    EXPECT_EQ(m->nb_segs, 1u);
    EXPECT_EQ(Bytes(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_mtod(m, const uint8_t *) + m->data_len), in);
    rte_pktmbuf_free(m);
}

}  // namespace
}  // namespace dsw
