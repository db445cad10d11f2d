// Commands on the configuration: save config [FILE].
#include <algorithm>

#include "dpdk_switch/control/config_writer.h"
#include "dpdk_switch/control/file_replace.h"
#include "dpdk_switch/control/running_config.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "handlers.h"

namespace dsw::cmd {

using nlohmann::json;

namespace {
// The sections that a file read back must give again (source and path say where it came from).
bool same_switch(const Config &x, const Config &y) {
    return x.eal == y.eal && x.sw == y.sw && x.ports == y.ports && x.static_macs == y.static_macs && x.arp == y.arp;
}
}  // namespace

// save config [FILE]: the running switch as YAML that --config reads, into FILE or the file the
// switch was started with.
Answer save_config(Switch &sw, const Args &a) {
    std::string file;
    if (a.size() > 2) {
        file = a[2];
        if (auto st = check_absolute_path(file); !st) return fail("save config: " + st.error().message);
    } else if (!sw.config().path.empty()) {
        file = sw.config().path;
    } else {
        return fail("save config: the switch was started without --config (on the embedded default): "
                    "give a file, save config <file>");
    }
    const Config running = running_config(sw);
    const std::string text = config_to_yaml(running, "dpdk_switch config, written by `save config` from the running switch");
    // What is written must start the same switch: the loader reads it back first, with all its
    // checks, and nothing is written when it does not give the same config.
    auto back = parse_config(text, file);
    if (!back) return fail("save config: internal error: the running config does not read back: " + back.error().message);
    if (!same_switch(back.value(), running))
        return fail("save config: internal error: the running config reads back different");
    // A memif secret is a credential: a new file holding one is its owner's alone (an existing
    // file keeps the mode its user gave it).
    const bool secret = std::any_of(running.ports.begin(), running.ports.end(),
                                    [](const PortConfig &p) { return !p.secret.empty(); });
    if (auto st = replace_file(file, text, secret ? 0600 : 0644); !st) return fail("save config: " + st.error().message);
    json r = {{"ok", true},
              {"file", file},
              {"ports", running.ports.size()},
              {"static_macs", running.static_macs.size()},
              {"arp", running.arp.size()}};
    return r;
}

}  // namespace dsw::cmd
