// What the config loader's tests share: interfaces made for ports that need one each, the message
// of a refused config, and the defaults an empty document gives.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/validate.h"

namespace dsw::config_test {


// Interfaces named after this process, made on first use and deleted at exit.
class DummyIfaces {
public:
    ~DummyIfaces() {
        for (const std::string &name : made_)
            (void)std::system(("ip link del " + name + " 2>/dev/null").c_str());
    }
    const std::string &get(size_t k) {
        while (made_.size() <= k) {
            const std::string name = "dct" + std::to_string(getpid()) + "_" + std::to_string(made_.size());
            // A veth pair: every kernel has veth (not every one the dummy module).
            const int rc = std::system(("ip link add " + name + " type veth peer name " + name + "p").c_str());
            EXPECT_EQ(rc, 0) << "cannot create interface " << name << " (the tests run as root)";
            made_.push_back(name);
        }
        return made_[k];
    }

private:
    std::vector<std::string> made_;
};

// The k-th dummy interface's name.
inline const std::string &dummy(size_t k) {
    static DummyIfaces ifaces;
    return ifaces.get(k);
}

// `text` with each "%k" (k one digit) replaced by the k-th dummy interface's name.
inline std::string with_dummies(std::string text) {
    for (size_t at = text.find('%'); at != std::string::npos; at = text.find('%', at)) {
        const std::string &name = dummy(static_cast<size_t>(text[at + 1] - '0'));
        text.replace(at, 2, name);
        at += name.size();
    }
    return text;
}

inline const char *const kSource = "t.yaml";

// The message of a refused config; fails the test when the config is accepted.
inline std::string refusal(const std::string &yaml) {
    Result<Config> r = parse_config(yaml, kSource);
    EXPECT_FALSE(r.ok()) << "accepted:\n" << yaml;
    if (r.ok())
        return "";
    EXPECT_EQ(r.error().code, kExitConfigError);
    return r.error().message;
}

// The refusal of a config holding one port, written as a flow map.
inline std::string port_refusal(const std::string &port_flow_map) {
    return refusal("ports:\n  - " + port_flow_map + "\n");
}

inline std::string words_refusal(const std::string &name, const std::string &type,
                                 const std::vector<std::string> &words) {
    Result<PortConfig> r = port_from_words(name, type, words);
    EXPECT_FALSE(r.ok()) << "accepted port " << name;
    if (r.ok())
        return "";
    EXPECT_EQ(r.error().code, kExitConfigError);
    return r.error().message;
}

inline bool starts_with(const std::string &s, const std::string &prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

// A config text and the refusal it must get: the whole message, or its start when `says` ends
// in "...".
struct Refusal {
    std::string yaml;
    std::string says;
};

// Each case's text, after `prefix`, refused by `refuse` (a text -> its refusal) as it says.
template <class Refuse>
void expect_refusals(Refuse refuse, const std::string &prefix, std::initializer_list<Refusal> cases) {
    for (const Refusal &c : cases) {
        const std::string got = refuse(prefix + c.yaml);
        const size_t n = c.says.size();
        if (n >= 3 && c.says.compare(n - 3, 3, "...") == 0)
            EXPECT_TRUE(starts_with(got, c.says.substr(0, n - 3))) << prefix + c.yaml << "\n  refused: " << got;
        else
            EXPECT_EQ(got, c.says) << prefix + c.yaml;
    }
}

inline const char *const kOnePort = "ports: [ { name: c1, type: af_packet, iface: lo } ]\n";

inline void expect_defaults(const Config &c) {
    const Config d;
    EXPECT_EQ(c.eal.lcores, "0-1");
    EXPECT_TRUE(c.eal.no_huge);
    EXPECT_EQ(c.eal.memory_mb, 512u);
    EXPECT_EQ(c.eal.file_prefix, "sw0");
    EXPECT_TRUE(c.eal.extra.empty());
    EXPECT_EQ(c.sw.burst, 32u);
    EXPECT_EQ(c.sw.mac_table_size, 65536u);
    EXPECT_EQ(c.sw.mac_aging_s, 300u);
    EXPECT_TRUE(c.sw.arp_proxy);
    EXPECT_EQ(c.sw.ctl_socket, "");
    EXPECT_EQ(c.sw.mbufs, 0u);
    EXPECT_EQ(c.sw.tx_flush_us, 0u) << "no hold: every batch leaves at the end of its loop";
    EXPECT_TRUE(c.ports.empty());
    EXPECT_TRUE(c.static_macs.empty());
    EXPECT_TRUE(c.arp.empty());
    EXPECT_EQ(d.source, "<embedded default>");
}

}  // namespace dsw::config_test
