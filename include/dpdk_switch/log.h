// rte_log logtypes of the switch: dsw.main, dsw.port, dsw.ctl, dsw.table. Control plane only:
// nothing in the per-packet path logs. (Global names: RTE_LOG_REGISTER_SUFFIX pastes the
// variable name into a function name, so it cannot be namespace-qualified.)
#pragma once

#include <rte_log.h>

extern int dsw_logtype_main;
extern int dsw_logtype_port;
extern int dsw_logtype_ctl;
extern int dsw_logtype_table;

#define DSW_LOG(level, type, fmt, ...) \
    rte_log(RTE_LOG_##level, dsw_logtype_##type, "dsw." #type ": " fmt "\n" __VA_OPT__(,) __VA_ARGS__)
