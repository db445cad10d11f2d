// The Prometheus text format of /metrics (prometheus_text.cc) and the address it listens on
// (listen_address.cc): pure, no switch needed.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/listen_address.h"
#include "dpdk_switch/control/prometheus_text.h"

namespace dsw {
namespace {

TEST(PrometheusText, WritesHelpTypeAndSamplesWithEscapedLabels) {
    std::vector<MetricFamily> f = {
        {"dsw_port_rx_packets_total", "Frames received", MetricType::counter,
         {{{{"port", "c1"}}, 12}, {{{"port", "a\"b\\c\nd"}}, 0}}},
        {"dsw_mac_entries", "Entries\\in the table\nnow", MetricType::gauge, {{{}, 18446744073709551615ull}}},
        {"dsw_port_drops_total", "By reason", MetricType::counter, {{{{"port", "c1"}, {"reason", "runt"}}, 3}}},
    };
    const PrometheusResult r = render_prometheus(f);
    ASSERT_EQ(r.error, "");
    EXPECT_EQ(r.text,
              "# HELP dsw_port_rx_packets_total Frames received\n"
              "# TYPE dsw_port_rx_packets_total counter\n"
              "dsw_port_rx_packets_total{port=\"c1\"} 12\n"
              "dsw_port_rx_packets_total{port=\"a\\\"b\\\\c\\nd\"} 0\n"
              "# HELP dsw_mac_entries Entries\\\\in the table\\nnow\n"
              "# TYPE dsw_mac_entries gauge\n"
              "dsw_mac_entries 18446744073709551615\n"
              "# HELP dsw_port_drops_total By reason\n"
              "# TYPE dsw_port_drops_total counter\n"
              "dsw_port_drops_total{port=\"c1\",reason=\"runt\"} 3\n");
}

TEST(PrometheusText, RefusesBadNamesAndACounterWithoutTotal) {
    EXPECT_EQ(render_prometheus({{"dsw_port_rx", "", MetricType::counter, {}}}).error,
              "counter 'dsw_port_rx' does not end in _total");
    EXPECT_EQ(render_prometheus({{"1dsw", "", MetricType::gauge, {}}}).error, "invalid metric name '1dsw'");
    EXPECT_EQ(render_prometheus({{"dsw-x", "", MetricType::gauge, {}}}).error, "invalid metric name 'dsw-x'");
    EXPECT_EQ(render_prometheus({{"dsw_x", "", MetricType::gauge, {{{{"a:b", "v"}}, 1}}}}).error,
              "invalid label name 'a:b' of dsw_x");
    EXPECT_EQ(render_prometheus({{"dsw_x", "", MetricType::gauge, {{{{"__name", "v"}}, 1}}}}).error,
              "invalid label name '__name' of dsw_x");
    EXPECT_TRUE(valid_metric_name("dsw:x_1"));
    EXPECT_FALSE(valid_label_name(""));
}

TEST(ListenAddress, ParsesIpv4AndIpv6AndRefusesTheRest) {
    auto a = parse_listen_address("127.0.0.1:9417");
    ASSERT_TRUE(a.ok());
    const auto *in4 = reinterpret_cast<const sockaddr_in *>(&a->addr);
    EXPECT_EQ(in4->sin_family, AF_INET);
    EXPECT_EQ(ntohs(in4->sin_port), 9417);
    EXPECT_EQ(ntohl(in4->sin_addr.s_addr), 0x7f000001u);
    auto b = parse_listen_address("[::1]:80");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(reinterpret_cast<const sockaddr_in6 *>(&b->addr)->sin6_family, AF_INET6);
    const std::string shape = "is not an address:port (e.g. 127.0.0.1:9417 or [::1]:9417)";
    for (const char *bad : {"nope", "nope:9417", ":9417", "127.0.0.1:", "127.0.0.1", "::1:9417", "127.0.0.1:94x", "[::1]"})
        EXPECT_EQ(parse_listen_address(bad).error().message, std::string("'") + bad + "' " + shape) << bad;
    EXPECT_EQ(parse_listen_address("127.0.0.1:70000").error().message, "'127.0.0.1:70000' has port 70000, not in 1..65535");
    EXPECT_EQ(parse_listen_address("127.0.0.1:0").error().message, "'127.0.0.1:0' has port 0, not in 1..65535");
    EXPECT_EQ(parse_listen_address("127.0.0.1:99999999999999999999").error().code, kExitConfigError);
}

TEST(ListenAddress, APortInUseIsSaid) {
    auto first = listen_tcp("127.0.0.1:0" + std::string());   // port 0 is refused: find a free one
    EXPECT_FALSE(first.ok());
    int fd = -1;
    uint16_t port = 0;
    for (uint16_t p = 39417; p < 39517 && fd < 0; ++p) {
        auto r = listen_tcp("127.0.0.1:" + std::to_string(p));
        if (r.ok()) {
            fd = r.value();
            port = p;
        }
    }
    ASSERT_GE(fd, 0);
    const std::string addr = "127.0.0.1:" + std::to_string(port);
    auto again = listen_tcp(addr);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().message, addr + ": cannot listen: Address already in use");
    close(fd);
}

TEST(ConfigError, SwitchMetricsMustBeAnAddress) {
    auto bad = parse_config("switch: { metrics: nope }\n", "t.yaml");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message,
              "t.yaml: switch.metrics: 'nope' is not an address:port (e.g. 127.0.0.1:9417 or [::1]:9417)");
    auto range = parse_config("switch: { metrics: \"127.0.0.1:65536\" }\n", "t.yaml");
    ASSERT_FALSE(range.ok());
    EXPECT_EQ(range.error().message, "t.yaml: switch.metrics: '127.0.0.1:65536' has port 65536, not in 1..65535");
    auto good = parse_config("switch: { metrics: \"127.0.0.1:9417\" }\n", "t.yaml");
    ASSERT_TRUE(good.ok()) << good.error().message;
    EXPECT_EQ(good.value().sw.metrics, "127.0.0.1:9417");
    EXPECT_EQ(parse_config("", "t.yaml").value().sw.metrics, "") << "off by default";
}

}  // namespace
}  // namespace dsw
