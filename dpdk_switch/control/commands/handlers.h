// The command handlers, one file per area (ports, mac, arp, capture, system, config). Each returns its
// reply's JSON, or an error; run_command (commands.cc) picks the handler from the grammar's row
// and renders the text from the JSON (render_text.cc).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "dpdk_switch/dataplane/drop_reason.h"
#include "dpdk_switch/result.h"

namespace dsw {

class Switch;
struct SwitchPort;

namespace cmd {

using Args = std::vector<std::string>;
using Answer = Result<nlohmann::json>;

// Shared by the areas.
std::optional<unsigned long> parse_uint(const std::string &s, unsigned long max);
std::optional<uint16_t> vlan_arg(const Args &a, size_t at, std::string &err);
nlohmann::json drops_json(const std::array<uint64_t, kDropReasons> &drops);
// "all" or one port name -> the ports it selects, or an error naming the unknown port.
std::variant<std::vector<const SwitchPort *>, Error> select_ports(Switch &sw, const std::string &which);

// ports.cc
Answer show_port_stats(Switch &sw, const Args &a);
Answer clear_port_stats(Switch &sw, const Args &a);
Answer show_port_info(Switch &sw, const Args &a);
Answer port_add(Switch &sw, const Args &a);
Answer port_del(Switch &sw, const Args &a);

// vxlan.cc
Answer show_vxlan(Switch &sw, const Args &a);
Answer vxlan_vtep_add(Switch &sw, const Args &a);
Answer vxlan_vtep_del(Switch &sw, const Args &a);
Answer mac_add_vtep(Switch &sw, const Args &a);   // `mac add <MAC> vtep <IP> [vlan N]`

// mac.cc
Answer show_mac_table(Switch &sw, const Args &a);
Answer mac_add(Switch &sw, const Args &a);
Answer mac_del(Switch &sw, const Args &a);
Answer mac_flush(Switch &sw, const Args &a);
Answer set_mac_aging(Switch &sw, const Args &a);

// arp.cc
Answer show_arp_table(Switch &sw, const Args &a);
Answer show_nd_table(Switch &sw, const Args &a);
Answer arp_add(Switch &sw, const Args &a);
Answer arp_del(Switch &sw, const Args &a);

// capture.cc
Answer capture(Switch &sw, const Args &a);
Answer capture_stop(Switch &sw, const Args &a);
Answer show_capture(Switch &sw, const Args &a);

// system.cc
Answer show_switch_stats(Switch &sw, const Args &a);
Answer set_tx_flush(Switch &sw, const Args &a);
Answer show_lcores(Switch &sw, const Args &a);
Answer set_log_level(Switch &sw, const Args &a);

// config.cc
Answer save_config(Switch &sw, const Args &a);

}  // namespace cmd
}  // namespace dsw
