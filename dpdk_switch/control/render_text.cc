#include "dpdk_switch/control/render_text.h"

#include <cinttypes>
#include <cstdio>
#include <set>
#include <sstream>

#include "dpdk_switch/dataplane/drop_reason.h"

namespace dsw {

namespace {

using nlohmann::json;
using Words = std::vector<std::string>;

// A scalar as the text shows it: strings bare, numbers and booleans as JSON writes them.
std::string str(const json &v) { return v.is_string() ? v.get<std::string>() : v.dump(); }

uint64_t u64(const json &obj, const char *key) { return obj.contains(key) ? obj[key].get<uint64_t>() : 0; }

// Tracks which fields of an object a renderer placed, and shows the others by name: a field
// added to a reply appears in its text without anyone touching the renderer.
class Fields {
public:
    explicit Fields(const json &obj) : obj_(obj) {}
    const json &operator[](const char *key) {
        static const json kNull;
        placed_.insert(key);
        return obj_.contains(key) ? obj_[key] : kNull;
    }
    bool has(const char *key) const { return obj_.contains(key); }
    void skip(const char *key) { placed_.insert(key); }
    // "<label>key value  key value" for the listed keys present, in the given order.
    void line(std::ostream &t, const char *label, std::initializer_list<const char *> keys, const char *sep = " ") {
        t << label;
        const char *gap = "";
        for (const char *k : keys)
            if (has(k)) {
                t << gap << k << sep << str((*this)[k]);
                gap = "  ";
            }
    }
    // Every field not yet placed, one line each (an object: "key: k v  k v").
    void rest(std::ostream &t, const std::string &indent) const {
        for (const auto &[k, v] : obj_.items()) {
            if (placed_.count(k) != 0) continue;
            t << indent << k << ":";
            if (v.is_object())
                for (const auto &[k2, v2] : v.items()) t << "  " << k2 << " " << str(v2);
            else t << " " << str(v);
            t << "\n";
        }
    }

private:
    const json &obj_;
    std::set<std::string> placed_;
};

std::string show_port_stats(const json &r) {
    std::ostringstream t;
    for (const json &port : r["ports"]) {
        Fields p(port);
        t << "  ######## port " << str(p["name"]) << " ########\n"
          << "  RX-packets: " << str(p["rx_packets"]) << "  RX-bytes: " << str(p["rx_bytes"]) << "\n"
          << "  TX-packets: " << str(p["tx_packets"]) << "  TX-bytes: " << str(p["tx_bytes"]) << "\n";
        if (p.has("rx_pps"))   // a remote VTEP's row has no rates
            t << "  Throughput (since last show)\n"
              << "  Rx-pps: " << str(p["rx_pps"]) << "  Rx-bps: " << str(p["rx_bps"]) << "\n"
              << "  Tx-pps: " << str(p["tx_pps"]) << "  Tx-bps: " << str(p["tx_bps"]) << "\n";
        if (p.has("vtep")) {
            p.skip("vtep");
            t << "  (remote VTEP: its inner frames; `show vxlan` for more)\n";
        }
        if (p.has("csum_completed")) {
            p.line(t, "  Offload in software: ", {"csum_completed", "gso_segmented"});
            t << "\n";
        }
        if (p.has("pmd")) {
            Fields pmd(p["pmd"]);
            pmd.line(t, "  PMD: ", {"imissed", "ierrors", "rx_nombuf", "oerrors"});
            t << "\n";
            pmd.rest(t, "  PMD ");
        }
        if (p.has("kernel")) {
            Fields k(p["kernel"]);
            k.line(t, "  Kernel: ", {"rx_packets", "rx_dropped", "tx_packets", "tx_dropped", "rx_ring_full"});
            if (k.has("rx_ring_full")) t << " (dropped by the kernel: the socket's RX ring was full)";
            t << "\n";
            k.rest(t, "  Kernel ");
        }
        const json &drops = p["drops"];
        uint64_t dropped = 0;
        for (const auto &d : drops) dropped += d.get<uint64_t>();
        t << "  Dropped:    " << dropped;
        for (const char *reason : kDropReasonNames)
            if (drops.contains(reason)) t << "  " << reason << "=" << str(drops[reason]);
        t << "\n";
        p.rest(t, "  ");
    }
    return t.str();
}

std::string show_port_info(const json &r) {
    std::ostringstream t;
    for (const json &port : r["ports"]) {
        Fields p(port);
        const bool gone = p.has("iface_gone") && p["iface_gone"].get<bool>();
        t << "  ******** port " << str(p["name"]) << " ********\n"
          << "  type: " << str(p["type"]) << "   ethdev: " << str(p["port_id"]) << "   lcore: " << str(p["lcore"]) << "\n"
          << "  link: " << (gone ? "down (interface gone)" : p["link_up"].get<bool>() ? "up" : "down")
          << "   speed: " << str(p["link_speed_mbps"]) << " Mbps   MAC: " << str(p["mac"]) << "\n"
          << "  ";
        // A port of our own I/O (veth) has no devargs: its interface says what it is.
        if (p.has("iface")) {
            t << "iface: " << str(p["iface"]);
            if (p.has("iface_in_other_netns") && p["iface_in_other_netns"].get<bool>()) t << " (in another netns)";
            t << "   ";
        }
        const std::string devargs = str(p["devargs"]);
        t << "devargs: " << (devargs.empty() ? "-" : devargs) << "\n"
          << "  vlan: " << str(p["vlan"]) << "   rx_desc: " << str(p["rx_desc"]) << "   tx_desc: " << str(p["tx_desc"])
          << "\n";
        if (p.has("peer")) {
            t << "  peer: " << str(p["peer"]);
            if (p.has("attached_to")) t << " (" << str(p["attached_to"]) << ")";
            if (p.has("secret_set")) t << (p["secret_set"].get<bool>() ? "   secret: set" : "   secret: none");
            t << "\n";
        }
        p.rest(t, "  ");
    }
    return t.str();
}

std::string show_switch_stats(const json &r) {
    std::ostringstream t;
    Fields s(r);
    s.line(t, "  ", {"learned", "moves", "flooded", "learn_table_full"}, ": ");
    s.line(t, "\n  ", {"static_conflicts", "learn_port_limit"}, ": ");
    s.line(t, "\n  ", {"arp_proxy_replies", "arp_learned", "arp_moves"}, ": ");
    s.line(t, "\n  ", {"nd_proxy_replies", "nd_learned", "nd_moves"}, ": ");
    t << "\n  MAC table: " << str(s["mac_entries"]) << " / " << str(s["mac_capacity"]) << " entries, aging "
      << str(s["mac_aging_s"]) << " s\n";
    if (s.has("mbufs")) {
        const json &m = s["mbufs"];
        t << "  mbufs: " << str(m["free"]) << " free of " << str(m["pool"]) << ", " << str(m["committed"])
          << " committed to ports\n";
    }
    // Every reason, zeros included (the JSON lists only those that happened).
    const json drops = s.has("drops") ? s["drops"] : json::object();
    std::ostringstream rest;
    s.rest(rest, "  ");
    t << rest.str() << "  drops:";
    for (const char *reason : kDropReasonNames) t << " " << reason << "=" << u64(drops, reason);
    return t.str();
}

std::string show_mac_table(const json &r) {
    std::ostringstream t;
    t << "  MAC                VLAN  PORT             TYPE     AGE\n";
    for (const json &e : r["entries"]) {
        char line[128];
        std::snprintf(line, sizeof line, "  %-17s  %4u  %-16s %-7s  %u\n", str(e["mac"]).c_str(), e["vlan"].get<unsigned>(),
                      str(e["port"]).c_str(), e["static"].get<bool>() ? "static" : "dynamic", e["age_s"].get<unsigned>());
        t << line;
    }
    t << "  " << r["entries"].size() << " entries";
    return t.str();
}

std::string show_bindings(const json &r) {
    std::ostringstream t;
    char line[200];
    std::snprintf(line, sizeof line, "  %-39s  %-17s  VLAN  %-16s TYPE\n", "IP", "MAC", "PORT");
    t << line;
    for (const json &e : r["entries"]) {
        const std::string port = str(e["port"]);
        std::snprintf(line, sizeof line, "  %-39s  %-17s  %4u  %-16s %s\n", str(e["ip"]).c_str(), str(e["mac"]).c_str(),
                      e["vlan"].get<unsigned>(), port.empty() ? "-" : port.c_str(),
                      e["static"].get<bool>() ? "static" : "dynamic");
        t << line;
    }
    t << "  " << r["entries"].size() << " entries";
    return t.str();
}

std::string show_lcores(const json &r) {
    std::ostringstream t;
    t << "  TX hold (tx_flush_us): " << str(r["tx_flush_us"]) << " us\n";
    for (const json &lcore : r["lcores"]) {
        Fields l(lcore);
        t << "  lcore " << str(l["lcore"]) << " (" << str(l["role"]) << "): ports";
        for (const auto &p : l["ports"]) t << " " << str(p);
        char line[200];
        std::snprintf(line, sizeof line,
                      "\n    packets %" PRIu64 "  busy %.1f%%  %.1f cycles/packet  %" PRIu64 " TX bursts of %.1f frames\n",
                      l["packets"].get<uint64_t>(), l["busy_pct"].get<double>(), l["cycles_per_packet"].get<double>(),
                      l["tx_bursts"].get<uint64_t>(), l["frames_per_tx_burst"].get<double>());
        t << line;
        l.line(t, "    ", {"polls", "busy_cycles", "idle_cycles"});
        t << "\n";
        l.rest(t, "    ");
    }
    return t.str();
}

std::string show_capture(const json &r) {
    std::ostringstream t;
    for (const json &capture : r["captures"]) {
        Fields c(capture);
        t << "  " << str(c["port"]) << " -> " << str(c["file"]) << ": " << str(c["written"]) << " written, "
          << str(c["dropped"]) << " dropped";
        const uint64_t count = c["count"].get<uint64_t>();
        t << (count != 0 ? ", count " + std::to_string(count) : std::string(", no count (until stopped)")) << "\n";
        c.rest(t, "    ");
    }
    if (r["captures"].empty()) t << "  no capture running";
    return t.str();
}

std::string show_vxlan(const json &r) {
    std::ostringstream t;
    t << "  VTEP " << str(r["local_ip"]) << " udp " << str(r["udp_port"]) << " on " << str(r["underlay"]) << " ("
      << str(r["underlay_mac"]) << ", MTU " << str(r["underlay_mtu"]) << "; give containers MTU "
      << str(r["container_mtu"]) << ")" << (r["learn_vteps"].get<bool>() ? ", learns VTEPs" : "") << "\n";
    if (!r["link"].is_null()) t << "  link " << str(r["link"]);
    if (const json &g = r["gateway"]; !g.is_null())
        t << ", gateway " << str(g["ip"]) << " (" << (g["resolved"].get<bool>() ? str(g["mac"]) : std::string("unresolved"))
          << ") for " << str(g["vteps"]) << " remote VTEP(s)";
    if (!r["link"].is_null()) t << "\n";
    t << "  VNI map:";
    for (const json &m : r["vni_map"]) t << " VLAN " << str(m["vlan"]) << " <-> VNI " << str(m["vni"]) << ";";
    t << "\n";
    for (const json &v : r["vteps"]) {
        std::string vnis;
        for (const json &n : v["vnis"]) {
            if (!vnis.empty()) vnis += ',';
            vnis += str(n);
        }
        t << "  remote " << str(v["ip"]) << " (" << (v["resolved"].get<bool>() ? str(v["mac"]) : std::string("unresolved"))
          << ")" << (v["via_gateway"].get<bool>() ? " via the gateway" : "") << " VNIs "
          << (vnis.empty() ? std::string("-") : vnis) << (v["learned"].get<bool>() ? ", learned"
                                                       : v.value("origin", "") == "static_mac" ? ", for static MACs"
                                                                                              : "")
          << ": " << str(v["macs"]) << " MACs, RX " << str(v["rx_packets"]) << " pkts " << str(v["rx_bytes"])
          << " bytes, TX " << str(v["tx_packets"]) << " pkts " << str(v["tx_bytes"]) << " bytes";
        for (const auto &[reason, n] : v["drops"].items()) t << ", " << reason << " " << str(n);
        t << "\n";
    }
    if (r["vteps"].empty()) t << "  no remote VTEP\n";
    std::string out = t.str();
    out.pop_back();   // the last line's newline: the caller ends the reply
    return out;
}

std::string help(const json &r) {
    std::ostringstream t;
    for (const auto &c : r["commands"]) t << "  " << str(c) << "\n";
    if (r.contains("port_kinds")) {
        t << "  port kinds:";
        for (const auto &k : r["port_kinds"]) t << " " << str(k);
        t << "\n";
    }
    if (r.contains("port_keys")) {
        t << "  port add keys, by type:\n";
        for (const auto &[kind, keys] : r["port_keys"].items()) {
            t << "    " << kind << ":";
            for (const auto &k : keys) t << " " << str(k) << "=";
            t << "\n";
        }
    }
    return t.str();
}

}  // namespace

std::string render_text(CommandId id, const Words &a, const json &r) {
    switch (id) {
    case CommandId::help: return help(r);
    case CommandId::show_port_info: return show_port_info(r);
    case CommandId::show_port_stats: return show_port_stats(r);
    case CommandId::show_switch_stats: return show_switch_stats(r);
    case CommandId::show_mac_table: return show_mac_table(r);
    case CommandId::show_arp_table:
    case CommandId::show_nd_table: return show_bindings(r);
    case CommandId::show_lcores: return show_lcores(r);
    case CommandId::show_capture: return show_capture(r);
    case CommandId::show_vxlan: return show_vxlan(r);
    case CommandId::vxlan_vtep_add: return "remote VTEP " + a[3] + " floods for " + (r["vni"].is_null() ? std::string("every mapped VNI") : "VNI " + str(r["vni"]));
    case CommandId::vxlan_vtep_del: return r["vni"].is_null() ? "remote VTEP " + a[3] + " deleted" : "remote VTEP " + a[3] + " no longer floods for VNI " + str(r["vni"]);
    case CommandId::clear_port_stats: return "port stats cleared";
    case CommandId::mac_add:
        return "static MAC " + str(r["mac"]) + " -> " + str(r["port"]) + " (VLAN " + str(r["vlan"]) + ")";
    case CommandId::mac_del:
    case CommandId::arp_del: return "deleted " + a[2];
    case CommandId::mac_flush: return "flushed " + str(r["flushed"]) + " dynamic entries";
    case CommandId::set_mac_aging: return "MAC aging set to " + str(r["mac_aging_s"]) + " s";
    case CommandId::set_tx_flush: return "TX batches held up to " + str(r["tx_flush_us"]) + " us";
    case CommandId::set_log_level: return "log level of " + str(r["pattern"]) + " set to " + str(r["level"]);
    case CommandId::arp_add: return "static ARP binding " + str(r["ip"]) + " -> " + str(r["mac"]);
    case CommandId::port_add:
        return "port " + str(r["name"]) + " added (" + str(r["type"]) + ", ethdev " + str(r["port_id"]) + ", lcore " +
               str(r["lcore"]) + ")";
    case CommandId::port_del: return "port " + a[2] + " deleted";
    case CommandId::capture: {
        const uint64_t count = u64(r, "count");
        return "capturing " + str(r["port"]) + " into " + str(r["file"]) +
               (count ? " (" + std::to_string(count) + " frames)" : "");
    }
    case CommandId::capture_stop: return "capture of " + a[2] + " stopped";
    case CommandId::save_config:
        return "running config saved to " + str(r["file"]) + " (" + str(r["ports"]) + " ports, " +
               str(r["static_macs"]) + " static MACs, " + str(r["arp"]) + " static ARP bindings)";
    case CommandId::quit: return "bye";
    }
    return r.dump();
}

}  // namespace dsw
