// The config's text and the shape of its document (config_test.cc has the rest): an unknown or
// duplicate key, a value of the wrong type, a NUL or bytes that are not UTF-8 in a string, a
// document yaml-cpp would never finish reading. Each refusal names the key path.
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "config_test_support.h"

namespace dsw {
namespace {

using namespace config_test;

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
