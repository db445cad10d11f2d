// The vxlan: section of the config: what a user's VTEP turns into, and each refusal
// ("<source>: <key path>: <reason>"), before EAL.
#include <string>

#include <gtest/gtest.h>

#include "config_test_support.h"
#include "dpdk_switch/control/config.h"

namespace dsw {
namespace {

using config_test::expect_refusals;

constexpr const char *kSource = "vx.yaml";

// Two plain ports and an underlay (net_null devices: no interface needs to exist), then `vxlan`.
std::string doc(const std::string &vxlan) {
    return "ports:\n"
           "  - { name: c1, type: dpdk, devargs: net_null0, vlan: 10 }\n"
           "  - { name: c2, type: dpdk, devargs: net_null1, vlan: 20 }\n"
           "  - { name: up0, type: dpdk, devargs: net_null2 }\n"
           "  - { name: tr, type: dpdk, devargs: net_null3, trunk: [10, 20] }\n"
           "static_macs: [ { mac: '02:00:00:00:00:09', port: c1 } ]\n" +
           vxlan;
}

std::string refusal(const std::string &vxlan) {
    Result<Config> r = parse_config(doc(vxlan), kSource);
    if (r.ok()) return "accepted";
    return r.error().message;
}

TEST(VxlanConfig, AbsentSectionLeavesItOff) {
    Result<Config> r = parse_config(doc(""), kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r.value().vxlan.enabled);
}

TEST(VxlanConfig, FullSectionIsRead) {
    Result<Config> r = parse_config(doc("vxlan:\n"
                                        "  local_ip: 192.168.50.1\n"
                                        "  underlay: up0\n"
                                        "  learn_vteps: false\n"
                                        "  vni_map:\n"
                                        "    - { vlan: 10, vni: 1010, remotes: [192.168.50.2, 192.168.50.3] }\n"
                                        "    - { vlan: 20, vni: 1020 }\n"),
                                    kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const VxlanConfig &v = r.value().vxlan;
    EXPECT_TRUE(v.enabled);
    EXPECT_EQ(v.local_ip, "192.168.50.1");
    EXPECT_EQ(v.udp_port, 4789);
    EXPECT_EQ(v.underlay, "up0");
    EXPECT_FALSE(v.learn_vteps);
    ASSERT_EQ(v.vni_map.size(), 2u);
    EXPECT_EQ(v.vni_map[0].vlan, 10);
    EXPECT_EQ(v.vni_map[0].vni, 1010u);
    EXPECT_EQ(v.vni_map[0].remotes, (std::vector<std::string>{"192.168.50.2", "192.168.50.3"}));
    EXPECT_EQ(v.vni_map[1].vni, 1020u);
    EXPECT_TRUE(v.vni_map[1].remotes.empty());
}

TEST(VxlanConfig, DefaultsAndOwnPort) {
    Result<Config> r = parse_config(doc("vxlan: { local_ip: 10.0.0.1, underlay: up0, udp_port: 8472 }\n"), kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().vxlan.udp_port, 8472);
    EXPECT_TRUE(r.value().vxlan.learn_vteps);
    EXPECT_TRUE(r.value().vxlan.vni_map.empty());
}

// Found by hand (vxlan vtep add on a running switch): a loopback address, or the link's network
// or broadcast address, was taken as a remote VTEP; before, each of these was accepted.
TEST(VxlanConfig, ARemoteIsNoLoopbackNetworkOrBroadcastAddress) {
    expect_refusals(refusal, "vxlan: { local_ip: 192.168.50.1/24, underlay: up0, vni_map: [ { vlan: 5, vni: 1, remotes: ", {
        {"[192.168.50.255] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[0]: 192.168.50.255 is the broadcast address of the underlay's link "
         "192.168.50.0/24 (vxlan.local_ip)"},
        {"[192.168.50.0] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[0]: 192.168.50.0 is the network address of the underlay's link "
         "192.168.50.0/24 (vxlan.local_ip)"},
        {"[127.0.0.1] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[0]: 127.0.0.1 is a loopback address: no VTEP on the underlay answers there"},
    });
    // A /31 link has no network or broadcast address (RFC 3021); without a prefix no link is known.
    EXPECT_TRUE(parse_config(doc("vxlan: { local_ip: 192.168.50.1/31, underlay: up0, vni_map: [ { vlan: 5, vni: 1, "
                                 "remotes: [192.168.50.0] } ] }\n"), kSource).ok());
    EXPECT_TRUE(parse_config(doc("vxlan: { local_ip: 192.168.50.1, underlay: up0, vni_map: [ { vlan: 5, vni: 1, "
                                 "remotes: [192.168.50.255] } ] }\n"), kSource).ok());
}

TEST(VxlanConfig, EachMistakeIsRefusedWithItsKeyPath) {
    expect_refusals(refusal, "vxlan: ", {
        {"3\n", "vx.yaml: vxlan: expected a map, got '3'"},
        {"{ underlay: up0 }\n", "vx.yaml: vxlan.local_ip: missing required key"},
        {"{ local_ip: 10.0.0.300, underlay: up0 }\n", "vx.yaml: vxlan.local_ip: ..."},
        {"{ local_ip: 224.0.0.1, underlay: up0 }\n", "vx.yaml: vxlan.local_ip: ..."},
        {"{ local_ip: 10.0.0.1 }\n", "vx.yaml: vxlan.underlay: missing required key"},
        {"{ local_ip: 10.0.0.1, underlay: nope }\n", "vx.yaml: vxlan.underlay: unknown port 'nope'"},
        {"{ local_ip: 10.0.0.1, underlay: tr }\n",
         "vx.yaml: vxlan.underlay: port 'tr' is a trunk: the underlay carries untagged IPv4"},
        {"{ local_ip: 10.0.0.1, underlay: c1 }\n",
         "vx.yaml: vxlan.underlay: port 'c1' has a static MAC (static_macs[0]): the underlay's frames are not switched"},
    });
    expect_refusals(refusal, "vxlan: { local_ip: 10.0.0.1, underlay: up0, ", {
        {"udp_port: 0 }\n", "vx.yaml: vxlan.udp_port: ..."},
        {"udp_port: 65536 }\n", "vx.yaml: vxlan.udp_port: ..."},
        {"learn_vteps: 2 }\n", "vx.yaml: vxlan.learn_vteps: ..."},
        {"mtu: 2 }\n", "vx.yaml: vxlan.mtu: unknown key"},
        {"vni_map: [ { vni: 5 } ] }\n", "vx.yaml: vxlan.vni_map[0].vlan: missing required key"},
        {"vni_map: [ { vlan: 5 } ] }\n", "vx.yaml: vxlan.vni_map[0].vni: missing required key"},
        {"vni_map: [ { vlan: 5, vni: 0 } ] }\n", "vx.yaml: vxlan.vni_map[0].vni: ..."},
        {"vni_map: [ { vlan: 5, vni: 16777216 } ] }\n", "vx.yaml: vxlan.vni_map[0].vni: ..."},
        {"vni_map: [ { vlan: 4095, vni: 1 } ] }\n", "vx.yaml: vxlan.vni_map[0].vlan: ..."},
        {"vni_map: [ { vlan: 5, vni: 1 }, { vlan: 5, vni: 2 } ] }\n",
         "vx.yaml: vxlan.vni_map[1].vlan: VLAN 5 is mapped already (vxlan.vni_map[0])"},
        {"vni_map: [ { vlan: 5, vni: 1 }, { vlan: 6, vni: 1 } ] }\n",
         "vx.yaml: vxlan.vni_map[1].vni: VNI 1 is mapped already (vxlan.vni_map[0])"},
        {"vni_map: [ { vlan: 5, vni: 1, remotes: [10.0.0.1] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[0]: 10.0.0.1 is this switch's own VTEP (vxlan.local_ip)"},
        {"vni_map: [ { vlan: 5, vni: 1, remotes: [10.0.0.2, 10.0.0.2] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[1]: remote VTEP 10.0.0.2 listed twice"},
        {"vni_map: [ { vlan: 5, vni: 1, remotes: [foo] } ] }\n", "vx.yaml: vxlan.vni_map[0].remotes[0]: ..."},
        {"vni_map: [ { vlan: 5, vni: 1, remote: [10.0.0.2] } ] }\n", "vx.yaml: vxlan.vni_map[0].remote: unknown key"},
    });
}

TEST(VxlanConfig, LinkPrefixAndGateway) {
    Result<Config> r = parse_config(doc("vxlan:\n"
                                        "  local_ip: 192.168.50.1/24\n"
                                        "  gateway: 192.168.50.254\n"
                                        "  underlay: up0\n"
                                        "  vni_map: [ { vlan: 10, vni: 1010, remotes: [192.168.50.2, 10.9.0.2] } ]\n"),
                                    kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const VxlanConfig &v = r.value().vxlan;
    EXPECT_EQ(v.local_ip, "192.168.50.1");
    EXPECT_EQ(v.prefix_len, 24);
    EXPECT_EQ(v.gateway, "192.168.50.254");
    // A plain address: no prefix, every VTEP on the link, as before gateways.
    r = parse_config(doc("vxlan: { local_ip: 10.0.0.1, underlay: up0, vni_map: [ { vlan: 10, vni: 1, remotes: "
                         "[172.16.0.2] } ] }\n"),
                     kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r.value().vxlan.prefix_len);
    EXPECT_TRUE(r.value().vxlan.gateway.empty());
}

TEST(VxlanConfig, EachGatewayMistakeNamesItsKey) {
    expect_refusals(refusal, "vxlan: { underlay: up0, local_ip: ", {
        {"192.168.50.1/33 }\n", "vx.yaml: vxlan.local_ip: '192.168.50.1/33': the prefix length after '/' must be 0-32"},
        {"192.168.50.1/ }\n", "vx.yaml: vxlan.local_ip: '192.168.50.1/': the prefix length after '/' must be 0-32"},
        {"192.168.50.1/2x }\n", "vx.yaml: vxlan.local_ip: '192.168.50.1/2x': the prefix length after '/' must be 0-32"},
        {"192.168.50.0/24 }\n", "vx.yaml: vxlan.local_ip: '192.168.50.0/24' is not a host address of 192.168.50.0/24"},
        {"192.168.50.255/24 }\n",
         "vx.yaml: vxlan.local_ip: '192.168.50.255/24' is not a host address of 192.168.50.0/24"},
        {"192.168.50.1/24, gateway: 192.168.50.300 }\n", "vx.yaml: vxlan.gateway: ..."},
        {"192.168.50.1/24, gateway: router }\n", "vx.yaml: vxlan.gateway: ..."},
        {"192.168.50.1/24, gateway: 192.168.51.1 }\n",
         "vx.yaml: vxlan.gateway: 192.168.51.1 is outside the underlay's link 192.168.50.0/24 (vxlan.local_ip): "
         "a gateway must be on it"},
        {"192.168.50.1/24, gateway: 192.168.50.1 }\n",
         "vx.yaml: vxlan.gateway: 192.168.50.1 is this switch's own VTEP (vxlan.local_ip)"},
        {"192.168.50.1, gateway: 192.168.50.254 }\n",
         "vx.yaml: vxlan.gateway: vxlan.local_ip has no prefix, so no link for 192.168.50.254 to be on: write "
         "it as the underlay's address, e.g. 192.168.50.1/24"},
        {"192.168.50.1/24, vni_map: [ { vlan: 10, vni: 1, remotes: [192.168.50.2, 10.9.0.2] } ] }\n",
         "vx.yaml: vxlan.vni_map[0].remotes[1]: 10.9.0.2 is outside the underlay's link 192.168.50.0/24 "
         "(vxlan.local_ip) and there is no vxlan.gateway to reach it by"},
    });
}

TEST(VxlanConfig, PortsAndRemotesShareTheSwitchsPortIndexes) {
    std::string remotes;
    for (int i = 0; i < 61; ++i) remotes += (i ? ", 10.1.0." : "10.1.0.") + std::to_string(i + 1);
    EXPECT_EQ(refusal("vxlan: { local_ip: 10.0.0.1, underlay: up0, vni_map: [ { vlan: 10, vni: 1, remotes: [" +
                      remotes + "] } ] }\n"),
              "vx.yaml: vxlan.vni_map: 4 ports and 61 remote VTEPs: the switch holds at most 64 of both together");
}

// `mac add <MAC> vtep <IP> [vlan N]` as save config writes it: `vtep:` in place of `port:`.
constexpr const char *kUnderlayOnly = "ports: [ { name: up0, type: dpdk, devargs: net_null2 } ]\n";
constexpr const char *kVx = "vxlan: { local_ip: 192.168.50.1/24, underlay: up0, vni_map: [ { vlan: 10, vni: 1010 } ] }\n";

std::string behind_vtep(const std::string &entry) {
    Result<Config> r = parse_config(kUnderlayOnly + entry, kSource);
    return r.ok() ? "accepted" : r.error().message;
}

TEST(VxlanConfig, StaticMacsBehindAVtep) {
    Result<Config> r = parse_config(
        std::string(kUnderlayOnly) + "static_macs: [ { mac: '02:00:00:00:00:0b', vtep: 192.168.50.7, vlan: 10 } ]\n" + kVx,
        kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().static_macs, (std::vector<StaticMac>{{"02:00:00:00:00:0b", "", 10, "192.168.50.7"}}));
    const std::string mac = "static_macs: [ { mac: '02:00:00:00:00:0b', ";
    EXPECT_EQ(behind_vtep(mac + "vtep: 192.168.50.7, vlan: 10 } ]\n"),
              "vx.yaml: static_macs[0].vtep: there is no vxlan: section: the switch is no VTEP");
    expect_refusals(behind_vtep, mac, {
        {"vtep: 192.168.50.7 } ]\n" + std::string(kVx),
         "vx.yaml: static_macs[0].vlan: VLAN 0 is not mapped to a VNI (vxlan.vni_map)"},
        {"vtep: 192.168.50.1, vlan: 10 } ]\n" + std::string(kVx),
         "vx.yaml: static_macs[0].vtep: 192.168.50.1 is this switch's own VTEP (vxlan.local_ip)"},
        {"vtep: 10.9.0.2, vlan: 10 } ]\n" + std::string(kVx),
         "vx.yaml: static_macs[0].vtep: 10.9.0.2 is outside the underlay's link 192.168.50.0/24 (vxlan.local_ip) "
         "and there is no vxlan.gateway to reach it by"},
        {"vtep: 192.168.50.7, port: up0 } ]\n" + std::string(kVx),
         "vx.yaml: static_macs[0].port: an entry is on a port or behind a vtep, not both"},
        {"vtep: nowhere } ]\n" + std::string(kVx), "vx.yaml: static_macs[0].vtep: ..."},
    });
}

}  // namespace
}  // namespace dsw
