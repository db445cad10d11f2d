// Prometheus text format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/):
// lines of `# HELP name text`, `# TYPE name counter|gauge` and `name{l="v"} value`, ending with
// a newline.
#include "dpdk_switch/control/prometheus_text.h"

namespace dsw {
namespace {

bool name_char(char c, bool first, bool colon) {
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    return letter || (!first && c >= '0' && c <= '9');
}

bool valid_name(const std::string &name, bool colon) {
    if (name.empty()) return false;
    for (size_t i = 0; i < name.size(); ++i)
        if (!name_char(name[i], i == 0, colon)) return false;
    return true;
}

// HELP text escapes \ and newline; a label value also ".
void escape(std::string &out, const std::string &s, bool quote) {
    for (char c : s) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else if (quote && c == '"') out += "\\\"";
        else out += c;
    }
}

bool ends_with(const std::string &s, const std::string &tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

bool valid_metric_name(const std::string &name) { return valid_name(name, true); }
bool valid_label_name(const std::string &name) { return valid_name(name, false) && name.rfind("__", 0) != 0; }

PrometheusResult render_prometheus(const std::vector<MetricFamily> &families) {
    PrometheusResult r;
    std::string &out = r.text;
    for (const MetricFamily &f : families) {
        if (!valid_metric_name(f.name)) {
            r.error = "invalid metric name '" + f.name + "'";
            return r;
        }
        if (f.type == MetricType::counter && !ends_with(f.name, "_total")) {
            r.error = "counter '" + f.name + "' does not end in _total";
            return r;
        }
        out += "# HELP " + f.name + " ";
        escape(out, f.help, false);
        out += "\n# TYPE " + f.name + (f.type == MetricType::counter ? " counter\n" : " gauge\n");
        for (const MetricSample &s : f.samples) {
            out += f.name;
            if (!s.labels.empty()) {
                out += '{';
                for (size_t i = 0; i < s.labels.size(); ++i) {
                    if (!valid_label_name(s.labels[i].first)) {
                        r.error = "invalid label name '" + s.labels[i].first + "' of " + f.name;
                        return r;
                    }
                    out += (i ? ",": "") + s.labels[i].first + "=\"";
                    escape(out, s.labels[i].second, true);
                    out += '"';
                }
                out += '}';
            }
            out += ' ' + std::to_string(s.value) + '\n';
        }
    }
    return r;
}

}  // namespace dsw
