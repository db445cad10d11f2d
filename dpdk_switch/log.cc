#include "dpdk_switch/log.h"

// Registered before main() by constructors; the names show in `--log-level=dsw.*:debug`.
RTE_LOG_REGISTER_SUFFIX(dsw_logtype_main, main, INFO);
RTE_LOG_REGISTER_SUFFIX(dsw_logtype_port, port, INFO);
RTE_LOG_REGISTER_SUFFIX(dsw_logtype_ctl, ctl, INFO);
RTE_LOG_REGISTER_SUFFIX(dsw_logtype_table, table, INFO);
