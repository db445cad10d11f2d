// The config loader's files (a path, its size, what is not a regular file), the `port add` words
// the CLI turns into a port, the port type names, and the checks the config shares with the CLI.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/limits.h"
#include "dpdk_switch/ports/port_kind.h"
#include "config_test_support.h"

namespace dsw {
namespace {

using namespace config_test;

// The config and the CLI (`mac add`, `arp add`) call the same checks: the reasons are the same words.
TEST(Validate, TheConfigRefusesInTheWordsTheCliUses) {
    for (const char *mac : {"00:00:00:00:00:00", "01:00:5e:00:00:01", "ff:ff:ff:ff:ff:ff", "02:00:00:00:00"}) {
        const Result<uint64_t> cli = parse_unicast_mac(mac);
        ASSERT_FALSE(cli.ok()) << mac;
        EXPECT_EQ(refusal(std::string(kOnePort) + "static_macs: [ { mac: '" + mac + "', port: c1 } ]"),
                  "t.yaml: static_macs[0].mac: " + cli.error().message);
        EXPECT_EQ(refusal(std::string("arp: [ { ip: 10.0.0.1, mac: '") + mac + "' } ]"),
                  "t.yaml: arp[0].mac: " + cli.error().message);
    }
    EXPECT_EQ(parse_unicast_mac("00:00:00:00:00:00").error().message, "the all-zero MAC address is not valid here");
    for (const char *ip : {"0.0.0.0", "255.255.255.255", "224.0.0.1", "239.255.255.250", "10.0.0"}) {
        const Result<uint32_t> cli = parse_unicast_ipv4(ip);
        ASSERT_FALSE(cli.ok()) << ip;
        EXPECT_EQ(refusal(std::string("arp: [ { ip: ") + ip + ", mac: '02:00:00:00:00:01' } ]"),
                  "t.yaml: arp[0].ip: " + cli.error().message);
    }
    EXPECT_FALSE(parse_unicast_ipv4(std::string("10.0.0.1\0junk", 13)).ok()) << "inet_pton would read 10.0.0.1";
    EXPECT_EQ(parse_unicast_ipv4("10.0.0.1").value(), 0x0a000001u);

    PortConfig untagged;
    untagged.name = "c1";
    PortConfig trunk;
    trunk.name = "up";
    trunk.trunk = {10, 20};
    const Result<uint16_t> not_in = static_mac_vlan(untagged, 10);
    ASSERT_FALSE(not_in.ok());
    EXPECT_EQ(not_in.error().message, "port 'c1' is not in VLAN 10");
    EXPECT_EQ(refusal(std::string(kOnePort) + "static_macs: [ { mac: '02:00:00:00:00:01', port: c1, vlan: 10 } ]"),
              "t.yaml: static_macs[0].vlan: " + not_in.error().message);
    EXPECT_EQ(static_mac_vlan(untagged, std::nullopt).value(), 0);
    EXPECT_EQ(static_mac_vlan(trunk, 20).value(), 20);
    EXPECT_FALSE(static_mac_vlan(trunk, std::nullopt).ok());
    EXPECT_FALSE(static_mac_vlan(trunk, 30).ok());
}

TEST(ConfigError, YamlSyntaxErrorHasLineAndColumn) {
    // Line 3 is indented deeper than its sibling: yaml-cpp rejects it there.
    const std::string msg = refusal("switch:\n  burst: 32\n   x: 1\n");
    EXPECT_TRUE(starts_with(msg, "t.yaml:3:")) << msg;
    EXPECT_EQ(refusal("switch: { burst: 32\n"), "t.yaml:2:1: end of map flow not found");
    EXPECT_TRUE(starts_with(refusal("a: &x 1\nb: *y\n"), "t.yaml:2:")) << "undefined alias";
}

TEST(ConfigError, MoreThanOneDocument) {
    EXPECT_EQ(refusal("eal: {}\n---\nswitch: {}\n"), "t.yaml: top level: more than one YAML document");
}

// ---- files --------------------------------------------------------------------------------------

std::string write_temp(const std::string &text) {
    char name[] = "/tmp/dsw_config_test_XXXXXX";
    const int fd = mkstemp(name);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
    close(fd);
    return name;
}

TEST(ConfigFile, LoadsAndNamesItsSource) {
    const std::string path = write_temp("switch: { burst: 16 }\n");
    Result<Config> r = load_config_file(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().source, path);
    EXPECT_EQ(r.value().sw.burst, 16u);
    std::remove(path.c_str());
}

TEST(ConfigFile, ErrorsNameTheFile) {
    const std::string path = write_temp("switch: { burts: 64 }\n");
    Result<Config> r = load_config_file(path);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, path + ": switch.burts: unknown key");
    std::remove(path.c_str());
}

TEST(ConfigFile, EmptyFileIsTheDefault) {
    const std::string path = write_temp("");
    Result<Config> r = load_config_file(path);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().source, path);
    expect_defaults(r.value());
    std::remove(path.c_str());
}

TEST(ConfigFile, UnreadableFile) {
    Result<Config> r = load_config_file("/nonexistent/dsw.yaml");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kExitConfigError);
    EXPECT_EQ(r.error().message, "/nonexistent/dsw.yaml: cannot read: No such file or directory");
}

// Before, /dev/zero was read until memory ran out and a FIFO with no writer blocked for ever.
TEST(ConfigFile, RefusesWhatIsNotARegularFile) {
    char dir[] = "/tmp/dsw_config_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    const std::string fifo = std::string(dir) + "/fifo";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    const std::pair<std::string, std::string> cases[] = {
        {"/dev/zero", "/dev/zero: is a character device, not a regular file"},
        {fifo, fifo + ": is a FIFO, not a regular file"},
        {dir, std::string(dir) + ": is a directory, not a regular file"},
    };
    for (const auto &[path, message] : cases) {
        Result<Config> r = load_config_file(path);
        ASSERT_FALSE(r.ok()) << path;
        EXPECT_EQ(r.error().code, kExitConfigError);
        EXPECT_EQ(r.error().message, message);
    }
    std::remove(fifo.c_str());
    rmdir(dir);
}

// Before, any size was read and parsed: 50 MB took minutes and gigabytes.
TEST(ConfigFile, RefusesAFileOverOneMiB) {
    const std::string at_cap = write_temp(std::string(kMaxConfigBytes - 1, '#') + "\n");
    Result<Config> ok = load_config_file(at_cap);
    EXPECT_TRUE(ok.ok()) << "exactly 1 MiB of comment: " << ok.error().message;
    std::remove(at_cap.c_str());

    const std::string over = write_temp(std::string(kMaxConfigBytes, '#') + "\n");
    Result<Config> r = load_config_file(over);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, kExitConfigError);
    EXPECT_EQ(r.error().message,
              over + ": 1048577 bytes: larger than 1048576 bytes (1 MiB), the most a config may hold");
    std::remove(over.c_str());
}

// ---- port add words -----------------------------------------------------------------------------

TEST(PortFromWords, Good) {
    Result<PortConfig> a = port_from_words("c3", "af_packet", {"iface=lo", "vlan=10"});
    ASSERT_TRUE(a.ok()) << a.error().message;
    EXPECT_EQ(a->name, "c3");
    EXPECT_EQ(a->type, PortType::af_packet);
    EXPECT_EQ(a->iface, "lo");
    EXPECT_EQ(a->vlan, 10);

    Result<PortConfig> t = port_from_words("up", "af_xdp", {"iface=lo", "trunk=10,20", "lcore=1"});
    ASSERT_TRUE(t.ok()) << t.error().message;
    EXPECT_EQ(t->trunk, (std::vector<uint16_t>{10, 20}));
    EXPECT_EQ(t->lcore, std::optional<unsigned>(1));

    Result<PortConfig> v =
        port_from_words("vm1", "vhost", {"path=/run/dpdk_switch/vm1.sock", "client=true", "queues=2"});
    ASSERT_TRUE(v.ok()) << v.error().message;
    EXPECT_TRUE(v->client);
    EXPECT_EQ(v->queues, 2u);

    Result<PortConfig> m = port_from_words("app1", "memif", {"socket=/tmp/m.sock", "id=3", "role=client"});
    ASSERT_TRUE(m.ok()) << m.error().message;
    EXPECT_EQ(m->id, 3u);
    EXPECT_EQ(m->role, "client");
    EXPECT_TRUE(m->secret.empty());

    Result<PortConfig> s = port_from_words("app2", "memif", {"socket=/tmp/m.sock", "secret=s3cret"});
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->secret, "s3cret");

    Result<PortConfig> d = port_from_words("gen", "dpdk", {"devargs=net_null0,size=64"});
    ASSERT_TRUE(d.ok()) << d.error().message;
    EXPECT_EQ(d->devargs, "net_null0,size=64");  // only the first '=' splits
}

// Tab completion offers a kind's keys from the loader's own list: each one offered, port add takes
// for that kind, and each one of another kind it refuses.
TEST(PortFromWords, TakesTheKeysCompletionOffers) {
    EXPECT_EQ(port_add_keys(PortType::memif), (std::vector<std::string>{"id", "lcore", "mac_limit", "queues", "role",
                                                                        "secret", "socket", "trunk", "vlan"}));
    EXPECT_EQ(port_add_keys(PortType::vtap),
              (std::vector<std::string>{"iface", "lcore", "mac_limit", "mtu", "queues", "trunk", "vlan"}));
    std::vector<std::string> every;
    for (const PortKind *k : port_kinds())
        for (const std::string &key : port_add_keys(k->type)) every.push_back(key);
    for (const PortKind *k : port_kinds()) {
        const std::vector<std::string> offered = port_add_keys(k->type);
        for (const std::string &key : every) {
            const Result<PortConfig> r = port_from_words("p", std::string(k->name), {key + "=1"});
            const std::string refusal = r.ok() ? "" : r.error().message;
            const bool refused_key = refusal.find("not a key of") != std::string::npos ||
                                     refusal.find("unknown key") != std::string::npos;
            const bool is_offered = std::find(offered.begin(), offered.end(), key) != offered.end();
            EXPECT_EQ(refused_key, !is_offered) << k->name << " " << key << ": " << refusal;
        }
    }
}

TEST(PortFromWords, Bad) {
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=v9"}),
              "port c3: iface: interface 'v9' does not exist");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "vlan10"}),
              "port c3: vlan10: expected key=value");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "=10"}), "port c3: =10: expected key=value");
    EXPECT_TRUE(starts_with(words_refusal("c3", "af_pkt", {"iface=lo"}),
                            "port c3: type: unknown port type 'af_pkt'"));
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "path=/x"}),
              "port c3: path: not a key of an af_packet port");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "colour=red"}),
              "port c3: colour: unknown key");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "trunk=10,10"}),
              "port c3: trunk[1]: duplicate VLAN 10");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "vlan=10", "trunk=20"}),
              "port c3: trunk: cannot be combined with vlan");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "vlan=1", "vlan=2"}),
              "port c3: vlan: given more than once");
    EXPECT_EQ(words_refusal("c3", "af_packet", {"iface=lo", "name=c4"}),
              "port c3: name: given more than once");
    EXPECT_TRUE(starts_with(words_refusal("c3", "af_packet", {"iface=lo", "vlan=5000"}),
                            "port c3: vlan: must be in 1..4094"));
    EXPECT_TRUE(starts_with(words_refusal("c3", "af_packet", {"iface=lo", "vlan=ten"}),
                            "port c3: vlan: expected an integer"));
    EXPECT_TRUE(starts_with(words_refusal("c3", "af_packet", {"iface=lo", "trunk="}),
                            "port c3: trunk: "));
    EXPECT_TRUE(starts_with(words_refusal("c3", "vhost", {"path=/x", "client=maybe"}),
                            "port c3: client: expected true or false"));
    EXPECT_EQ(words_refusal("c3", "vhost", {}), "port c3: path: required for a vhost port");
    EXPECT_EQ(words_refusal("m", "memif", {"socket=/x", "secret=0123456789012345678901234"}),
              "port m: secret: longer than 24 bytes, the most a memif INIT carries");
    EXPECT_TRUE(starts_with(words_refusal("bad-name", "tap", {"iface=t0"}),
                            "port bad-name: name: invalid port name"));
    // A word of `port add` is text from the control socket, where a NUL can travel.
    EXPECT_EQ(words_refusal("c3", "af_packet", {std::string("iface=lo\0zz", 11)}),
              "port c3: iface: holds a NUL byte (at offset 2): 'lo\\0zz'");
}

// ---- port type names ----------------------------------------------------------------------------

TEST(PortTypeName, RoundTrip) {
    const PortType all[] = {PortType::af_packet, PortType::af_xdp,      PortType::tap,
                            PortType::vhost,     PortType::virtio_user, PortType::memif,
                            PortType::dpdk};
    const char *const names[] = {"af_packet", "af_xdp", "tap", "vhost", "virtio_user", "memif",
                                 "dpdk"};
    for (size_t i = 0; i < std::size(all); ++i) {
        EXPECT_STREQ(port_type_name(all[i]), names[i]);
        EXPECT_EQ(port_type_from_name(names[i]), std::optional<PortType>(all[i]));
    }
    EXPECT_FALSE(port_type_from_name("AF_PACKET").has_value());
    EXPECT_FALSE(port_type_from_name("").has_value());
    EXPECT_FALSE(port_type_from_name("pcap").has_value());
}

}  // namespace
}  // namespace dsw
