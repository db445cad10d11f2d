// `save config`: the YAML writer against the loader (every key written reads back as it was),
// the running switch saved and started again (the same ports, tables and settings), and the
// file written whole or not at all, never through a link nor over something that is not a file.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "../../dpdk_switch/control/config_fields.h"
#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/config_writer.h"
#include "dpdk_switch/control/file_replace.h"
#include "dpdk_switch/control/running_config.h"
#include "dpdk_switch/control/switch.h"

namespace dsw {
namespace {

namespace fs = std::filesystem;

// A directory of its own under /tmp, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/dswm-save-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
    std::string file(const std::string &name) const { return (path / name).string(); }
};

std::string read(const std::string &path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void expect_same(const Config &x, const Config &y) {
    EXPECT_EQ(x.eal, y.eal);
    EXPECT_EQ(x.sw, y.sw);
    ASSERT_EQ(x.ports.size(), y.ports.size());
    for (size_t i = 0; i < x.ports.size(); ++i) EXPECT_EQ(x.ports[i], y.ports[i]) << "ports[" << i << "] " << x.ports[i].name;
    EXPECT_EQ(x.static_macs, y.static_macs);
    EXPECT_EQ(x.arp, y.arp);
    EXPECT_EQ(x.vxlan, y.vxlan);
}

PortConfig port(const std::string &name, PortType type) {
    PortConfig p;
    p.name = name;
    p.type = type;
    return p;
}

// Every key of every section away from its default, and strings YAML would read as other things.
Config every_key() {
    Config c;
    c.eal = EalConfig{"0-3", false, 1024, "dswm_every", {"--log-level", "dsw.*:debug"}};
    c.sw.arp_proxy = false;
    c.sw.ctl_socket = "/run/dswm-every.sock";
    c.sw.metrics = "127.0.0.1:9417";
    c.sw.burst = 16;
    c.sw.mac_table_size = 4096;
    c.sw.mac_aging_s = 0;
    c.sw.mbufs = 20000;
    c.sw.idle_sleep_us = 50;
    c.sw.tx_flush_us = 100;
    PortConfig dpdk = port("null", PortType::dpdk);   // a port named like YAML's null
    dpdk.devargs = "net_ring0,nodeaction=r0:0:CREATE";
    dpdk.queues = 2;
    dpdk.lcore = 1;
    dpdk.vlan = 10;
    dpdk.mac_limit = 5;
    dpdk.storm_broadcast_pps = 1;
    dpdk.storm_multicast_pps = 2;
    dpdk.storm_unknown_unicast_pps = 3;
    PortConfig afp = port("true", PortType::af_packet);
    afp.iface = "lo";
    afp.mtu = 9000;
    afp.trunk = {20, 30};
    PortConfig tap = port("t0", PortType::tap);
    tap.iface = "123";
    tap.mtu = 1400;
    PortConfig vhost = port("vm1", PortType::vhost);
    vhost.path = "/run/dswm vm1.sock";
    vhost.client = true;
    PortConfig memif = port("app1", PortType::memif);
    memif.socket = "/run/dswm-memif.sock";
    memif.id = 7;
    memif.role = "client";
    memif.secret = "s3 cret";
    memif.storm_multicast_pps = 9;
    PortConfig vu = port("vu", PortType::virtio_user);
    vu.path = "/run/dswm-vu.sock";
    c.ports = {dpdk, afp, tap, vhost, memif, vu};
    c.static_macs = {StaticMac{"02:00:00:00:00:01", "null", 10}, StaticMac{"02:00:00:00:00:02", "true", 20},
                     StaticMac{"02:00:00:00:00:04", "", 30, "192.168.50.9"}};
    c.arp = {StaticArp{"10.0.0.1", "02:00:00:00:00:01", 10}, StaticArp{"10.0.0.2", "02:00:00:00:00:03", std::nullopt}};
    c.vxlan.enabled = true;
    c.vxlan.local_ip = "192.168.50.1";
    c.vxlan.prefix_len = 24;
    c.vxlan.gateway = "192.168.50.254";
    c.vxlan.udp_port = 8472;
    c.vxlan.underlay = "t0";
    c.vxlan.learn_vteps = false;
    c.vxlan.vni_map = {{10, 1010, {"192.168.50.2", "10.9.0.3"}}, {30, 1030, {}}};
    return c;
}

TEST(ConfigWriter, EveryKeyReadsBackAsItWas) {
    const Config c = every_key();
    const std::string text = config_to_yaml(c, "a header");
    auto back = parse_config(text, "saved.yaml");
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
    expect_same(back.value(), c);
    EXPECT_EQ(text.rfind("# a header", 0), 0u) << text;
    // Every key of the loader's tables is written (here each differs from its default).
    for (const auto &f : config_detail::kSwitchUints) EXPECT_NE(text.find(std::string(f.key) + ":"), std::string::npos) << f.key;
    for (const auto &f : config_detail::kPortUints) EXPECT_NE(text.find(std::string(f.key) + ":"), std::string::npos) << f.key;
    for (const auto &f : config_detail::kStormUints) EXPECT_NE(text.find(std::string(f.key) + ":"), std::string::npos) << f.key;
}

TEST(ConfigWriter, DefaultsReadBackAndPortsCarryOnlyTheirKeys) {
    Config c;
    PortConfig p = port("p0", PortType::dpdk);
    p.devargs = "net_null0";
    c.ports = {p};
    const std::string text = config_to_yaml(c);
    auto back = parse_config(text, "saved.yaml");
    ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
    expect_same(back.value(), c);
    EXPECT_NE(text.find(R"({name: "p0", type: "dpdk", devargs: "net_null0"})"), std::string::npos) << text;
}

// --- the running switch --------------------------------------------------------------------------

std::string reply_error(const Reply &r) { return r.ok ? "" : r.json.dump(); }

TEST(SaveConfig, TheRunningSwitchStartsAgainFromWhatItSaved) {
    TempDir dir;
    const std::string file = dir.file("switch.yaml");
    {
        std::ofstream out(file);
        out << "switch: { mac_aging_s: 300 }\n"
               "ports:\n"
               "  - { name: p0, type: dpdk, devargs: net_null_dswm0, mac_limit: 9 }\n"
               "  - { name: p1, type: dpdk, devargs: net_null_dswm1, trunk: [10, 20] }\n"
               "static_macs: [ { mac: \"02:00:00:00:00:01\", port: p0 } ]\n";
    }
    auto cfg = load_config_file(file);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_EQ(cfg.value().path, file);
    ::chmod(file.c_str(), 0640);
    Config saved_expected;
    {
        auto sw = Switch::create(cfg.value());
        ASSERT_TRUE(sw.ok()) << sw.error().message;
        ASSERT_TRUE(sw.value()->start().ok());
        Switch &s = *sw.value();
        for (const char *line : {"port add p2 dpdk devargs=net_null_dswm2 vlan=10 storm_broadcast=0",
                                 "port add p2 dpdk devargs=net_null_dswm2 vlan=10 mac_limit=7",
                                 "port add p3 dpdk devargs=net_null_dswm3",
                                 "port del p3",
                                 "mac add 02:00:00:00:00:0a p2",
                                 "mac add 02:00:00:00:00:0b p1 vlan 20",
                                 "arp add 10.0.0.9 02:00:00:00:00:0a vlan 10",
                                 "arp add 10.0.0.8 02:00:00:00:00:01",
                                 "set mac aging 77",
                                 "set tx flush 5"}) {
            const Reply r = run_command(s, line);
            // The first line is a refusal on purpose (no such key): nothing of it may be saved.
            if (std::string(line).find("storm_broadcast") == std::string::npos) {
                EXPECT_TRUE(r.ok) << line << ": " << reply_error(r);
            }
        }
        const Reply saved = run_command(s, "save config");
        ASSERT_TRUE(saved.ok) << reply_error(saved);
        EXPECT_EQ(saved.json["file"], file);
        EXPECT_EQ(saved.json["ports"], 3);
        EXPECT_EQ(saved.json["static_macs"], 3);
        EXPECT_EQ(saved.json["arp"], 2);
        EXPECT_EQ(saved.text, "running config saved to " + file + " (3 ports, 3 static MACs, 2 static ARP bindings)");
        saved_expected = running_config(s);
        s.stop();
    }
    struct stat st{};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u) << "the old file's mode is kept";
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 1) << "no temporary file left";

    auto again = load_config_file(file);
    ASSERT_TRUE(again.ok()) << again.error().message << "\n" << read(file);
    const Config &c = again.value();
    EXPECT_EQ(c.sw.mac_aging_s, 77u);
    EXPECT_EQ(c.sw.tx_flush_us, 5u);
    ASSERT_EQ(c.ports.size(), 3u);
    EXPECT_EQ(c.ports[0].mac_limit, 9u);
    EXPECT_EQ(c.ports[1].trunk, (std::vector<uint16_t>{10, 20}));
    EXPECT_EQ(c.ports[2].name, "p2");
    EXPECT_EQ(c.ports[2].vlan, 10);
    EXPECT_EQ(c.ports[2].mac_limit, 7u);
    EXPECT_EQ(c.static_macs, (std::vector<StaticMac>{{"02:00:00:00:00:01", "p0", 0},
                                                     {"02:00:00:00:00:0b", "p1", 20},
                                                     {"02:00:00:00:00:0a", "p2", 10}}));
    EXPECT_EQ(c.arp, (std::vector<StaticArp>{{"10.0.0.8", "02:00:00:00:00:01", 0}, {"10.0.0.9", "02:00:00:00:00:0a", 10}}));

    // Started from it, the switch is the one that saved it.
    auto sw2 = Switch::create(c);
    ASSERT_TRUE(sw2.ok()) << sw2.error().message;
    ASSERT_TRUE(sw2.value()->start().ok());
    const Config running = running_config(*sw2.value());
    expect_same(running, saved_expected);
    EXPECT_EQ(sw2.value()->mac_aging_s(), 77u);
    EXPECT_EQ(sw2.value()->tx_flush_us(), 5u);
    sw2.value()->stop();
}

TEST(SaveConfig, OnTheEmbeddedDefaultItNeedsAFileAndAnAbsolutePath) {
    TempDir dir;
    Config cfg;   // as main() runs without --config
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    const Reply none = run_command(*sw.value(), "save config");
    EXPECT_FALSE(none.ok);
    EXPECT_NE(none.text.find("started without --config (on the embedded default)"), std::string::npos) << none.text;
    const Reply relative = run_command(*sw.value(), "save config saved.yaml");
    EXPECT_FALSE(relative.ok);
    EXPECT_NE(relative.text.find("'saved.yaml' is a relative path"), std::string::npos) << relative.text;
    const std::string file = dir.file("saved.yaml");
    const Reply given = run_command(*sw.value(), "save config " + file);
    ASSERT_TRUE(given.ok) << given.text;
    auto back = load_config_file(file);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back.value().ports.empty());
    EXPECT_EQ(back.value().eal, cfg.eal);
    EXPECT_EQ(back.value().sw, cfg.sw);
}

// A memif secret is a credential: a new file that holds one is its owner's alone; without one a
// new file is made as before (0644 less the umask).
TEST(SaveConfig, ANewFileHoldingASecretIsReadableByItsOwnerAlone) {
    TempDir dir;
    Config cfg;
    auto sw = Switch::create(cfg);
    ASSERT_TRUE(sw.ok()) << sw.error().message;
    Switch &s = *sw.value();
    ASSERT_TRUE(s.start().ok());
    const mode_t mask = ::umask(022);
    const std::string plain = dir.file("plain.yaml"), secret = dir.file("secret.yaml");
    const Reply p = run_command(s, "save config " + plain);
    const Reply add = run_command(s, "port add m1 memif socket=" + dir.file("m1.sock") + " secret=s3cret");
    const Reply sec = run_command(s, "save config " + secret);
    ::umask(mask);
    s.stop();
    ASSERT_TRUE(p.ok) << p.text;
    ASSERT_TRUE(add.ok) << add.text;
    ASSERT_TRUE(sec.ok) << sec.text;
    struct stat st{};
    ASSERT_EQ(::stat(plain.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0644u);
    ASSERT_EQ(::stat(secret.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600u) << "a secret must not be readable by others";
    EXPECT_NE(read(secret).find("s3cret"), std::string::npos) << "the secret is the user's config: it is saved";
}

// --- the file ------------------------------------------------------------------------------------

TEST(ReplaceFile, RefusesWhatIsNotARegularFileAndLeavesItAlone) {
    TempDir dir;
    const std::string precious = dir.file("precious.txt"), link = dir.file("link.yaml");
    { std::ofstream(precious) << "keep me\n"; }
    ASSERT_EQ(::symlink(precious.c_str(), link.c_str()), 0);
    Status st = replace_file(link, "x: 1\n");
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().message, link + ": is a symbolic link, not a regular file: refusing to replace it");
    EXPECT_EQ(read(precious), "keep me\n");
    EXPECT_TRUE(fs::is_symlink(link));

    const std::string sub = dir.file("sub");
    fs::create_directory(sub);
    st = replace_file(sub, "x: 1\n");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("is a directory"), std::string::npos) << st.error().message;

    const std::string fifo = dir.file("fifo");
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    st = replace_file(fifo, "x: 1\n");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("is a FIFO"), std::string::npos) << st.error().message;

    st = replace_file(dir.file("nodir/x.yaml"), "x: 1\n");
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("cannot open its directory"), std::string::npos) << st.error().message;
    // Nothing was made beside what the test made.
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 4);
}

TEST(ReplaceFile, ReplacesAFileWholeKeepingItsModeAndMakesANewOne) {
    TempDir dir;
    const std::string file = dir.file("c.yaml");
    { std::ofstream(file) << "old\n"; }
    ::chmod(file.c_str(), 0604);
    ASSERT_TRUE(replace_file(file, "new\n").ok());
    EXPECT_EQ(read(file), "new\n");
    struct stat st{};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0604u);
    const std::string fresh = dir.file("fresh.yaml");
    ASSERT_TRUE(replace_file(fresh, "fresh\n").ok());
    EXPECT_EQ(read(fresh), "fresh\n");
    EXPECT_EQ(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()), 2);
}

}  // namespace
}  // namespace dsw
