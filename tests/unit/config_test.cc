// The YAML config loader (DESIGN.md §4): what a user's file turns into, and how a bad file is
// refused ("<source>: <key path>: <reason>"). Needs no EAL: validate_lcores is not called here.
// config_text_test.cc has the text and document shape, config_port_test.cc the ports: list.
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

// Before, 4000000000 passed and EAL failed to allocate the pool, exit 1 and no key path.
TEST(ConfigError, MbufsUpperBound) {
    EXPECT_EQ(refusal("switch: { mbufs: 4000000000 }"),
              "t.yaml: switch.mbufs: must be at most 16777216, a pool of about 37888 MB of EAL memory, "
              "got 4000000000");
}

}  // namespace
}  // namespace dsw
