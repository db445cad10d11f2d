// CaptureSession: one running `capture <port> <file>`: the tap the workers fill, and the pcapng
// file the control plane writes from it (blocks made by rte_pcapng_copy). Works in every EAL mode, unlike
// dpdk-dumpcap, which needs the switch on hugepages as a primary process.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "dpdk_switch/dataplane/capture_tap.h"
#include "dpdk_switch/dpdk/owners.h"
#include "dpdk_switch/result.h"

namespace dsw {

class CaptureSession {
public:
    // count 0: until `capture stop`. Without overwrite the file must not exist; with it, an
    // existing regular file is replaced. A symlink or anything but a regular file is refused.
    static Result<std::unique_ptr<CaptureSession>> open(const std::string &port, const std::string &path,
                                                        uint64_t count, uint8_t dirs, bool overwrite);
    ~CaptureSession();   // the tap must be detached from the view (and quiesced) first

    CaptureTap *tap() { return &tap_; }
    // Writes what the workers queued; true once `count` frames are written.
    bool drain();
    const std::string &path() const { return path_; }
    uint64_t written() const { return written_; }
    uint64_t dropped() const { return tap_.dropped.load(std::memory_order_relaxed); }
    uint64_t count() const { return count_; }

private:
    CaptureSession() = default;
    std::string path_;
    uint64_t count_ = 0, written_ = 0;
    CaptureTap tap_;
    MempoolPtr pool_;
    RingPtr ring_;
    int fd_ = -1;
    bool created_ = false;   // open() made the file (it did not replace one)
    bool started_ = false;   // its header is written: what it drains goes to the file
};

}  // namespace dsw
