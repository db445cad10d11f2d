// Frames a worker holds across loops (switch.tx_flush_us) and a view change: a held frame
// for a port that was deleted, and whose index a new port took before the worker saw the view
// without it, must not leave on the new port (a container's frame delivered to another). One
// for a port still there leaves on it. The real Worker (WorkerPoll) and TxStage, on views built
// by hand as publish_view makes them. Such a frame is the switch's loss, not the new port's:
// counted where `show switch stats` sums it, never in the new port's `show port stats`.
#include <array>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rte_cycles.h>
#include <rte_lcore.h>

#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/dataplane/view.h"
#include "dpdk_switch/dataplane/worker.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/tables/mac_table.h"
#include "frames.h"
#include "switch_fixture.h"

namespace dsw::test {
namespace {

constexpr uint16_t kIn = 0, kOut = 1;   // ingress port; the index the frame is for
constexpr uint16_t kVlan = 1;

// An own-I/O port: RX hands over what was put there once, TX keeps what it is given.
struct HandPort {
    PortIo io{rx, tx, this};
    std::vector<rte_mbuf *> in, out;

    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &) noexcept {
        auto *p = static_cast<HandPort *>(ctx);
        uint16_t k = 0;
        for (; k < n && k < p->in.size(); ++k) pkts[k] = p->in[k];
        p->in.erase(p->in.begin(), p->in.begin() + k);
        return k;
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &) noexcept {
        auto *p = static_cast<HandPort *>(ctx);
        p->out.insert(p->out.end(), pkts, pkts + n);
        return n;
    }
    ~HandPort() {
        for (rte_mbuf *m : out) rte_pktmbuf_free(m);
        for (rte_mbuf *m : in) rte_pktmbuf_free(m);
    }
};

class HeldFrameViewTest : public ::testing::Test {
protected:
    void SetUp() override {
        static unsigned instance = 0;
        tag_ = std::to_string(++instance);
        auto pool = make_pktmbuf_pool("txh_pool_" + tag_, 512, SOCKET_ID_ANY);
        ASSERT_TRUE(pool.ok()) << pool.error().message;
        pool_ = std::move(pool.value());
        auto macs = MacTable::create("txh_macs_" + tag_, 1024, SOCKET_ID_ANY, nullptr);
        ASSERT_TRUE(macs.ok()) << macs.error().message;
        macs_ = std::move(macs.value());
        shared_.macs = macs_.get();
        shared_.counters = counters_.get();
        shared_.storm = storm_.get();
        // Longer than the test: whatever is staged is held until a view change.
        shared_.tx_flush_us.store(10000);
    }
    void TearDown() override {
        for (auto &r : rings_) r.reset();
        EXPECT_TRUE(pool_full(pool_.get())) << "mbufs leaked: " << rte_mempool_avail_count(pool_.get()) << " of "
                                            << pool_->size;
    }

    // A view of generation `gen` with the ingress port and, at index kOut, `out` there since
    // generation `since` (as publish_view makes them): access ports of one VLAN, polled and sent
    // on by this lcore. Without `out` (null): index kOut is empty, as del_port leaves it.
    std::unique_ptr<DataplaneView> view(uint64_t gen, HandPort *out, uint64_t since) {
        auto v = std::make_unique<DataplaneView>();
        v->generation = gen;
        HandPort *ports[2] = {&in_, out};
        for (uint16_t p : {kIn, kOut}) {
            if (ports[p] == nullptr) continue;
            PortSlot &s = v->ports[p];
            s.present = true;
            s.io = &ports[p]->io;
            s.txq[lcore_] = 0;
            s.owner = lcore_;
            s.since = p == kIn ? 1 : since;
            auto ring = make_ring("txh_r" + std::to_string(rings_.size()) + "_" + tag_, 64, SOCKET_ID_ANY, RING_F_SC_DEQ);
            EXPECT_TRUE(ring.ok());
            rings_.push_back(std::move(ring.value()));
            s.ring = rings_.back().get();
            s.access_vlan = kVlan;
            s.allowed[kVlan >> 6] |= 1ULL << (kVlan & 63);
            v->add_member(kVlan, p);
            v->workers[lcore_].unit[v->workers[lcore_].n++] = {p, 0};
        }
        return v;
    }

    // One frame in on the ingress port, flooded (its destination unknown) to kOut's batch.
    void send_one(WorkerPoll &w, const DataplaneView &v) {
        in_.in.push_back(to_mbuf(pool_.get(), eth_frame(mac(2, 0, 0, 0, 0, 2), mac(2, 0, 0, 0, 0, 1))));
        ASSERT_EQ(w.poll(v, now_), 1u);
    }

    uint64_t drops(uint16_t port, DropReason r) const {
        return counters_[lcore_].port[port].drops[static_cast<unsigned>(r)].get();
    }
    // What `show switch stats` says of frames lost to deleted ports.
    uint64_t switch_port_gone() const {
        return sum_switch_counters(counters_.get()).drops[static_cast<unsigned>(DropReason::port_gone)];
    }
    // What `show port stats` says of the port at kOut: its counters since `zero`, the index's
    // sums when it was added (Switch::open_port takes them as SwitchPort::baseline).
    PortTotals port_stats_since(const PortTotals &zero) const {
        PortTotals t = sum_port_counters(counters_.get(), kOut);
        t -= zero;
        return t;
    }
    void expect_no_drops(const PortTotals &t) const {
        for (unsigned r = 0; r < kDropReasons; ++r) EXPECT_EQ(t.drops[r], 0u) << kDropReasonNames[r];
    }

    std::string tag_;
    unsigned lcore_ = rte_lcore_id();
    uint64_t now_ = rte_rdtsc();   // every poll at the same time: nothing held becomes due
    MempoolPtr pool_;
    std::vector<RingPtr> rings_;
    std::unique_ptr<MacTable> macs_;
    std::unique_ptr<LcoreCounters[]> counters_ = std::make_unique<LcoreCounters[]>(RTE_MAX_LCORE);
    std::unique_ptr<PortStorm[]> storm_ = std::make_unique<PortStorm[]>(kMaxPorts);
    WorkerShared shared_;
    HandPort in_;
};

TEST_F(HeldFrameViewTest, HeldFrameForADeletedPortNeverLeavesOnTheNewPortAtItsIndex) {
    HandPort old_port, new_port;
    auto v1 = view(1, &old_port, 1);
    // Generation 3: the old port deleted (generation 2, which this worker never loaded: it
    // reported its quiescent state in the loop that used generation 1), and a new port added
    // at its index.
    auto v3 = view(3, &new_port, 3);
    WorkerPoll w(shared_, lcore_);
    send_one(w, *v1);
    ASSERT_TRUE(old_port.out.empty()) << "the frame was not held: the test proves nothing";
    EXPECT_EQ(w.poll(*v3, now_), 0u);
    EXPECT_TRUE(new_port.out.empty()) << "a frame staged for the deleted port left on the new one";
    EXPECT_TRUE(old_port.out.empty());
    EXPECT_EQ(switch_port_gone(), 1u);
    // The new port's own frames are held and leave as ever, when due.
    send_one(w, *v3);
    EXPECT_TRUE(new_port.out.empty());
    w.poll(*v3, now_ + rte_get_tsc_hz());
    EXPECT_EQ(new_port.out.size(), 1u);
}

TEST_F(HeldFrameViewTest, HeldFrameForAPortStillThereLeavesOnItAtAViewChange) {
    HandPort port;
    auto v1 = view(1, &port, 1);
    auto v2 = view(2, &port, 1);   // another port added or deleted elsewhere: this one stays
    WorkerPoll w(shared_, lcore_);
    send_one(w, *v1);
    ASSERT_TRUE(port.out.empty()) << "the frame was not held: the test proves nothing";
    w.poll(*v2, now_);
    EXPECT_EQ(port.out.size(), 1u);
    EXPECT_EQ(switch_port_gone(), 0u);
    EXPECT_EQ(drops(kOut, DropReason::port_gone), 0u);
}

// The user's view of that drop: the new port was added (its zero taken) before the worker
// saw it; the frame it never had is not in its stats, and is in the switch's.
TEST_F(HeldFrameViewTest, AHeldFrameForADeletedPortCountsOnTheSwitchNotOnTheNewPortAtItsIndex) {
    HandPort old_port, new_port;
    auto v1 = view(1, &old_port, 1);
    auto v3 = view(3, &new_port, 3);
    WorkerPoll w(shared_, lcore_);
    send_one(w, *v1);
    ASSERT_TRUE(old_port.out.empty()) << "the frame was not held: the test proves nothing";
    const PortTotals zero = sum_port_counters(counters_.get(), kOut);   // the new port added
    w.poll(*v3, now_);
    ASSERT_TRUE(new_port.out.empty());
    expect_no_drops(port_stats_since(zero));
    EXPECT_EQ(switch_port_gone(), 1u);
}

// The same when the worker sees the view without the old port (generation 2) only after the
// new port took the index: a control thread's add_port can come between del_port's return and
// the worker's next loop.
TEST_F(HeldFrameViewTest, AHeldFrameDroppedAtAnEmptyIndexCountsOnTheSwitchNotOnThePortAddedThere) {
    HandPort old_port, new_port;
    auto v1 = view(1, &old_port, 1);
    auto v2 = view(2, nullptr, 0);
    WorkerPoll w(shared_, lcore_);
    send_one(w, *v1);
    ASSERT_TRUE(old_port.out.empty()) << "the frame was not held: the test proves nothing";
    const PortTotals zero = sum_port_counters(counters_.get(), kOut);   // the new port added
    w.poll(*v2, now_);
    expect_no_drops(port_stats_since(zero));
    EXPECT_EQ(switch_port_gone(), 1u);
    // The new port's view: its own frames leave on it as ever.
    auto v3 = view(3, &new_port, 3);
    w.poll(*v3, now_);
    send_one(w, *v3);
    w.poll(*v3, now_ + rte_get_tsc_hz());
    EXPECT_EQ(new_port.out.size(), 1u);
    expect_no_drops(port_stats_since(zero));
}

// The control plane's half: publish_view gives a port a new `since` when it takes an index
// another port had, and keeps it for a port that stays.
TEST(HeldFrameViewSince, APortTakingADeletedPortsIndexStartsAnewWhileTheOthersKeepTheirs) {
    Config cfg;
    for (const char *n : {"s0", "s1"}) {
        PortConfig pc;
        pc.name = n;
        pc.type = PortType::dpdk;
        pc.devargs = std::string("net_null_hfv_") + n + ",no-rx=1";
        cfg.ports.push_back(pc);
    }
    auto made = Switch::create(cfg);
    ASSERT_TRUE(made.ok()) << made.error().message;
    Switch &sw = *made.value();
    ASSERT_TRUE(sw.start().ok());
    const uint64_t s0 = sw.view()->ports[0].since, s1 = sw.view()->ports[1].since;
    EXPECT_NE(s1, 0u);
    ASSERT_TRUE(sw.del_port("s1").ok());
    EXPECT_FALSE(sw.view()->ports[1].present);
    PortConfig pc;
    pc.name = "s2";
    pc.type = PortType::dpdk;
    pc.devargs = "net_null_hfv_s2,no-rx=1";
    auto index = sw.add_port(pc);
    ASSERT_TRUE(index.ok()) << index.error().message;
    ASSERT_EQ(index.value(), 1u) << "the test wants the deleted port's index reused";
    EXPECT_GT(sw.view()->ports[1].since, s1);
    EXPECT_EQ(sw.view()->ports[1].since, sw.view()->generation);
    EXPECT_EQ(sw.view()->ports[0].since, s0) << "a port that stays keeps its own";
    sw.stop();
    close_ports_and_check_pool(sw);
}

}  // namespace
}  // namespace dsw::test
