// Capture: `capture <port> <file>` starts and stops a port's CaptureSession; the workers copy
// frames to its tap, found in the view.
#include "dpdk_switch/control/switch.h"

#include "dpdk_switch/log.h"

namespace dsw {

Status Switch::start_capture(const std::string &name, const std::string &path, uint64_t count, uint8_t dirs,
                             bool overwrite) {
    const SwitchPort *sp = port(name);
    if (sp == nullptr) return fail("no port named '" + name + "'");
    if (captures_[sp->index]) return fail("port " + name + " is being captured already (capture stop " + name + ")");
    auto session = CaptureSession::open(name, path, count, dirs, overwrite);
    if (!session) return session.error();
    captures_[sp->index] = std::move(session.value());
    publish_view();   // the workers start copying from their next loop
    DSW_LOG(INFO, main, "capturing port %s into %s", name.c_str(), path.c_str());
    return Ok{};
}

Status Switch::stop_capture(const std::string &name) {
    const SwitchPort *sp = port(name);
    if (sp == nullptr) return fail("no port named '" + name + "'");
    std::unique_ptr<CaptureSession> session = std::move(captures_[sp->index]);
    if (!session) return fail("port " + name + " is not being captured");
    publish_view();    // after this no worker holds the tap
    session->drain();  // what was queued before the switch-over
    DSW_LOG(INFO, main, "capture of port %s ended: %lu frames in %s, %lu dropped", name.c_str(),
            static_cast<unsigned long>(session->written()), session->path().c_str(),
            static_cast<unsigned long>(session->dropped()));
    return Ok{};
}

void Switch::poll_captures() {
    for (unsigned i = 0; i < kMaxPorts; ++i)
        if (captures_[i] && captures_[i]->drain() && ports_[i]) (void)stop_capture(ports_[i]->eth->config().name);
}

}  // namespace dsw
