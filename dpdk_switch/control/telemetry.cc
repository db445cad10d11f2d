#include "dpdk_switch/control/telemetry.h"

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <rte_telemetry.h>

#include "dpdk_switch/control/commands.h"

namespace dsw {

namespace {

Switch *g_switch = nullptr;          // written by the main thread under g_lock
std::mutex *g_lock = nullptr;
std::mutex g_attach_lock;            // guards the two pointers themselves

using nlohmann::json;

// DPDK 22.11 telemetry nests one level only (a dict may hold arrays of scalars), so objects are
// flattened into "a.b" keys and arrays of objects are left out.
void flatten(const json &j, const std::string &prefix, rte_tel_data *d) {
    for (auto it = j.begin(); it != j.end(); ++it) {
        const std::string key = prefix.empty() ? it.key() : prefix + "." + it.key();
        const json &v = it.value();
        if (v.is_object()) {
            flatten(v, key, d);
        } else if (v.is_boolean()) {
            rte_tel_data_add_dict_u64(d, key.c_str(), v.get<bool>() ? 1 : 0);
        } else if (v.is_number_unsigned()) {
            rte_tel_data_add_dict_u64(d, key.c_str(), v.get<uint64_t>());
        } else if (v.is_number_integer()) {
            rte_tel_data_add_dict_int(d, key.c_str(), static_cast<int>(v.get<int64_t>()));
        } else if (v.is_number_float()) {
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.2f", v.get<double>());
            rte_tel_data_add_dict_string(d, key.c_str(), buf);
        } else if (v.is_string()) {
            rte_tel_data_add_dict_string(d, key.c_str(), v.get<std::string>().c_str());
        } else if (v.is_array() && !v.empty() && v[0].is_string()) {
            rte_tel_data *arr = rte_tel_data_alloc();
            rte_tel_data_start_array(arr, RTE_TEL_STRING_VAL);
            for (const auto &e : v)
                if (e.is_string()) rte_tel_data_add_array_string(arr, e.get<std::string>().c_str());
            rte_tel_data_add_dict_container(d, key.c_str(), arr, 0);
        }
    }
}

// Runs a CLI command for a telemetry request, under the control plane's lock; nothing when the
// switch is gone or the command failed.
std::optional<Reply> run_locked(const std::string &command) {
    std::lock_guard attach(g_attach_lock);
    if (g_switch == nullptr) return std::nullopt;
    std::lock_guard control(*g_lock);
    Reply r = run_command(*g_switch, command);
    if (!r.ok) return std::nullopt;
    return r;
}

// Answers with the reply's JSON flattened into a dict (or one element of its list `pick`).
int answer(const std::string &command, rte_tel_data *d, const char *pick = nullptr) {
    const auto reply = run_locked(command);
    if (!reply) return -EINVAL;
    const Reply &r = *reply;
    const json *body = &r.json;
    if (pick != nullptr) {   // one element of a list reply ("ports"/"lcores")
        if (!r.json.contains(pick) || r.json[pick].empty()) return -EINVAL;
        body = &r.json[pick][0];
    }
    rte_tel_data_start_dict(d);
    flatten(*body, "", d);
    return 0;
}

int names_of(const std::string &command, const char *list, const char *field, rte_tel_data *d) {
    const auto reply = run_locked(command);
    if (!reply) return -EINVAL;
    const Reply &r = *reply;
    const bool numeric = field == std::string("lcore");
    rte_tel_data_start_array(d, numeric ? RTE_TEL_U64_VAL : RTE_TEL_STRING_VAL);
    for (const auto &e : r.json[list]) {
        if (numeric)
            rte_tel_data_add_array_u64(d, e[field].get<uint64_t>());
        else
            rte_tel_data_add_array_string(d, e[field].get<std::string>().c_str());
    }
    return 0;
}

std::string param(const char *params) { return params != nullptr ? params : ""; }

int cb_ports(const char *, const char *, rte_tel_data *d) { return names_of("show port info all", "ports", "name", d); }
int cb_lcores(const char *, const char *, rte_tel_data *d) { return names_of("show lcores", "lcores", "lcore", d); }
int cb_port_stats(const char *, const char *p, rte_tel_data *d) {
    if (param(p).empty()) return -EINVAL;
    return answer("show port stats " + param(p), d, "ports");
}
int cb_port_info(const char *, const char *p, rte_tel_data *d) {
    if (param(p).empty()) return -EINVAL;
    return answer("show port info " + param(p), d, "ports");
}
int cb_switch_stats(const char *, const char *, rte_tel_data *d) { return answer("show switch stats", d); }
int cb_vxlan(const char *, const char *, rte_tel_data *d) { return answer("show vxlan", d); }
int cb_lcore(const char *, const char *p, rte_tel_data *d) {
    // `show lcores` lists them all; keep the one asked for.
    const auto r = run_locked("show lcores");
    if (!r) return -EINVAL;
    for (const auto &l : r->json["lcores"])
        if (std::to_string(l["lcore"].get<unsigned>()) == param(p)) {
            rte_tel_data_start_dict(d);
            flatten(l, "", d);
            return 0;
        }
    return -EINVAL;
}
int cb_mac_table(const char *, const char *, rte_tel_data *d) {
    const auto r = run_locked("show switch stats");
    if (!r) return -EINVAL;
    rte_tel_data_start_dict(d);
    rte_tel_data_add_dict_u64(d, "entries", r->json["mac_entries"].get<uint64_t>());
    rte_tel_data_add_dict_u64(d, "capacity", r->json["mac_capacity"].get<uint64_t>());
    rte_tel_data_add_dict_u64(d, "aging_s", r->json["mac_aging_s"].get<uint64_t>());
    return 0;
}

}  // namespace

void telemetry_attach(Switch *sw, std::mutex *control_lock) {
    static bool registered = false;
    {
        std::lock_guard attach(g_attach_lock);
        g_switch = sw;
        g_lock = control_lock;
    }
    if (registered || sw == nullptr) return;
    registered = true;
    rte_telemetry_register_cmd("/dpdk_switch/ports", cb_ports, "Names of the switch's ports");
    rte_telemetry_register_cmd("/dpdk_switch/port_stats", cb_port_stats, "One port's counters. Parameter: port name");
    rte_telemetry_register_cmd("/dpdk_switch/port_info", cb_port_info, "One port's type, ethdev, lcore, link. Parameter: port name");
    rte_telemetry_register_cmd("/dpdk_switch/switch_stats", cb_switch_stats, "Learning, flooding, proxy counters, drops by reason");
    rte_telemetry_register_cmd("/dpdk_switch/mac_table", cb_mac_table, "MAC table entries, capacity, aging");
    rte_telemetry_register_cmd("/dpdk_switch/lcores", cb_lcores, "Worker lcore ids");
    rte_telemetry_register_cmd("/dpdk_switch/vxlan", cb_vxlan, "The VTEP: VNI map, remote VTEPs, their MACs and counters");
    rte_telemetry_register_cmd("/dpdk_switch/lcore", cb_lcore, "One worker's ports, packets, busy/idle cycles. Parameter: lcore id");
}

}  // namespace dsw
