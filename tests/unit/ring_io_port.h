// A test-only own-I/O port over an rte_ring pair (the shape of ports/<kind>.cc's OwnIoPort):
// frames the test puts on "<Prefix>_in_<port>" are its RX, its TX goes to "<Prefix>_out_<port>"
// for the test to read (rte_ring_lookup). Each ring holds Size frames; the port may hold as many
// of the shared pool. Prefix keeps two tests' rings apart.
#pragma once

#include <memory>
#include <string>

#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dpdk_switch/ports/port_kind.h"

namespace dsw::test {

template <const char *Prefix, unsigned Size>
class RingIoPort : public OwnIoPort {
public:
    ~RingIoPort() override {
        for (rte_ring *r : {in_, out_}) {
            void *m;
            while (rte_ring_dequeue(r, &m) == 0) rte_pktmbuf_free(static_cast<rte_mbuf *>(m));
            rte_ring_free(r);
        }
    }
    const PortIo &io() const override { return io_; }

    static Result<std::unique_ptr<OwnIoPort>> open(const PortConfig &pc, rte_mempool *) {
        auto p = std::make_unique<RingIoPort>();
        const std::string prefix = Prefix;
        p->in_ = rte_ring_create((prefix + "_in_" + pc.name).c_str(), Size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        p->out_ = rte_ring_create((prefix + "_out_" + pc.name).c_str(), Size, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (p->in_ == nullptr || p->out_ == nullptr) return fail("port " + pc.name + ": cannot create its rings");
        p->io_ = PortIo{rx, tx, p.get()};
        return std::unique_ptr<OwnIoPort>(std::move(p));
    }
    static Result<MbufNeeds> mbufs(const PortConfig &) { return MbufNeeds{.shared = Size}; }

private:
    static uint16_t rx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, PortCounters &) noexcept {
        return static_cast<uint16_t>(
            rte_ring_dequeue_burst(static_cast<RingIoPort *>(ctx)->in_, reinterpret_cast<void **>(pkts), n, nullptr));
    }
    static uint16_t tx(void *ctx, uint16_t, rte_mbuf **pkts, uint16_t n, uint16_t &) noexcept {
        return static_cast<uint16_t>(
            rte_ring_enqueue_burst(static_cast<RingIoPort *>(ctx)->out_, reinterpret_cast<void **>(pkts), n, nullptr));
    }
    rte_ring *in_ = nullptr, *out_ = nullptr;
    PortIo io_;
};

}  // namespace dsw::test
