// Commands on packet captures: capture, capture stop, show capture.
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

// capture stop <port> (its own row of the grammar, matched before `capture <port>`)
Answer capture_stop(Switch &sw, const Args &a) {
    if (auto st = sw.stop_capture(a[2]); !st) return fail(st.error().message);
    return json{{"ok", true}};
}

// capture <port> <file> [count N] [rx|tx|both] [overwrite]
Answer capture(Switch &sw, const Args &a) {
    static const std::string kUsage = "usage: capture <port> <file> [count N] [rx|tx|both] [overwrite]";
    json r;
    if (a.size() < 3) return fail(kUsage);
    if (auto st = check_absolute_path(a[2]); !st) return fail("capture: " + st.error().message);
    uint64_t count = 0;
    uint8_t dirs = CaptureTap::kRx | CaptureTap::kTx;
    bool overwrite = false;
    for (size_t i = 3; i < a.size(); ++i) {
        if (a[i] == "count" && i + 1 < a.size()) {
            auto n = parse_uint(a[++i], 1000000000);
            if (!n || *n == 0) return fail("bad count '" + a[i] + "'");
            count = *n;
        } else if (a[i] == "rx" || a[i] == "tx" || a[i] == "both") {
            dirs = a[i] == "rx" ? CaptureTap::kRx : a[i] == "tx" ? CaptureTap::kTx : CaptureTap::kRx | CaptureTap::kTx;
        } else if (a[i] == "overwrite") {
            overwrite = true;
        } else {
            return fail("unexpected '" + a[i] + "' (" + kUsage + ")");
        }
    }
    if (auto st = sw.start_capture(a[1], a[2], count, dirs, overwrite); !st) return fail(st.error().message);
    r = {{"ok", true}, {"port", a[1]}, {"file", a[2]}, {"count", count}};
    return r;
}

Answer show_capture(Switch &sw, const Args &) {
    json r;
    r["captures"] = json::array();
    for (const SwitchPort *sp : sw.ports()) {
        const CaptureSession *c = sw.capture(sp->index);
        if (c == nullptr) continue;
        r["captures"].push_back({{"port", sp->eth->config().name}, {"file", c->path()}, {"written", c->written()},
                                      {"dropped", c->dropped()}, {"count", c->count()}});
    }
    return r;
}

}  // namespace dsw::cmd
