// The YAML config loader (DESIGN.md §4): what a user's file turns into, and how a bad file is
// refused ("<source>: <key path>: <reason>"). Needs no EAL: validate_lcores is not called here.
// Interfaces that must exist use "lo", the one every network namespace has, and, where two ports
// need one each (two ports may not share one), veth interfaces the tests create (as root).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/limits.h"
#include "config_test_support.h"

namespace dsw {
namespace {

using namespace config_test;

// DESIGN.md §4's example, with every interface that must exist replaced by "lo" or a dummy one.
const char *const kDesignExample = R"(
eal:    { lcores: "0-1", no_huge: true, memory_mb: 512, file_prefix: sw0, extra: [] }
switch: { burst: 32, mac_table_size: 65536, mac_aging_s: 300, arp_proxy: true, ctl_socket: /run/dpdk_switch/sw0.sock }
ports:
  - { name: c1,  type: af_packet, iface: lo, lcore: 1 }
  - { name: c2,  type: af_xdp, iface: %0 }                              # fast path for veth containers
  - { name: vm1, type: vhost, path: /run/dpdk_switch/vm1.sock, client: false, queues: 1 }
  - { name: app1, type: memif, socket: /run/dpdk_switch/memif.sock, id: 0 }  # VPP-compatible shared memory
  - { name: host, type: tap, iface: dsw0 }
  - { name: gen, type: dpdk, devargs: "net_pcap0,rx_pcap=traffic.pcap,infinite_rx=1" }  # any DPDK device
  - { name: access10, type: af_packet, iface: %1, vlan: 10 }          # access port in VLAN 10
  - { name: uplink, type: af_packet, iface: %2, trunk: [10, 20] }     # 802.1Q trunk
static_macs: [ { mac: "02:00:00:00:00:01", port: c1, vlan: 0 } ]
arp:         [ { ip: 172.17.0.2, mac: "02:00:00:00:00:01" } ]
)";

// ---- accepted configs ---------------------------------------------------------------------------

TEST(Config, DesignExampleIsAccepted) {
    Result<Config> r = parse_config(with_dummies(kDesignExample), kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Config &c = r.value();
    EXPECT_EQ(c.source, kSource);
    EXPECT_EQ(c.eal.lcores, "0-1");
    EXPECT_TRUE(c.eal.no_huge);
    EXPECT_EQ(c.eal.memory_mb, 512u);
    EXPECT_EQ(c.eal.file_prefix, "sw0");
    EXPECT_TRUE(c.eal.extra.empty());
    EXPECT_EQ(c.sw.burst, 32u);
    EXPECT_EQ(c.sw.mac_table_size, 65536u);
    EXPECT_EQ(c.sw.mac_aging_s, 300u);
    EXPECT_TRUE(c.sw.arp_proxy);
    EXPECT_EQ(c.sw.ctl_socket, "/run/dpdk_switch/sw0.sock");

    ASSERT_EQ(c.ports.size(), 8u);
    EXPECT_EQ(c.ports[0].name, "c1");
    EXPECT_EQ(c.ports[0].type, PortType::af_packet);
    EXPECT_EQ(c.ports[0].iface, "lo");
    EXPECT_EQ(c.ports[0].lcore, std::optional<unsigned>(1));
    EXPECT_EQ(c.ports[1].type, PortType::af_xdp);
    EXPECT_FALSE(c.ports[1].lcore.has_value());
    EXPECT_EQ(c.ports[2].type, PortType::vhost);
    EXPECT_EQ(c.ports[2].path, "/run/dpdk_switch/vm1.sock");
    EXPECT_FALSE(c.ports[2].client);
    EXPECT_EQ(c.ports[2].queues, 1u);
    EXPECT_EQ(c.ports[3].type, PortType::memif);
    EXPECT_EQ(c.ports[3].socket, "/run/dpdk_switch/memif.sock");
    EXPECT_EQ(c.ports[3].id, 0u);
    EXPECT_EQ(c.ports[3].role, "server");
    EXPECT_EQ(c.ports[4].type, PortType::tap);
    EXPECT_EQ(c.ports[4].iface, "dsw0");  // tap creates it: need not exist
    EXPECT_EQ(c.ports[5].type, PortType::dpdk);
    EXPECT_EQ(c.ports[5].devargs, "net_pcap0,rx_pcap=traffic.pcap,infinite_rx=1");
    EXPECT_EQ(c.ports[6].vlan, 10);
    EXPECT_TRUE(c.ports[6].trunk.empty());
    EXPECT_EQ(c.ports[7].vlan, 0);
    EXPECT_EQ(c.ports[7].trunk, (std::vector<uint16_t>{10, 20}));

    ASSERT_EQ(c.static_macs.size(), 1u);
    EXPECT_EQ(c.static_macs[0].mac, "02:00:00:00:00:01");
    EXPECT_EQ(c.static_macs[0].port, "c1");
    EXPECT_EQ(c.static_macs[0].vlan, 0);
    ASSERT_EQ(c.arp.size(), 1u);
    EXPECT_EQ(c.arp[0].ip, "172.17.0.2");
    EXPECT_EQ(c.arp[0].mac, "02:00:00:00:00:01");
}

TEST(Config, EmptyDocumentIsTheDefault) {
    for (const char *text : {"", "# nothing but a comment\n", "---\n", "eal:\nswitch:\nports:\n"}) {
        Result<Config> r = parse_config(text, kSource);
        ASSERT_TRUE(r.ok()) << text << ": " << r.error().message;
        EXPECT_EQ(r.value().source, kSource);
        expect_defaults(r.value());
    }
}

TEST(Config, PortDefaultsAndOptions) {
    Result<Config> r = parse_config(R"(
ports:
  - { name: a, type: af_packet, iface: lo }
  - { name: b, type: vhost, path: /tmp/b.sock, client: true, queues: 16, lcore: 3 }
  - { name: c, type: memif, socket: /tmp/m.sock, id: 7, role: client }
  - { name: d, type: virtio_user, path: /dev/vhost-net }
)",
                                    kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::vector<PortConfig> &p = r.value().ports;
    ASSERT_EQ(p.size(), 4u);
    EXPECT_EQ(p[0].queues, 1u);
    EXPECT_FALSE(p[0].client);
    EXPECT_FALSE(p[0].lcore.has_value());
    EXPECT_EQ(p[0].vlan, 0);
    EXPECT_TRUE(p[0].trunk.empty());
    EXPECT_TRUE(p[1].client);
    EXPECT_EQ(p[1].queues, 16u);
    EXPECT_EQ(p[1].lcore, std::optional<unsigned>(3));
    EXPECT_EQ(p[2].id, 7u);
    EXPECT_EQ(p[2].role, "client");
    EXPECT_EQ(p[3].type, PortType::virtio_user);
}

TEST(Config, RangeLimitsAreAccepted) {
    Result<Config> r = parse_config(with_dummies(R"(
eal: { memory_mb: 64, extra: ["--log-level=8", --no-pci], lcores: "(0-1)@0,2" }
switch: { burst: 32, mac_table_size: 16777216, mac_aging_s: 0, mbufs: 16777216, arp_proxy: no, tx_flush_us: 10000 }
ports:
  - { name: A_b_123456789012, type: af_packet, iface: lo, vlan: 4094 }
  - { name: t, type: af_packet, iface: %0, trunk: [1, 4094] }
)"),
                                    kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const Config &c = r.value();
    EXPECT_EQ(c.eal.memory_mb, 64u);
    EXPECT_EQ(c.eal.extra, (std::vector<std::string>{"--log-level=8", "--no-pci"}));
    EXPECT_EQ(c.sw.burst, 32u);
    EXPECT_EQ(c.sw.mac_table_size, 16777216u);
    EXPECT_EQ(c.sw.mac_aging_s, 0u);  // never age
    EXPECT_EQ(c.sw.mbufs, 16777216u);
    EXPECT_FALSE(c.sw.arp_proxy);
    EXPECT_EQ(c.sw.tx_flush_us, 10000u);
    EXPECT_EQ(c.ports[0].vlan, 4094);
}

TEST(Config, StaticMacTakesItsAccessPortsVlan) {
    Result<Config> r = parse_config(with_dummies(R"(
ports: [ { name: a10, type: af_packet, iface: lo, vlan: 10 },
         { name: up, type: af_packet, iface: %0, trunk: [10, 20] } ]
static_macs:
  - { mac: "02:AB:00:00:00:01", port: a10 }
  - { mac: 02:ab:00:00:00:01, port: up, vlan: 20 }
)"),
                                    kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    const std::vector<StaticMac> &m = r.value().static_macs;
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].mac, "02:ab:00:00:00:01");  // stored lowercase
    EXPECT_EQ(m[0].vlan, 10);
    EXPECT_EQ(m[1].vlan, 20);
}

// ---- refused configs: each names the key path ---------------------------------------------------

TEST(ConfigError, UnknownKey) {
    EXPECT_EQ(refusal("switch: { burts: 32 }"), "t.yaml: switch.burts: unknown key");
    EXPECT_EQ(refusal("swtich: {}"), "t.yaml: swtich: unknown key");
    EXPECT_EQ(refusal("eal: { hugepages: 1 }"), "t.yaml: eal.hugepages: unknown key");
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: lo, speed: 10 }"),
              "t.yaml: ports[0].speed: unknown key");
    EXPECT_EQ(refusal("ports: [ {name: a, type: af_packet, iface: lo} ]\n"
                      "static_macs: [ { mac: '02:00:00:00:00:01', port: a, age: 1 } ]"),
              "t.yaml: static_macs[0].age: unknown key");
    EXPECT_EQ(refusal("arp: [ { ip: 10.0.0.1, mac: '02:00:00:00:00:01', port: a } ]"),
              "t.yaml: arp[0].port: unknown key");
}

TEST(ConfigError, DuplicateKey) {
    EXPECT_EQ(refusal("switch:\n  burst: 1\n  burst: 2\n"), "t.yaml: switch.burst: duplicate key");
    EXPECT_EQ(refusal("eal: {}\neal: {}\n"), "t.yaml: eal: duplicate key");
}

TEST(ConfigError, WrongType) {
    EXPECT_TRUE(starts_with(refusal("switch: { burst: abc }"),
                            "t.yaml: switch.burst: expected an integer"));
    EXPECT_TRUE(starts_with(refusal("switch: { burst: \"32\" }"),
                            "t.yaml: switch.burst: expected an integer"));
    EXPECT_TRUE(starts_with(refusal("switch: { burst: [32] }"),
                            "t.yaml: switch.burst: expected an integer, got a list"));
    EXPECT_TRUE(starts_with(refusal("switch: { burst: 3.5 }"),
                            "t.yaml: switch.burst: expected an integer"));
    EXPECT_TRUE(starts_with(refusal("switch: { arp_proxy: 1 }"),
                            "t.yaml: switch.arp_proxy: expected true or false"));
    EXPECT_TRUE(starts_with(refusal("eal: { no_huge: 'true' }"),
                            "t.yaml: eal.no_huge: expected true or false"));
    EXPECT_EQ(refusal("eal: [1, 2]"), "t.yaml: eal: expected a map, got a list");
    EXPECT_EQ(refusal("switch: 5"), "t.yaml: switch: expected a map, got '5'");
    EXPECT_EQ(refusal("ports: { a: 1 }"), "t.yaml: ports: expected a list, got a map");
    EXPECT_EQ(refusal("ports: [ 1 ]"), "t.yaml: ports[0]: expected a map, got '1'");
    EXPECT_EQ(refusal("- 1\n- 2\n"), "t.yaml: top level: expected a map, got a list");
    EXPECT_EQ(refusal("eal: { lcores: { a: 1 } }"),
              "t.yaml: eal.lcores: expected a string, got a map");
    EXPECT_EQ(refusal("eal: { extra: [ --no-pci, [x] ] }"),
              "t.yaml: eal.extra[1]: expected a string, got a list");
    EXPECT_EQ(refusal("eal: { extra: --no-pci }"),
              "t.yaml: eal.extra: expected a list, got '--no-pci'");
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: [lo] }"),
              "t.yaml: ports[0].iface: expected a string, got a list");
    EXPECT_EQ(port_refusal("{ name: a, type: af_packet, iface: }"),
              "t.yaml: ports[0].iface: expected a string, got null");
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: af_packet, iface: lo, trunk: 10 }"),
                            "t.yaml: ports[0].trunk: expected a list"));
    EXPECT_TRUE(starts_with(port_refusal("{ name: a, type: vhost, path: /x, client: maybe }"),
                            "t.yaml: ports[0].client: expected true or false"));
}

TEST(ConfigError, OutOfRange) {
    struct Case {
        const char *yaml;
        const char *path;
    };
    const Case cases[] = {
        {"switch: { burst: 0 }", "switch.burst"},
        {"switch: { burst: 33 }", "switch.burst"},
        {"switch: { burst: -1 }", "switch.burst"},
        {"switch: { burst: 99999999999999999999999 }", "switch.burst"},
        {"switch: { mac_table_size: 1023 }", "switch.mac_table_size"},
        {"switch: { mac_table_size: 16777217 }", "switch.mac_table_size"},
        {"switch: { mac_aging_s: 1000001 }", "switch.mac_aging_s"},
        {"switch: { mbufs: 1023 }", "switch.mbufs"},
        {"switch: { tx_flush_us: 10001 }", "switch.tx_flush_us"},
        {"switch: { tx_flush_us: -1 }", "switch.tx_flush_us"},
        {"eal: { memory_mb: 63 }", "eal.memory_mb"},
        {"ports: [ { name: a, type: af_packet, iface: lo, queues: 0 } ]", "ports[0].queues"},
        {"ports: [ { name: a, type: af_packet, iface: lo, queues: 17 } ]", "ports[0].queues"},
        {"ports: [ { name: a, type: af_packet, iface: lo, vlan: 0 } ]", "ports[0].vlan"},
        {"ports: [ { name: a, type: af_packet, iface: lo, vlan: 4095 } ]", "ports[0].vlan"},
        {"ports: [ { name: a, type: af_packet, iface: lo, trunk: [10, 4095] } ]",
         "ports[0].trunk[1]"},
        {"ports: [ { name: a, type: af_packet, iface: lo, trunk: [0] } ]", "ports[0].trunk[0]"},
        {"ports: [ { name: a, type: af_packet, iface: lo, lcore: 100000 } ]", "ports[0].lcore"},
        {"ports: [ { name: a, type: memif, socket: /x, id: 4294967296 } ]", "ports[0].id"},
    };
    for (const Case &c : cases) {
        const std::string msg = refusal(c.yaml);
        EXPECT_TRUE(starts_with(msg, std::string("t.yaml: ") + c.path + ": ")) << c.yaml << " -> "
                                                                                << msg;
    }
    EXPECT_EQ(refusal("switch: { burst: 33 }"), "t.yaml: switch.burst: must be in 1..32, got 33");
}

TEST(ConfigError, BadEalWords) {
    EXPECT_TRUE(starts_with(refusal("eal: { file_prefix: 'a/b' }"), "t.yaml: eal.file_prefix: "));
    EXPECT_TRUE(starts_with(refusal("eal: { file_prefix: '' }"), "t.yaml: eal.file_prefix: "));
    EXPECT_TRUE(starts_with(refusal("eal: { lcores: '0-1 --vdev=x' }"), "t.yaml: eal.lcores: "));
}

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


TEST(ConfigError, StaticMacs) {
    const std::string mac = "static_macs: [ { mac: '02:00:00:00:00:01', port: c1";
    expect_refusals(refusal, kOnePort, {
        {"static_macs: [ { mac: '02:00:00:00:00', port: c1 } ]", "t.yaml: static_macs[0].mac: invalid MAC address..."},
        {"static_macs: [ { mac: '02-00-00-00-00-01', port: c1 } ]", "t.yaml: static_macs[0].mac: invalid MAC address..."},
        {"static_macs: [ { mac: '02:00:00:00:00:0g', port: c1 } ]", "t.yaml: static_macs[0].mac: invalid MAC address..."},
        {"static_macs: [ { mac: '01:00:5e:00:00:01', port: c1 } ]",
         "t.yaml: static_macs[0].mac: '01:00:5e:00:00:01' is a multicast MAC address"},
        {"static_macs: [ { mac: 'ff:ff:ff:ff:ff:ff', port: c1 } ]", "t.yaml: static_macs[0].mac: ..."},
        {"static_macs: [ { mac: '00:00:00:00:00:00', port: c1 } ]", "t.yaml: static_macs[0].mac: ..."},
        {"static_macs: [ { mac: '02:00:00:00:00:01', port: c9 } ]", "t.yaml: static_macs[0].port: unknown port 'c9'"},
        {"static_macs: [ { port: c1 } ]", "t.yaml: static_macs[0].mac: missing required key"},
        {"static_macs: [ { mac: '02:00:00:00:00:01' } ]", "t.yaml: static_macs[0].port: missing required key"},
        {mac + ", vlan: 10 } ]", "t.yaml: static_macs[0].vlan: port 'c1' is not in VLAN 10"},
        {mac + " },\n               { mac: '02:00:00:00:00:01', port: c1, vlan: 0 } ]",
         "t.yaml: static_macs[1].mac: duplicate static MAC 02:00:00:00:00:01 in VLAN 0 (also static_macs[0])"},
    });
    EXPECT_EQ(refusal("ports: [ { name: up, type: af_packet, iface: lo, trunk: [10] } ]\n"
                      "static_macs: [ { mac: '02:00:00:00:00:01', port: up } ]"),
              "t.yaml: static_macs[0].vlan: a VLAN is required for trunk port 'up'");
}

TEST(ConfigError, Arp) {
    const std::string mac = "mac: '02:00:00:00:00:01'";
    for (const char *ip : {"1.2.3", "300.1.1.1", "1.2.3.4.5", "fe80::1", "a.b.c.d", "''"}) {
        const std::string msg = refusal(std::string("arp: [ { ip: ") + ip + ", " + mac + " } ]");
        EXPECT_TRUE(starts_with(msg, "t.yaml: arp[0].ip: ")) << ip << " -> " << msg;
    }
    EXPECT_EQ(refusal("arp: [ { ip: 1.2.3, " + mac + " } ]"),
              "t.yaml: arp[0].ip: invalid IPv4 address '1.2.3'");
    EXPECT_EQ(refusal("arp: [ { ip: 224.0.0.1, " + mac + " } ]"),
              "t.yaml: arp[0].ip: '224.0.0.1' is not a unicast IPv4 address");
    EXPECT_TRUE(starts_with(refusal("arp: [ { ip: 10.0.0.1, mac: 'xx' } ]"),
                            "t.yaml: arp[0].mac: invalid MAC address"));
    EXPECT_EQ(refusal("arp: [ { " + mac + " } ]"), "t.yaml: arp[0].ip: missing required key");
    EXPECT_EQ(refusal("arp: [ { ip: 10.0.0.1 } ]"), "t.yaml: arp[0].mac: missing required key");
    EXPECT_EQ(refusal("arp: [ { ip: 10.0.0.1, " + mac + " }, { ip: 10.0.0.1, " + mac + " } ]"),
              "t.yaml: arp[1].ip: duplicate ARP entry for 10.0.0.1 (also arp[0])");
}

// A YAML list of `n` copies of `entry`, whose every "%" is replaced by the entry's index.
std::string numbered_list(const std::string &key, const std::string &entry, size_t n) {
    std::string text = key + ":\n";
    for (size_t i = 0; i < n; ++i) {
        std::string e = entry;
        for (size_t at = e.find('%'); at != std::string::npos; at = e.find('%', at))
            e.replace(at, 1, std::to_string(i));
        text += "  - " + e + "\n";
    }
    return text;
}

// A MAC "02:00:00:00:xx:yy" and an IP "10.0.x.y" for entry `i`, unique below 65536.
std::string mac_of(size_t i) {
    char s[18];
    std::snprintf(s, sizeof s, "02:00:00:00:%02zx:%02zx", i >> 8 & 0xff, i & 0xff);
    return s;
}

// Before, any number of entries was read (the tables refused them only once EAL ran), and each
// was compared with every earlier one.
TEST(ConfigError, TableCapacities) {
    std::string arp = "switch: { mac_table_size: 1024 }\narp:\n";
    for (size_t i = 0; i < 1025; ++i)
        arp += "  - { ip: 10.0." + std::to_string(i >> 8) + "." + std::to_string((i & 0xff) + 0) +
               ", mac: '" + mac_of(i + 1) + "' }\n";
    EXPECT_EQ(refusal(arp), "t.yaml: arp: 1025 entries, the ARP/ND table holds 1024 (switch.mac_table_size)");

    std::string macs = std::string(kOnePort) + "switch: { mac_table_size: 1024 }\nstatic_macs:\n";
    for (size_t i = 0; i < 1025; ++i) macs += "  - { mac: '" + mac_of(i + 1) + "', port: c1 }\n";
    EXPECT_EQ(refusal(macs),
              "t.yaml: static_macs: 1025 entries, the MAC table holds 1024 (switch.mac_table_size)");

    EXPECT_EQ(refusal(numbered_list("ports", "{ name: p%, type: tap, iface: t% }", kMaxPorts + 1)),
              "t.yaml: ports: 65 ports, the switch holds at most 64");
}

TEST(Config, TablesFilledToCapacityAreAccepted) {
    std::string text = std::string(kOnePort) + "switch: { mac_table_size: 1024 }\nstatic_macs:\n";
    for (size_t i = 0; i < 1024; ++i) text += "  - { mac: '" + mac_of(i + 1) + "', port: c1 }\n";
    text += "arp:\n";
    for (size_t i = 0; i < 1024; ++i)
        text += "  - { ip: 10.1." + std::to_string(i >> 8) + "." + std::to_string(i & 0xff) + ", mac: '" +
                mac_of(i + 1) + "' }\n";
    Result<Config> r = parse_config(text, kSource);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().static_macs.size(), 1024u);
    EXPECT_EQ(r.value().arp.size(), 1024u);
    Result<Config> ports = parse_config(numbered_list("ports", "{ name: p%, type: tap, iface: t% }", kMaxPorts), kSource);
    ASSERT_TRUE(ports.ok()) << ports.error().message;
    EXPECT_EQ(ports.value().ports.size(), kMaxPorts);
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

// Before, 4000000000 passed and EAL failed to allocate the pool, exit 1 and no key path.
TEST(ConfigError, MbufsUpperBound) {
    EXPECT_EQ(refusal("switch: { mbufs: 4000000000 }"),
              "t.yaml: switch.mbufs: must be at most 16777216, a pool of about 37888 MB of EAL memory, "
              "got 4000000000");
}

// Before, "lo\0zz" was read as "lo": the switch started on an interface nobody wrote.
TEST(ConfigError, NulInAString) {
    EXPECT_EQ(refusal("ports: [ { name: c1, type: af_packet, iface: \"lo\\0zz\" } ]"),
              "t.yaml: ports[0].iface: holds a NUL byte (at offset 2): 'lo\\0zz'");
    EXPECT_TRUE(starts_with(refusal("ports: [ { name: \"c1\\0\", type: tap, iface: t0 } ]"),
                            "t.yaml: ports[0].name: holds a NUL byte"));
    EXPECT_TRUE(starts_with(refusal("ports: [ { name: g, type: dpdk, devargs: \"net_null0\\0,x=1\" } ]"),
                            "t.yaml: ports[0].devargs: holds a NUL byte"));
    EXPECT_TRUE(starts_with(refusal("switch: { ctl_socket: \"/tmp/a\\0b\" }"),
                            "t.yaml: switch.ctl_socket: holds a NUL byte"));
    EXPECT_TRUE(starts_with(refusal("eal: { extra: [\"--no-pci\\0\"] }"), "t.yaml: eal.extra[0]: holds a NUL byte"));
    EXPECT_TRUE(starts_with(refusal(std::string(kOnePort) + "static_macs: [ { mac: '02:00:00:00:00:01', port: \"c1\\0\" } ]"),
                            "t.yaml: static_macs[0].port: holds a NUL byte"));
}

// Found by tests/fuzz/config_fuzzer (config_seeds/utf8_devargs): a string of bytes that are not
// UTF-8 was read in, and `save config` wrote U+FFFD in their place, a file naming another device;
// the switch itself refused to save ("reads back different"). Before, all of these were accepted.
TEST(ConfigError, StringNotUtf8) {
    EXPECT_EQ(refusal("ports: [ { name: g, type: dpdk, devargs: \"net_null0,x=\xff\" } ]"),
              "t.yaml: ports[0].devargs: is not valid UTF-8 (byte 0xff at offset 12)");
    EXPECT_EQ(refusal("switch: { ctl_socket: \"/tmp/\xc3\" }"),
              "t.yaml: switch.ctl_socket: is not valid UTF-8 (byte 0xc3 at offset 5)");
    EXPECT_EQ(refusal("eal: { extra: [\"--a=\xed\xa0\x80\"] }"),   // a UTF-16 surrogate
              "t.yaml: eal.extra[0]: is not valid UTF-8 (byte 0xed at offset 4)");
    EXPECT_EQ(refusal("eal: { file_prefix: \"\xc0\xaf\" }"),   // an overlong '/'
              "t.yaml: eal.file_prefix: is not valid UTF-8 (byte 0xc0 at offset 0)");
    // port add takes its words through the same reader.
    Result<PortConfig> p = port_from_words("g", "dpdk", {"devargs=net_null0,\x80"});
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().message, "port g: devargs: is not valid UTF-8 (byte 0x80 at offset 10)");
    // Valid UTF-8 beyond ASCII is a string like any other.
    Result<Config> ok = parse_config("ports: [ { name: g, type: dpdk, devargs: \"net_null0,n=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\" } ]", "t.yaml");
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(ok.value().ports[0].devargs, "net_null0,n=\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
}

// Found by tests/fuzz/config_fuzzer (config_seeds/comma_root): yaml-cpp 0.7's LoadAll never
// returns on a document whose root starts with ',' (yaml-cpp #1040), allocating a null document
// per turn until memory runs out; `--config` of such a file hung the switch. Before, each of these
// never returned.
TEST(ConfigError, CommaAtTheRootIsAnError) {
    EXPECT_EQ(refusal(","), "t.yaml:1:1: unexpected ',': no YAML node starts with it");
    EXPECT_EQ(refusal(",aeo:"), "t.yaml:1:1: unexpected ',': no YAML node starts with it");
    EXPECT_EQ(refusal("# a comment\n  ,a: 1\n"), "t.yaml:2:3: unexpected ',': no YAML node starts with it");
    EXPECT_EQ(refusal("!tag ,"), "t.yaml:1:6: unexpected ',': no YAML node starts with it");
    EXPECT_EQ(refusal("switch: {}\n---\n,"), "t.yaml: top level: more than one YAML document");
    // What still reads as before: one document, none, an explicit one.
    EXPECT_EQ(refusal("a, b"), "t.yaml: top level: expected a map, got 'a, b'");   // a scalar
    EXPECT_TRUE(parse_config("", "t.yaml").ok());
    EXPECT_TRUE(parse_config("---\nswitch: { burst: 16 }\n...\n", "t.yaml").ok());
}

}  // namespace
}  // namespace dsw
