#include "dpdk_switch/control/commands.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <fstream>
#include <optional>
#include <variant>
#include <cinttypes>
#include <functional>
#include <sstream>

#include <rte_ethdev.h>
#include <rte_log.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/validate.h"
#include "dpdk_switch/limits.h"

namespace dsw {

using nlohmann::json;
using Args = std::vector<std::string>;

Reply Reply::error(const std::string &message) {
    Reply r;
    r.ok = false;
    r.json = nlohmann::json{{"error", message}};
    r.text = "error: " + message;
    return r;
}

std::vector<std::string> tokenize(const std::string &line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

namespace {

std::optional<unsigned long> parse_uint(const std::string &s, unsigned long max) {
    unsigned long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v > max) return std::nullopt;
    return v;
}

// "all" or one port name -> the ports it selects, or an error naming the unknown port.
std::variant<std::vector<const SwitchPort *>, Reply> select_ports(Switch &sw, const std::string &which) {
    if (which == "all") return sw.ports();
    if (const SwitchPort *sp = sw.port(which)) return std::vector<const SwitchPort *>{sp};
    return Reply::error("no port named '" + which + "'");
}

json drops_json(const std::array<uint64_t, kDropReasons> &drops) {
    json d = json::object();
    for (unsigned r = 0; r < kDropReasons; ++r)
        if (drops[r] != 0) d[kDropReasonNames[r]] = drops[r];
    return d;
}

// The kernel's own counters of a kernel-backed port's interface (the veth host end), beside the
// switch's: the frames the interface passed up that the switch never read.
json kernel_counters(const PortConfig &pc) {
    if (!port_kind(pc.type).kernel_iface) return nullptr;
    json k = json::object();
    for (const char *name : {"rx_packets", "rx_dropped", "tx_packets", "tx_dropped"}) {
        std::ifstream in("/sys/class/net/" + pc.iface + "/statistics/" + name);
        uint64_t v = 0;
        if (!(in >> v)) return nullptr;   // the interface is gone
        k[name] = v;
    }
    return k;
}

Reply show_port_stats(Switch &sw, const Args &a) {
    auto sel = select_ports(sw, a[3]);
    if (auto *err = std::get_if<Reply>(&sel)) return *err;
    Reply r;
    r.json["ports"] = json::array();
    std::ostringstream t;
    for (const SwitchPort *sp : std::get<0>(sel)) {
        const PortTotals p = sw.port_totals(sp->index);
        const Switch::PortRates rate = sw.port_rates(sp->index);
        const std::string &name = sp->eth->config().name;
        r.json["ports"].push_back({{"name", name},
                                   {"rx_packets", p.rx_packets},
                                   {"tx_packets", p.tx_packets},
                                   {"rx_bytes", p.rx_bytes},
                                   {"tx_bytes", p.tx_bytes},
                                   {"rx_pps", static_cast<uint64_t>(rate.rx_pps)},
                                   {"tx_pps", static_cast<uint64_t>(rate.tx_pps)},
                                   {"rx_bps", static_cast<uint64_t>(rate.rx_bps)},
                                   {"tx_bps", static_cast<uint64_t>(rate.tx_bps)},
                                   {"drops", drops_json(p.drops)}});
        // What the PMD lost before the switch saw it (ring overruns, an empty mbuf pool, errors):
        // counted by the device, shown here so that no loss goes unseen.
        rte_eth_stats es{};
        if (sp->eth->stats(es) == 0)
            r.json["ports"].back()["pmd"] = {{"imissed", es.imissed},
                                             {"ierrors", es.ierrors},
                                             {"rx_nombuf", es.rx_nombuf},
                                             {"oerrors", es.oerrors}};
        json kernel = kernel_counters(sp->eth->config());
        // Of those, the frames the kernel dropped because the socket's RX ring was full
        // (af_packet, af_xdp): the PMD counts none of them (not as imissed either), and they
        // are a loss like any other.
        const std::optional<uint64_t> ring_full = sw.port_ring_drops(sp->index);
        if (ring_full) {
            if (kernel.is_null()) kernel = json::object();
            kernel["rx_ring_full"] = *ring_full;
        }
        if (!kernel.is_null()) r.json["ports"].back()["kernel"] = kernel;
        uint64_t dropped = 0;
        for (uint64_t d : p.drops) dropped += d;
        t << "  ######## port " << name << " ########\n"
          << "  RX-packets: " << p.rx_packets << "  RX-bytes: " << p.rx_bytes << "\n"
          << "  TX-packets: " << p.tx_packets << "  TX-bytes: " << p.tx_bytes << "\n"
          << "  Throughput (since last show)\n"
          << "  Rx-pps: " << static_cast<uint64_t>(rate.rx_pps) << "  Rx-bps: " << static_cast<uint64_t>(rate.rx_bps) << "\n"
          << "  Tx-pps: " << static_cast<uint64_t>(rate.tx_pps) << "  Tx-bps: " << static_cast<uint64_t>(rate.tx_bps) << "\n"
          << "  PMD: imissed " << es.imissed << "  ierrors " << es.ierrors << "  rx_nombuf " << es.rx_nombuf
          << "  oerrors " << es.oerrors << "\n";
        if (ring_full) t << "  Kernel: rx_ring_full " << *ring_full << " (dropped by the kernel: the socket's RX ring was full)\n";
        t << "  Dropped:    " << dropped;
        for (unsigned k = 0; k < kDropReasons; ++k)
            if (p.drops[k] != 0) t << "  " << kDropReasonNames[k] << "=" << p.drops[k];
        t << "\n";
    }
    r.text = t.str();
    return r;
}

Reply clear_port_stats(Switch &sw, const Args &a) {
    auto sel = select_ports(sw, a[3]);
    if (auto *err = std::get_if<Reply>(&sel)) return *err;
    for (const SwitchPort *sp : std::get<0>(sel)) sw.clear_port_stats(sp->index);
    Reply r;
    r.json = {{"ok", true}};
    r.text = "port stats cleared";
    return r;
}

// Ports whose link is a software peer: link up means the peer is connected (vhost: a
// virtio-user/VM attached its rings; memif: the other side connected; virtio_user: the backend
// accepted us). Other kinds have no peer to show.
const char *peer_state(PortType t, bool link_up) {
    if (!port_kind(t).peer) return nullptr;
    return link_up ? "connected" : "disconnected";
}

std::string attached_to(const PortConfig &pc) {
    const PortKind &k = port_kind(pc.type);
    return k.peer_of != nullptr ? k.peer_of(pc) : "";
}

Reply show_port_info(Switch &sw, const Args &a) {
    auto sel = select_ports(sw, a[3]);
    if (auto *err = std::get_if<Reply>(&sel)) return *err;
    Reply r;
    r.json["ports"] = json::array();
    std::ostringstream t;
    for (const SwitchPort *sp : std::get<0>(sel)) {
        const Port &e = *sp->eth;
        rte_eth_link link{};
        e.link(link);
        rte_ether_addr addr{};
        e.mac_addr(addr);
        const std::string mac = mac_to_string(mac_from_bytes(addr.addr_bytes));
        const PortConfig &pc = e.config();
        const bool up = link.link_status == RTE_ETH_LINK_UP;
        const char *peer = peer_state(pc.type, up);
        r.json["ports"].push_back({{"name", pc.name},
                                   {"type", port_type_name(pc.type)},
                                   {"port_id", e.id()},
                                   {"lcore", sp->lcore},
                                   {"link_up", link.link_status == RTE_ETH_LINK_UP && !sp->iface_gone},
                                   {"link_speed_mbps", link.link_speed},
                                   {"mac", mac},
                                   {"vlan", pc.vlan},
                                   {"devargs", e.devargs()},
                                   {"rx_desc", e.rx_desc()},
                                   {"tx_desc", e.tx_desc()}});
        if (peer != nullptr) r.json["ports"].back()["peer"] = peer;
        t << "  ******** port " << pc.name << " ********\n"
          << "  type: " << port_type_name(pc.type) << "   ethdev: " << e.id() << "   lcore: " << sp->lcore << "\n"
          << "  link: " << (sp->iface_gone ? "down (interface gone)" : link.link_status == RTE_ETH_LINK_UP ? "up" : "down")
          << "   speed: " << link.link_speed
          << " Mbps   MAC: " << mac << "\n"
          << "  devargs: " << e.devargs() << "\n";
        if (peer != nullptr) t << "  peer: " << peer << " (" << attached_to(pc) << ")\n";
    }
    r.text = t.str();
    return r;
}

std::optional<uint16_t> vlan_arg(const Args &a, size_t at, std::string &err) {
    if (a.size() <= at) return uint16_t{0};
    if (a[at] != "vlan" || a.size() != at + 2) {
        err = "expected 'vlan <0-4094>' after the arguments";
        return std::nullopt;
    }
    auto v = parse_uint(a[at + 1], 4094);
    if (!v) err = "bad VLAN id '" + a[at + 1] + "' (0-4094)";
    return v ? std::optional<uint16_t>(static_cast<uint16_t>(*v)) : std::nullopt;
}

Reply show_mac_table(Switch &sw, const Args &a) {
    std::string err;
    std::optional<uint16_t> only_vlan;
    if (a.size() > 3) {
        only_vlan = vlan_arg(a, 3, err);
        if (!only_vlan) return Reply::error(err);
    }
    Reply r;
    r.json["entries"] = json::array();
    std::ostringstream t;
    t << "  MAC                VLAN  PORT             TYPE     AGE\n";
    unsigned shown = 0;
    for (const MacRecord &m : sw.macs().records()) {
        if (only_vlan && key_vlan(m.key) != *only_vlan) continue;
        const std::string mac = mac_to_string(key_mac(m.key)), port = sw.port_name(m.port);
        r.json["entries"].push_back({{"mac", mac},
                                     {"vlan", key_vlan(m.key)},
                                     {"port", port},
                                     {"static", m.is_static},
                                     {"age_s", m.age_s}});
        char line[128];
        std::snprintf(line, sizeof line, "  %-17s  %4u  %-16s %-7s  %u\n", mac.c_str(), key_vlan(m.key), port.c_str(),
                      m.is_static ? "static" : "dynamic", m.age_s);
        t << line;
        ++shown;
    }
    t << "  " << shown << " entries";
    r.text = t.str();
    return r;
}

// The checks of a config's static_macs: entry (validate.h), in the same words.
Reply mac_add(Switch &sw, const Args &a) {
    auto mac = parse_unicast_mac(a[2]);
    if (!mac) return Reply::error(mac.error().message);
    const SwitchPort *sp = sw.port(a[3]);
    if (sp == nullptr) return Reply::error("no port named '" + a[3] + "'");
    std::string err;
    std::optional<uint16_t> given;
    if (a.size() > 4) {
        given = vlan_arg(a, 4, err);
        if (!given) return Reply::error(err);
    }
    auto vlan = static_mac_vlan(sp->eth->config(), given);
    if (!vlan) return Reply::error(vlan.error().message);
    if (auto st = sw.macs().add_static(make_mac_key(*mac, *vlan), static_cast<uint16_t>(sp->index)); !st)
        return Reply::error(st.error().message);
    Reply r;
    r.json = {{"ok", true}};
    r.text = "static MAC " + mac_to_string(*mac) + " -> " + a[3] + " (VLAN " + std::to_string(*vlan) + ")";
    return r;
}

Reply mac_del(Switch &sw, const Args &a) {
    auto mac = mac_from_string(a[2]);
    if (!mac) return Reply::error("bad MAC address '" + a[2] + "'");
    std::string err;
    auto vlan = vlan_arg(a, 3, err);
    if (!vlan) return Reply::error(err);
    if (!sw.macs().remove(make_mac_key(*mac, *vlan))) return Reply::error("MAC " + a[2] + " is not in the table");
    Reply r;
    r.json = {{"ok", true}};
    r.text = "deleted " + a[2];
    return r;
}

Reply mac_flush(Switch &sw, const Args &a) {
    int port = -1;
    if (a.size() == 3) {
        const SwitchPort *sp = sw.port(a[2]);
        if (sp == nullptr) return Reply::error("no port named '" + a[2] + "'");
        port = static_cast<int>(sp->index);
    }
    const unsigned n = sw.macs().flush(port);
    Reply r;
    r.json = {{"ok", true}, {"flushed", n}};
    r.text = "flushed " + std::to_string(n) + " dynamic entries";
    return r;
}

Reply show_switch_stats(Switch &sw, const Args &) {
    const SwitchTotals s = sw.switch_totals();
    Reply r;
    r.json = {{"learned", s.learned},
              {"moves", s.moves},
              {"flooded", s.flooded},
              {"learn_table_full", s.learn_table_full},
              {"static_conflicts", s.static_conflicts},
              {"learn_port_limit", s.learn_port_limit},
              {"arp_proxy_replies", s.arp_proxy_replies},
              {"arp_learned", s.arp_learned},
              {"arp_moves", s.arp_moves},
              {"nd_proxy_replies", s.nd_proxy_replies},
              {"nd_learned", s.nd_learned},
              {"nd_moves", s.nd_moves},
              {"mac_entries", sw.macs().size()},
              {"mac_capacity", sw.macs().capacity()},
              {"mac_aging_s", sw.mac_aging_s()},
              {"mbufs", {{"pool", sw.pool_mbufs()},
                         {"free", rte_mempool_avail_count(sw.pool())},
                         {"committed", sw.mbufs_committed()}}},
              {"drops", drops_json(s.drops)}};
    std::ostringstream t;
    t << "  learned: " << s.learned << "  moves: " << s.moves << "  flooded: " << s.flooded
      << "  learn_table_full: " << s.learn_table_full << "\n"
      << "  arp_proxy_replies: " << s.arp_proxy_replies << "  arp_learned: " << s.arp_learned
      << "  arp_moves: " << s.arp_moves << "\n"
      << "  nd_proxy_replies: " << s.nd_proxy_replies << "  nd_learned: " << s.nd_learned
      << "  nd_moves: " << s.nd_moves << "\n"
      << "  MAC table: " << sw.macs().size() << " / " << sw.macs().capacity() << " entries, aging "
      << sw.mac_aging_s() << " s\n  mbufs: " << rte_mempool_avail_count(sw.pool()) << " free of "
      << sw.pool_mbufs() << ", " << sw.mbufs_committed() << " committed to ports\n  drops:";
    for (unsigned k = 0; k < kDropReasons; ++k) t << " " << kDropReasonNames[k] << "=" << s.drops[k];
    r.text = t.str();
    return r;
}

Reply set_mac_aging(Switch &sw, const Args &a) {
    auto s = parse_uint(a[3], 1000000);
    if (!s) return Reply::error("bad aging time '" + a[3] + "' (seconds, 0 = never)");
    sw.set_mac_aging(static_cast<unsigned>(*s));
    Reply r;
    r.json = {{"ok", true}, {"mac_aging_s", *s}};
    r.text = "MAC aging set to " + a[3] + " s";
    return r;
}

Reply set_tx_flush(Switch &sw, const Args &a) {
    auto us = parse_uint(a[3], kMaxTxFlushUs);
    if (!us)
        return Reply::error("bad TX hold '" + a[3] + "' (microseconds, 0.." + std::to_string(kMaxTxFlushUs) +
                            ", 0 = send every loop)");
    sw.set_tx_flush_us(static_cast<unsigned>(*us));
    Reply r;
    r.json = {{"ok", true}, {"tx_flush_us", *us}};
    r.text = "TX batches held up to " + a[3] + " us";
    return r;
}

Reply show_lcores(Switch &sw, const Args &) {
    Reply r;
    r.json["lcores"] = json::array();
    r.json["tx_flush_us"] = sw.tx_flush_us();
    std::ostringstream t;
    t << "  TX hold (tx_flush_us): " << sw.tx_flush_us() << " us\n";
    for (const LcoreTotals &l : sw.lcore_totals()) {
        const uint64_t total = l.busy_cycles + l.idle_cycles;
        const double busy_pct = total ? 100.0 * static_cast<double>(l.busy_cycles) / static_cast<double>(total) : 0.0;
        const double cpp = l.packets ? static_cast<double>(l.busy_cycles) / static_cast<double>(l.packets) : 0.0;
        const double per_send = l.tx_bursts ? static_cast<double>(l.tx_offered) / static_cast<double>(l.tx_bursts) : 0.0;
        r.json["lcores"].push_back({{"lcore", l.lcore},
                                    {"role", "worker"},
                                    {"ports", l.ports},
                                    {"packets", l.packets},
                                    {"polls", l.polls},
                                    {"busy_cycles", l.busy_cycles},
                                    {"idle_cycles", l.idle_cycles},
                                    {"busy_pct", busy_pct},
                                    {"cycles_per_packet", cpp},
                                    {"tx_bursts", l.tx_bursts},
                                    {"frames_per_tx_burst", per_send}});
        t << "  lcore " << l.lcore << ": ports";
        for (const auto &p : l.ports) t << " " << p;
        char line[200];
        std::snprintf(line, sizeof line,
                      "\n    packets %" PRIu64 "  busy %.1f%%  %.1f cycles/packet  %" PRIu64 " TX bursts of %.1f frames\n",
                      l.packets, busy_pct, cpp, l.tx_bursts, per_send);
        t << line;
    }
    r.text = t.str();
    return r;
}

// port add <name> <type> key=value...: the keys and checks of a config port (port_from_words).
Reply port_add(Switch &sw, const Args &a) {
    auto pc = port_from_words(a[2], a[3], Args(a.begin() + 4, a.end()));
    if (!pc) return Reply::error(pc.error().message);
    auto index = sw.add_port(pc.value());
    if (!index) return Reply::error(index.error().message);
    const SwitchPort *sp = sw.port(index.value());
    Reply r;
    r.json = {{"ok", true}, {"name", a[2]}, {"port_id", sp->eth->id()}, {"lcore", sp->lcore}};
    r.text = "port " + a[2] + " added (" + std::string(port_type_name(pc->type)) + ", ethdev " +
             std::to_string(sp->eth->id()) + ", lcore " + std::to_string(sp->lcore) + ")";
    return r;
}

Reply port_del(Switch &sw, const Args &a) {
    if (auto st = sw.del_port(a[2]); !st) return Reply::error(st.error().message);
    Reply r;
    r.json = {{"ok", true}};
    r.text = "port " + a[2] + " deleted";
    return r;
}

// `show arp table` (IPv4) and `show nd table` (IPv6): the proxies' bindings of one family.
Reply show_bindings(Switch &sw, bool v6) {
    if (sw.arp() == nullptr) return Reply::error("the ARP/ND proxy is off (switch.arp_proxy: false)");
    Reply r;
    r.json["entries"] = json::array();
    std::ostringstream t;
    char line[200];
    std::snprintf(line, sizeof line, "  %-39s  %-17s  VLAN  %-16s TYPE\n", "IP", "MAC", "PORT");
    t << line;
    unsigned shown = 0;
    for (const ArpRecord &a : sw.arp()->records()) {
        if (a.v6 != v6) continue;
        const std::string ip = v6 ? ipv6_to_string(a.ip6) : ipv4_to_string(a.ip), mac = mac_to_string(a.binding.mac);
        // A binding's port is where its MAC is now; a static binding may have none yet.
        std::string port;
        if (auto m = sw.macs().find_record(make_mac_key(a.binding.mac, a.vlan))) port = sw.port_name(m->port);
        r.json["entries"].push_back({{"ip", ip}, {"mac", mac}, {"vlan", a.vlan}, {"port", port},
                                     {"static", a.binding.is_static}});
        std::snprintf(line, sizeof line, "  %-39s  %-17s  %4u  %-16s %s\n", ip.c_str(), mac.c_str(), a.vlan,
                      port.empty() ? "-" : port.c_str(), a.binding.is_static ? "static" : "dynamic");
        t << line;
        ++shown;
    }
    t << "  " << shown << " entries";
    r.text = t.str();
    return r;
}

Reply show_arp_table(Switch &sw, const Args &) { return show_bindings(sw, false); }
Reply show_nd_table(Switch &sw, const Args &) { return show_bindings(sw, true); }

Reply arp_add(Switch &sw, const Args &a) {
    if (sw.arp() == nullptr) return Reply::error("the ARP proxy is off (switch.arp_proxy: false)");
    // The checks of a config's arp: entry (validate.h), in the same words.
    auto ip = parse_unicast_ipv4(a[2]);
    if (!ip) return Reply::error(ip.error().message);
    auto mac = parse_unicast_mac(a[3]);
    if (!mac) return Reply::error(mac.error().message);
    std::string err;
    auto vlan = vlan_arg(a, 4, err);
    if (!vlan) return Reply::error(err);
    if (auto st = sw.arp()->add_static(*vlan, *ip, *mac); !st) return Reply::error(st.error().message);
    Reply r;
    r.json = {{"ok", true}};
    r.text = "static ARP binding " + a[2] + " -> " + mac_to_string(*mac);
    return r;
}

Reply arp_del(Switch &sw, const Args &a) {
    if (sw.arp() == nullptr) return Reply::error("the ARP proxy is off (switch.arp_proxy: false)");
    auto ip = ipv4_from_string(a[2]);
    if (!ip) return Reply::error("bad IPv4 address '" + a[2] + "'");
    std::string err;
    auto vlan = vlan_arg(a, 3, err);
    if (!vlan) return Reply::error(err);
    if (!sw.arp()->remove(*vlan, *ip)) return Reply::error("no ARP binding for " + a[2]);
    Reply r;
    r.json = {{"ok", true}};
    r.text = "deleted " + a[2];
    return r;
}

// capture <port> <file> [count N] [rx|tx|both] [overwrite]   |   capture stop <port>
Reply capture(Switch &sw, const Args &a) {
    static const std::string kUsage = "usage: capture <port> <file> [count N] [rx|tx|both] [overwrite]";
    Reply r;
    if (a[1] == "stop") {
        if (a.size() != 3) return Reply::error("usage: capture stop <port>");
        if (auto st = sw.stop_capture(a[2]); !st) return Reply::error(st.error().message);
        r.json = {{"ok", true}};
        r.text = "capture of " + a[2] + " stopped";
        return r;
    }
    if (a.size() < 3) return Reply::error(kUsage);
    uint64_t count = 0;
    uint8_t dirs = CaptureTap::kRx | CaptureTap::kTx;
    bool overwrite = false;
    for (size_t i = 3; i < a.size(); ++i) {
        if (a[i] == "count" && i + 1 < a.size()) {
            auto n = parse_uint(a[++i], 1000000000);
            if (!n || *n == 0) return Reply::error("bad count '" + a[i] + "'");
            count = *n;
        } else if (a[i] == "rx" || a[i] == "tx" || a[i] == "both") {
            dirs = a[i] == "rx" ? CaptureTap::kRx : a[i] == "tx" ? CaptureTap::kTx : CaptureTap::kRx | CaptureTap::kTx;
        } else if (a[i] == "overwrite") {
            overwrite = true;
        } else {
            return Reply::error("unexpected '" + a[i] + "' (" + kUsage + ")");
        }
    }
    if (auto st = sw.start_capture(a[1], a[2], count, dirs, overwrite); !st) return Reply::error(st.error().message);
    r.json = {{"ok", true}, {"port", a[1]}, {"file", a[2]}, {"count", count}};
    r.text = "capturing " + a[1] + " into " + a[2] + (count ? " (" + std::to_string(count) + " frames)" : "");
    return r;
}

Reply show_capture(Switch &sw, const Args &) {
    Reply r;
    r.json["captures"] = json::array();
    std::ostringstream t;
    for (const SwitchPort *sp : sw.ports()) {
        const CaptureSession *c = sw.capture(sp->index);
        if (c == nullptr) continue;
        r.json["captures"].push_back({{"port", sp->eth->config().name}, {"file", c->path()}, {"written", c->written()},
                                      {"dropped", c->dropped()}, {"count", c->count()}});
        t << "  " << sp->eth->config().name << " -> " << c->path() << ": " << c->written() << " written, "
          << c->dropped() << " dropped\n";
    }
    if (r.json["captures"].empty()) t << "  no capture running";
    r.text = t.str();
    return r;
}

// set log level <emerg|alert|crit|err|warning|notice|info|debug> [<logtype pattern>, default dsw.*]
Reply set_log_level(Switch &, const Args &a) {
    static const std::vector<std::string> names = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
    auto it = std::find(names.begin(), names.end(), a[3]);
    if (it == names.end()) return Reply::error("bad level '" + a[3] + "' (emerg alert crit err warning notice info debug)");
    const uint32_t level = static_cast<uint32_t>(it - names.begin()) + 1;   // RTE_LOG_EMERG is 1
    const std::string pattern = a.size() > 4 ? a[4] : "dsw.*";
    if (rte_log_set_level_pattern(pattern.c_str(), level) != 0) return Reply::error("bad logtype pattern '" + pattern + "'");
    Reply r;
    r.json = {{"ok", true}, {"pattern", pattern}, {"level", a[3]}};
    r.text = "log level of " + pattern + " set to " + a[3];
    return r;
}

Reply help(Switch &, const Args &) {
    Reply r;
    r.json["commands"] = command_synopsis();
    std::ostringstream t;
    for (const auto &c : command_synopsis()) t << "  " << c << "\n";
    r.text = t.str();
    return r;
}

Reply quit(Switch &, const Args &) {
    Reply r;
    r.quit = true;
    r.json = {{"ok", true}};
    r.text = "bye";
    return r;
}

struct Command {
    std::vector<std::string> words;   // fixed leading words
    size_t min_args, max_args;        // total token counts accepted
    Reply (*run)(Switch &, const Args &);
    const char *synopsis;
};

const std::vector<Command> &commands() {
    static const std::vector<Command> table = {
        {{"help"}, 1, 1, help, "help"},
        {{"show", "port", "info"}, 4, 4, show_port_info, "show port info all|<port>"},
        {{"show", "port", "stats"}, 4, 4, show_port_stats, "show port stats all|<port>"},
        {{"clear", "port", "stats"}, 4, 4, clear_port_stats, "clear port stats all|<port>"},
        {{"show", "mac", "table"}, 3, 5, show_mac_table, "show mac table [vlan <N>]"},
        {{"mac", "add"}, 4, 6, mac_add, "mac add <MAC> <port> [vlan <N>]"},
        {{"mac", "del"}, 3, 5, mac_del, "mac del <MAC> [vlan <N>]"},
        {{"mac", "flush"}, 2, 3, mac_flush, "mac flush [<port>]"},
        {{"show", "switch", "stats"}, 3, 3, show_switch_stats, "show switch stats"},
        {{"set", "mac", "aging"}, 4, 4, set_mac_aging, "set mac aging <seconds>"},
        {{"set", "tx", "flush"}, 4, 4, set_tx_flush, "set tx flush <microseconds>"},
        {{"set", "log", "level"}, 4, 5, set_log_level, "set log level <level> [<logtype pattern>]"},
        {{"show", "lcores"}, 2, 2, show_lcores, "show lcores"},
        {{"show", "arp", "table"}, 3, 3, show_arp_table, "show arp table"},
        {{"show", "nd", "table"}, 3, 3, show_nd_table, "show nd table"},
        {{"arp", "add"}, 4, 6, arp_add, "arp add <IP> <MAC> [vlan <N>]"},
        {{"arp", "del"}, 3, 5, arp_del, "arp del <IP> [vlan <N>]"},
        {{"port", "add"}, 4, 64, port_add, "port add <name> <type> key=value..."},
        {{"port", "del"}, 3, 3, port_del, "port del <name>"},
        {{"show", "capture"}, 2, 2, show_capture, "show capture"},
        {{"capture"}, 3, 8, capture, "capture <port> <file> [count <N>] [rx|tx|both] [overwrite] | capture stop <port>"},
        {{"quit"}, 1, 1, quit, "quit"},
    };
    return table;
}

}  // namespace

const std::vector<std::string> &command_synopsis() {
    static const std::vector<std::string> list = [] {
        std::vector<std::string> s;
        for (const auto &c : commands()) s.push_back(c.synopsis);
        return s;
    }();
    return list;
}

Reply run_command(Switch &sw, const std::string &line) {
    // A word with a NUL would reach C calls (paths, names) cut short at it: refuse the line.
    if (auto st = check_no_nul(line); !st) return Reply::error("the command " + st.error().message);
    const Args a = tokenize(line);
    if (a.empty()) return Reply::error("empty command (try 'help')");
    for (const Command &c : commands()) {
        if (a.size() < c.words.size() || !std::equal(c.words.begin(), c.words.end(), a.begin())) continue;
        if (a.size() < c.min_args || a.size() > c.max_args) return Reply::error("usage: " + std::string(c.synopsis));
        try {
            return c.run(sw, a);
        } catch (const std::exception &e) {   // e.g. a JSON type error: a bug, but not a crash
            return Reply::error(std::string("internal error: ") + e.what());
        }
    }
    return Reply::error("unknown command '" + line + "' (try 'help')");
}

}  // namespace dsw
