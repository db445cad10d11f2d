// libFuzzer target for the config loader: the input is a config file's text, given to
// parse_config exactly as `--config FILE` and the embedded default reach it (load_config_file
// reads the file and calls it). Built and run by scripts/fuzz.sh; seeds in tests/fuzz/config_seeds
// (config/*.yaml and the vxlan:, memif and static-entry shapes the unit tests load).
//
// Checks, besides what ASan and UBSan catch:
//   - parse_config answers (never throws); a refusal names its source and a reason;
//   - what it accepts survives `save config`: config_to_yaml's text parses again to the same
//     config (eal:, switch:, ports, static MACs, ARP bindings, vxlan:), so a switch restarted
//     from a saved file is the switch that saved it.
// parse_config needs no EAL (the lcore check that does is validate_lcores, not fuzzed here).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/config_writer.h"

namespace {

void fail(const char *what, const std::string &detail) {
    std::fprintf(stderr, "config_fuzzer: %s\n%s\n", what, detail.c_str());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const std::string text(reinterpret_cast<const char *>(data), size);
    const dsw::Result<dsw::Config> cfg = dsw::parse_config(text, "fuzz.yaml");
    if (!cfg) {
        const std::string &m = cfg.error().message;
        if (m.rfind("fuzz.yaml", 0) != 0 || m.size() <= std::string("fuzz.yaml: ").size())
            fail("a refusal without its source or reason", m);
        return 0;
    }
    const dsw::Config &a = cfg.value();
    const std::string saved = dsw::config_to_yaml(a);
    const dsw::Result<dsw::Config> again = dsw::parse_config(saved, "saved.yaml");
    if (!again) fail("save config wrote a file --config refuses", again.error().message + "\n--- saved:\n" + saved);
    const dsw::Config &b = again.value();
    if (!(a.eal == b.eal)) fail("eal: differs after save and load", saved);
    if (!(a.sw == b.sw)) fail("switch: differs after save and load", saved);
    if (!(a.ports == b.ports)) fail("ports differ after save and load", saved);
    if (!(a.static_macs == b.static_macs)) fail("static_macs differ after save and load", saved);
    if (!(a.arp == b.arp)) fail("arp differs after save and load", saved);
    if (!(a.vxlan == b.vxlan)) fail("vxlan: differs after save and load", saved);
    return 0;
}
