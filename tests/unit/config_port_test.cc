// The config's ports: (config_test.cc has the rest): names, the keys of each kind, what a port
// attaches to (an interface that must exist, a socket path, one port per attachment), memif's
// secret. Each refusal names the key path. Interfaces that must exist use "lo" or veth
// interfaces the tests create (as root, config_test_support.h).
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "config_test_support.h"

namespace dsw {
namespace {

using namespace config_test;

TEST(ConfigError, PortNames) {
    EXPECT_EQ(refusal("ports:\n"
                      "  - { name: c1, type: af_packet, iface: lo }\n"
                      "  - { name: c2, type: tap, iface: dsw2 }\n"
                      "  - { name: c1, type: tap, iface: dsw1 }\n"),
              "t.yaml: ports[2].name: duplicate port name 'c1' (also ports[0])");
    for (const char *bad : {"a-b", "''", "a.b", "abcdefghijklmnopq", "' x'"}) {
        const std::string msg =
            port_refusal(std::string("{ name: ") + bad + ", type: af_packet, iface: lo }");
        EXPECT_TRUE(starts_with(msg, "t.yaml: ports[0].name: ")) << bad << " -> " << msg;
    }
    EXPECT_EQ(port_refusal("{ type: af_packet, iface: lo }"),
              "t.yaml: ports[0].name: missing required key");
    EXPECT_EQ(port_refusal("{ name: a, iface: lo }"), "t.yaml: ports[0].type: missing required key");
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: af_pakcet, iface: lo }"),
                            "t.yaml: ports[0].type: unknown port type 'af_pakcet'"));
}

TEST(ConfigError, MissingKeyOfPortType) {
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet }"),
              "t.yaml: ports[0].iface: required for an af_packet port");
    EXPECT_EQ(port_refusal("{ name: a, type: af_xdp }"),
              "t.yaml: ports[0].iface: required for an af_xdp port");
    EXPECT_EQ(port_refusal("{ name: a, type: tap }"), "t.yaml: ports[0].iface: required for a tap port");
    EXPECT_EQ(port_refusal("{ name: a, type: vhost }"),
              "t.yaml: ports[0].path: required for a vhost port");
    EXPECT_EQ(port_refusal("{ name: a, type: virtio_user }"),
              "t.yaml: ports[0].path: required for a virtio_user port");
    EXPECT_EQ(port_refusal("{ name: a, type: memif }"),
              "t.yaml: ports[0].socket: required for a memif port");
    EXPECT_EQ(port_refusal("{ name: a, type: dpdk }"),
              "t.yaml: ports[0].devargs: required for a dpdk port");
}

TEST(ConfigError, KeyOfAnotherPortType) {
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: lo, path: /x }"),
              "t.yaml: ports[0].path: not a key of an af_packet port");
    EXPECT_EQ(port_refusal("{ name: a, type: vhost, path: /x, iface: lo }"),
              "t.yaml: ports[0].iface: not a key of a vhost port");
    EXPECT_EQ(port_refusal("{ name: a, type: tap, iface: t0, client: true }"),
              "t.yaml: ports[0].client: not a key of a tap port");
    EXPECT_EQ(port_refusal("{ name: a, type: vhost, path: /x, role: client }"),
              "t.yaml: ports[0].role: not a key of a vhost port");
    EXPECT_EQ(port_refusal("{ name: a, type: dpdk, devargs: net_null0, socket: /x }"),
              "t.yaml: ports[0].socket: not a key of a dpdk port");
    EXPECT_EQ(port_refusal("{ name: a, type: memif, socket: /x, role: master }"),
              "t.yaml: ports[0].role: must be server or client, got 'master'");
}

// memif's secret: what INIT's 24-byte field carries, as printable text; the error names the key
// and never quotes the secret.
TEST(ConfigError, MemifSecret) {
    Result<Config> r = parse_config(
        "ports: [ { name: a, type: memif, socket: /x, secret: 'abcdefghijklmnopqrstuvwx' } ]", kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().ports[0].secret, "abcdefghijklmnopqrstuvwx");
    EXPECT_EQ(port_refusal("{ name: a, type: memif, socket: /x, secret: abcdefghijklmnopqrstuvwxy }"),
              "t.yaml: ports[0].secret: longer than 24 bytes, the most a memif INIT carries");
    EXPECT_EQ(port_refusal("{ name: a, type: memif, socket: /x, secret: \"ab\\tc\" }"),
              "t.yaml: ports[0].secret: only printable ASCII characters (0x20 to 0x7e)");
    EXPECT_EQ(port_refusal("{ name: a, type: memif, socket: /x, secret: '' }"),
              "t.yaml: ports[0].secret: must not be empty");
    EXPECT_EQ(port_refusal("{ name: a, type: vhost, path: /x, secret: abc }"),
              "t.yaml: ports[0].secret: not a key of a vhost port");
}

TEST(ConfigError, VlanAndTrunk) {
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: lo, vlan: 10, trunk: [20] }"),
              "t.yaml: ports[0].trunk: cannot be combined with vlan");
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: lo, trunk: [10, 20, 10] }"),
              "t.yaml: ports[0].trunk[2]: duplicate VLAN 10");
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: af_packet, iface: lo, trunk: [] }"),
                            "t.yaml: ports[0].trunk: "));
}

TEST(ConfigError, InterfaceMustExist) {
    EXPECT_EQ(refusal("ports:\n"
                      "  - { name: c1, type: af_packet, iface: lo }\n"
                      "  - { name: c2, type: af_packet, iface: v9 }\n"),
              "t.yaml: ports[1].iface: interface 'v9' does not exist");
    EXPECT_EQ(port_refusal("{ name: a, type: af_xdp, iface: v9 }"),
              "t.yaml: ports[0].iface: interface 'v9' does not exist");
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: tap, iface: abcdefghijklmnop }"),
                            "t.yaml: ports[0].iface: invalid interface name"));
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: tap, iface: 'a/b' }"),
                            "t.yaml: ports[0].iface: invalid interface name"));
}

TEST(ConfigError, SocketPathTooLong) {
    const std::string path = "/" + std::string(110, 'x');
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: vhost, path: " + path + " }"),
                            "t.yaml: ports[0].path: longer than"));
    EXPECT_TRUE(starts_with(refusal("switch: { ctl_socket: " + path + " }"),
                            "t.yaml: switch.ctl_socket: longer than"));
}

// Before, a memif socket by a relative name was opened in whatever directory the switch was
// started from, so one config meant another socket from elsewhere. Now it is in the run
// directory, as VPP's runtime dir: the config and `port add` hold the resolved path.
TEST(Config, RelativeMemifSocketIsInTheRunDirectory) {
    Result<Config> r = parse_config("ports: [ { name: a, type: memif, socket: m.sock, id: 1 },\n"
                                    "         { name: b, type: memif, socket: sub/m.sock },\n"
                                    "         { name: c, type: memif, socket: /tmp/m.sock } ]", kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().ports[0].socket, "/run/dpdk_switch/m.sock");
    EXPECT_EQ(r.value().ports[1].socket, "/run/dpdk_switch/sub/m.sock");
    EXPECT_EQ(r.value().ports[2].socket, "/tmp/m.sock");
    Result<PortConfig> added = port_from_words("d", "memif", {"socket=d.sock", "role=client"});
    ASSERT_TRUE(added.ok()) << added.error().message;
    EXPECT_EQ(added.value().socket, "/run/dpdk_switch/d.sock");
    // One socket by both names is one attachment.
    EXPECT_EQ(refusal("ports: [ { name: a, type: memif, socket: m.sock },\n"
                      "         { name: b, type: memif, socket: /run/dpdk_switch/m.sock } ]"),
              "t.yaml: ports[1].socket: memif socket /run/dpdk_switch/m.sock id 0 is port a (ports[0]) already");
    // The limit of a unix socket path is the resolved path's.
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: memif, socket: " + std::string(100, 'x') + " }"),
                            "t.yaml: ports[0].socket: longer than"));
}

// The same for a vhost-user socket (vhost, virtio_user `path`), as OVS puts one in its rundir:
// before, a relative one was wherever the switch was started from.
TEST(Config, RelativeVhostPathIsInTheRunDirectory) {
    Result<Config> r = parse_config("ports: [ { name: a, type: vhost, path: v.sock },\n"
                                    "         { name: b, type: virtio_user, path: b.sock },\n"
                                    "         { name: c, type: vhost, path: /tmp/v.sock } ]", kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().ports[0].path, "/run/dpdk_switch/v.sock");
    EXPECT_EQ(r.value().ports[1].path, "/run/dpdk_switch/b.sock");
    EXPECT_EQ(r.value().ports[2].path, "/tmp/v.sock");
    Result<PortConfig> added = port_from_words("d", "vhost", {"path=d.sock"});
    ASSERT_TRUE(added.ok()) << added.error().message;
    EXPECT_EQ(added.value().path, "/run/dpdk_switch/d.sock");
}

// Before, the second port was refused only after EAL started, with exit code 1 and no key path.
TEST(ConfigError, TwoPortsOnOneAttachment) {
    EXPECT_EQ(refusal("ports: [ { name: c1, type: af_packet, iface: lo }, { name: c2, type: af_xdp, iface: lo } ]"),
              "t.yaml: ports[1].iface: interface lo is port c1 (ports[0]) already");
    EXPECT_EQ(refusal("ports: [ { name: a, type: vhost, path: /tmp/x.sock },\n"
                      "         { name: b, type: tap, iface: t0 },\n"
                      "         { name: c, type: virtio_user, path: /tmp/x.sock } ]"),
              "t.yaml: ports[2].path: socket /tmp/x.sock is port a (ports[0]) already");
    EXPECT_EQ(refusal("ports: [ { name: a, type: memif, socket: /tmp/m.sock, id: 1 },\n"
                      "         { name: b, type: memif, socket: /tmp/m.sock, id: 1 } ]"),
              "t.yaml: ports[1].socket: memif socket /tmp/m.sock id 1 is port a (ports[0]) already");
    EXPECT_EQ(refusal("ports: [ { name: a, type: dpdk, devargs: 'net_null0,size=64' },\n"
                      "         { name: b, type: dpdk, devargs: net_null0 } ]"),
              "t.yaml: ports[1].devargs: device net_null0 is port a (ports[0]) already");
    // One socket, two memif ids: two interfaces, as VPP has them.
    Result<Config> r = parse_config("ports: [ { name: a, type: memif, socket: /tmp/m.sock, id: 1 },\n"
                                    "         { name: b, type: memif, socket: /tmp/m.sock, id: 2 } ]",
                                    kSource);
    EXPECT_TRUE(r.ok()) << r.error().message;
}

}  // namespace
}  // namespace dsw
