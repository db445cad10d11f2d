// The Prometheus text exposition format (version 0.0.4), as `/metrics` serves it: pure and
// DPDK-free, so that the format is unit-tested apart from the switch.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dsw {

inline constexpr const char *kPrometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class MetricType : uint8_t { counter, gauge };

struct MetricSample {
    std::vector<std::pair<std::string, std::string>> labels;   // name, value (any text: escaped)
    uint64_t value = 0;
};

// One metric family: a counter's name ends in "_total", as Prometheus' conventions want it.
struct MetricFamily {
    std::string name;
    std::string help;
    MetricType type = MetricType::gauge;
    std::vector<MetricSample> samples;
};

// `# HELP`, `# TYPE`, then each sample `name{label="value",...} value`, one family after the
// other. Label values escape \, " and newline; HELP text \ and newline. A family whose name or
// a label name is not a valid Prometheus name is an error (a bug of the caller), as is a counter
// whose name does not end in "_total".
struct PrometheusResult {
    std::string text;
    std::string error;   // empty: the text is whole
};
PrometheusResult render_prometheus(const std::vector<MetricFamily> &families);

// "a_b" or "a:b": [a-zA-Z_:][a-zA-Z0-9_:]* (label names: no ':').
bool valid_metric_name(const std::string &name);
bool valid_label_name(const std::string &name);

}  // namespace dsw
