// The CLI grammar (completion, unique prefixes, help's list) and the text rendered from each
// `show` command's JSON: every field of the JSON is in the text.
#include <algorithm>
#include <cctype>
#include <map>

#include <gtest/gtest.h>

#include "dpdk_switch/control/grammar.h"
#include "switch_fixture.h"

namespace dsw::test {
namespace {

using Words = std::vector<std::string>;

const CompletionNames kNames{{"alpha", "beta"},
                             {"af_packet", "af_xdp", "tap", "vhost", "virtio_user", "memif", "dpdk"},
                             {{"memif", {"id", "lcore", "role", "secret", "socket"}}, {"tap", {"iface", "mtu", "vlan"}}}};

Words complete(const Words &before, const std::string &partial) { return complete_command(before, partial, kNames).candidates; }

TEST(Grammar, CompletesCommandWordsAndKeywords) {
    EXPECT_EQ(complete({}, "sh"), Words({"show"}));
    EXPECT_EQ(complete({}, "s"), Words({"save", "set", "show"}));
    EXPECT_EQ(complete({}, "sa"), Words({"save"}));
    EXPECT_EQ(complete({"save"}, ""), Words({"config"}));
    EXPECT_EQ(complete({}, "c"), Words({"capture", "clear"}));
    EXPECT_EQ(complete({"show"}, ""), Words({"arp", "capture", "lcores", "mac", "nd", "port", "switch", "vxlan"}));
    EXPECT_EQ(complete({"sh", "po"}, ""), Words({"info", "stats"})) << "the words before may be prefixes";
    EXPECT_EQ(complete({"set", "log", "level"}, "de"), Words({"debug"}));
    EXPECT_EQ(complete({"show", "mac", "table"}, ""), Words({"vlan"}));
    EXPECT_EQ(complete({"mac", "add", "02:00:00:00:00:01", "alpha"}, ""), Words({"vlan"}));
    EXPECT_EQ(complete({"mac", "add", "02:00:00:00:00:01", "alpha", "vlan"}, ""), Words()) << "a VLAN id: nothing to offer";
    EXPECT_EQ(complete({"capture", "alpha", "/tmp/x.pcapng"}, ""), Words({"both", "count", "overwrite", "rx", "tx"}));
    EXPECT_EQ(complete({"capture", "alpha", "/tmp/x.pcapng", "overwrite"}, ""), Words({"both", "count", "rx", "tx"}));
    EXPECT_EQ(complete({"s"}, ""), Words()) << "after an ambiguous word nothing completes";
    EXPECT_EQ(complete({"frobnicate"}, ""), Words());
    EXPECT_EQ(complete({"quit"}, ""), Words());
}

TEST(Grammar, CompletesPortNamesAndKinds) {
    EXPECT_EQ(complete({"show", "port", "stats"}, ""), Words({"all", "alpha", "beta"}));
    EXPECT_EQ(complete({"show", "port", "stats"}, "al"), Words({"all", "alpha"}));
    EXPECT_EQ(complete({"clear", "port", "stats"}, "b"), Words({"beta"}));
    EXPECT_EQ(complete({"port", "del"}, ""), Words({"alpha", "beta"}));
    EXPECT_EQ(complete({"mac", "flush"}, ""), Words({"alpha", "beta"}));
    EXPECT_EQ(complete({"mac", "add", "02:00:00:00:00:01"}, ""), Words({"alpha", "beta"}));
    EXPECT_EQ(complete({"capture"}, ""), Words({"alpha", "beta", "stop"}));
    EXPECT_EQ(complete({"capture", "stop"}, ""), Words({"alpha", "beta"}));
    EXPECT_EQ(complete({"port", "add", "gamma"}, "v"), Words({"vhost", "virtio_user"}));
    EXPECT_EQ(complete({"port", "add", "gamma"}, "").size(), kNames.kinds.size());
    EXPECT_EQ(complete({"port", "add"}, ""), Words()) << "a new port's name: nothing to offer";
}

TEST(Grammar, CompletesTheKeysOfThePortKindChosen) {
    EXPECT_EQ(complete({"port", "add", "gamma", "memif"}, ""), Words({"id=", "lcore=", "role=", "secret=", "socket="}));
    EXPECT_EQ(complete({"port", "add", "gamma", "memif"}, "s"), Words({"secret=", "socket="}));
    EXPECT_EQ(complete({"port", "add", "gamma", "tap"}, ""), Words({"iface=", "mtu=", "vlan="}));
    EXPECT_EQ(complete({"po", "a", "gamma", "tap"}, "i"), Words({"iface="})) << "the words before may be prefixes";
    EXPECT_EQ(complete({"port", "add", "gamma", "memif", "socket=/tmp/m.sock", "role=client"}, ""),
              Words({"id=", "lcore=", "secret="}))
        << "a key given is not offered again";
    EXPECT_EQ(complete({"port", "add", "gamma", "memif", "socket=/tmp/m.sock"}, "so"), Words());
    EXPECT_EQ(complete({"port", "add", "gamma", "memif"}, "socket=/t"), Words()) << "a value: nothing to offer";
    EXPECT_EQ(complete({"port", "add", "gamma", "vhost"}, ""), Words()) << "a kind whose keys are unknown";
}

TEST(Grammar, APathCompletesAsAFileName) {
    const Completion c = complete_command({"capture", "alpha"}, "/tm", kNames);
    EXPECT_TRUE(c.file_name);
    EXPECT_TRUE(c.candidates.empty());
    EXPECT_FALSE(complete_command({"capture"}, "", kNames).file_name);
    EXPECT_TRUE(complete_command({"save", "config"}, "/tm", kNames).file_name);
}

std::string resolved(const std::string &line) {
    auto r = resolve_command(tokenize(line));
    if (!r) return "error: " + r.error().message;
    if (r->spec == nullptr) return "unknown";
    std::string s = r->spec->synopsis;
    for (const auto &w : r->tokens) s += " | " + w;
    return s;
}

TEST(Grammar, AcceptsUniquePrefixesOfCommandWords) {
    EXPECT_EQ(resolved("sh po st all"), "show port stats all|<port> | show | port | stats | all");
    EXPECT_EQ(resolved("show port stats all"), "show port stats all|<port> | show | port | stats | all");
    EXPECT_EQ(resolved("m a 02:00:00:00:00:01 al"), "mac add <MAC> <port>|vtep <IP> [vlan <N>] | mac | add | 02:00:00:00:00:01 | al")
        << "arguments are never expanded";
    EXPECT_EQ(resolved("sh l"), "show lcores | show | lcores");
    EXPECT_EQ(resolved("q"), "quit | quit");
    EXPECT_EQ(resolved("sa c /tmp/x.yaml"), "save config [<file>] | save | config | /tmp/x.yaml");
    EXPECT_EQ(resolved("s port stats all"), "error: ambiguous 's': save, set, show");
    EXPECT_EQ(resolved("show port i x"), "show port info all|<port> | show | port | info | x");
    EXPECT_EQ(resolved("show mac t vlan 5"), "show mac table [vlan <N>] | show | mac | table | vlan | 5");
    EXPECT_EQ(resolved("frobnicate"), "unknown");
    EXPECT_EQ(resolved("show port"), "unknown");
}

TEST(Grammar, CaptureStopIsItsOwnRowButAShorterWordIsAPortName) {
    auto stop = resolve_command({"capture", "stop", "alpha"});
    ASSERT_TRUE(stop && stop->spec != nullptr);
    EXPECT_EQ(stop->spec->id, CommandId::capture_stop);
    // `capture` alone is a command, so the word after it may be a port: "st" stays "st".
    auto cap = resolve_command({"capture", "st", "/tmp/x.pcapng"});
    ASSERT_TRUE(cap && cap->spec != nullptr);
    EXPECT_EQ(cap->spec->id, CommandId::capture);
    EXPECT_EQ(cap->tokens[1], "st");
}

TEST(Grammar, HelpListsWhatItListedBefore) {
    EXPECT_EQ(grammar_synopsis(),
              Words({"help", "show port info all|<port>", "show port stats all|<port>", "clear port stats all|<port>",
                     "show mac table [vlan <N>]", "mac add <MAC> <port>|vtep <IP> [vlan <N>]", "mac del <MAC> [vlan <N>]",
                     "mac flush [<port>]", "show switch stats", "set mac aging <seconds>", "set tx flush <microseconds>",
                     "set log level <level> [<logtype pattern>]", "show lcores", "show arp table", "show nd table",
                     "arp add <IP> <MAC> [vlan <N>]", "arp del <IP> [vlan <N>]", "port add <name> <type> key=value...",
                     "port del <name>", "show capture",
                     "capture <port> <file> [count <N>] [rx|tx|both] [overwrite] | capture stop <port>",
                     "save config [<file>]", "show vxlan", "vxlan vtep add <IP> [vni <N>]", "vxlan vtep del <IP> [vni <N>]",
                     "quit"}));
}

TEST(Grammar, EveryCommandHasOneRow) {
    std::vector<int> rows(static_cast<size_t>(CommandId::quit) + 1, 0);
    for (const CommandSpec &c : command_table()) {
        ++rows.at(static_cast<size_t>(c.id));
        EXPECT_LE(c.min_tokens, c.max_tokens) << c.synopsis;
        EXPECT_GE(c.min_tokens, c.words.size()) << c.synopsis;
    }
    for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(rows[i], 1) << "command id " << i;
}

// --- the text of each `show` against its JSON -------------------------------------------------

std::string normalized(std::string s) {
    for (char &c : s) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Every key of the JSON (objects inside arrays and objects included).
void keys_of(const nlohmann::json &j, std::vector<std::string> &out) {
    if (j.is_array())
        for (const auto &e : j) keys_of(e, out);
    if (!j.is_object()) return;
    for (const auto &[k, v] : j.items()) {
        out.push_back(k);
        keys_of(v, out);
    }
}

// Fields the text shows under testpmd-style words rather than their JSON name.
const std::map<std::string, std::string> kShownAs = {
    {"name", "port"}, {"drops", "drop"}, {"port_id", "ethdev"}, {"link_up", "link"}, {"link_speed_mbps", "speed"},
    {"mac_entries", "mac table"}, {"mac_capacity", "mac table"}, {"mac_aging_s", "aging"}, {"pool", "mbufs"},
    {"static", "type"}, {"age_s", "age"}, {"lcores", "lcore"}, {"role", "worker"}, {"busy_pct", "busy"},
    {"cycles_per_packet", "cycles/packet"}, {"tx_bursts", "tx bursts"}, {"frames_per_tx_burst", "frames"},
    {"captures", "written"}, {"file", "->"}, {"port", "->"}, {"ports", "port"}};

TEST_F(SwitchTest, TheTextOfEveryShowHasEveryFieldOfItsJson) {
    const uint64_t multicast_src = mac(0x01, 0, 0x5e, 0, 0, 1);
    run({{eth_frame(kBcast, kA), eth_frame(kA, multicast_src)}, {eth_frame(kA, kB)}},
        {"arp add 10.0.0.1 02:00:00:00:00:0a", "capture p0 " + file("p0.pcapng") + " count 5",
         "show port stats all", "show port info all", "show switch stats", "show mac table", "show arp table",
         "show nd table", "show lcores", "show capture", "capture stop p0"});
    size_t checked = 0;
    for (size_t i = 2; i + 1 < replies_.size(); ++i) {
        const Reply &r = replies_[i];
        ASSERT_TRUE(r.ok) << i << ": " << r.text;
        const std::string text = normalized(r.text);
        std::vector<std::string> keys;
        keys_of(r.json, keys);
        for (const auto &k : keys) {
            auto alias = kShownAs.find(k);
            const std::string label = text.find(normalized(k)) != std::string::npos || alias == kShownAs.end() ? k : alias->second;
            EXPECT_NE(text.find(normalized(label)), std::string::npos) << "'" << k << "' is not in the text of reply " << i
                                                                       << ":\n" << r.text << "\n" << r.json.dump();
            ++checked;
        }
    }
    EXPECT_GT(checked, 60u);
    // What the text of `show switch stats` used to leave out.
    EXPECT_NE(replies_[4].text.find("static_conflicts: 0"), std::string::npos) << replies_[4].text;
    EXPECT_NE(replies_[4].text.find("learn_port_limit: 0"), std::string::npos) << replies_[4].text;
    EXPECT_NE(replies_[2].text.find("src_mac_multicast=1"), std::string::npos) << replies_[2].text;
}

}  // namespace
}  // namespace dsw::test
