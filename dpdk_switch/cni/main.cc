// dpdk-switch: a CNI plugin (spec 1.0.0) that plugs a container into dpdk_switch. A runtime
// runs it with CNI_COMMAND=ADD|DEL|CHECK|VERSION and the network configuration on stdin; it
// answers a result (ADD) or nothing on stdout and exits 0, or prints the spec's error JSON on
// stdout and exits 1.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/cni/attachment.h"
#include "dpdk_switch/cni/cni_error.h"
#include "dpdk_switch/cni/env.h"
#include "dpdk_switch/cni/net_conf.h"

namespace {

using nlohmann::json;
using namespace dsw::cni;

int print_error(const dsw::Error &e, const std::string &version) {
    const json err = {{"cniVersion", version.empty() ? kCniVersion : version}, {"code", e.code}, {"msg", e.message}};
    std::printf("%s\n", err.dump().c_str());
    // Also on stderr: a person running the plugin by hand, or a runtime's log, sees it there.
    std::fprintf(stderr, "dpdk-switch: %s\n", e.message.c_str());
    return 1;
}

// VERSION: the version asked about (stdin's cniVersion, if any) and the one this plugin speaks.
int version(const std::string &raw) {
    const json in = json::parse(raw, nullptr, false);
    std::string asked = kCniVersion;
    if (in.is_object() && in.contains("cniVersion") && in["cniVersion"].is_string()) asked = in["cniVersion"];
    std::printf("%s\n", json({{"cniVersion", asked}, {"supportedVersions", {kCniVersion}}}).dump().c_str());
    return 0;
}

}  // namespace

int main() {
    // A delegated plugin that exits before reading its stdin must not kill us with SIGPIPE.
    std::signal(SIGPIPE, SIG_IGN);
    std::string raw(std::istreambuf_iterator<char>(std::cin), {});
    if (std::cin.bad()) return print_error(dsw::fail("cannot read the configuration from stdin", kIoFailure), "");

    auto env = read_env();
    if (!env) return print_error(env.error(), "");
    if (env->command == Command::version) return version(raw);
    auto conf = parse_net_conf(raw, env->args);
    if (!conf) return print_error(conf.error(), "");

    switch (env->command) {
    case Command::add: {
        auto r = add_attachment(*env, *conf, raw);
        if (!r) return print_error(r.error(), conf->cni_version);
        std::printf("%s\n", r->dump(2).c_str());
        return 0;
    }
    case Command::del:
        if (auto st = del_attachment(*env, *conf, raw); !st) return print_error(st.error(), conf->cni_version);
        return 0;
    case Command::check:
        if (auto st = check_attachment(*env, *conf, raw); !st) return print_error(st.error(), conf->cni_version);
        return 0;
    case Command::version:
        break;
    }
    return 0;
}
