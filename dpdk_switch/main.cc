// dpdk_switch: parse args, build the Switch, run the control loop on the main lcore until
// SIGINT/SIGTERM or `quit`, return the exit code.
#include <csignal>
#include <mutex>
#include <cstdio>
#include <vector>

#include <poll.h>
#include <unistd.h>
#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_pdump.h>
#include <rte_version.h>

#include "dpdk_switch/control/command_line.h"
#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/config.h"
#include "dpdk_switch/control/ctl_socket.h"
#include "dpdk_switch/control/listen_address.h"
#include "dpdk_switch/control/metrics_server.h"
#include "dpdk_switch/control/prompt.h"
#include "dpdk_switch/control/telemetry.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/control/switch_metrics.h"
#include "dpdk_switch/dpdk/eal.h"
#include "dpdk_switch/log.h"
#include "dpdk_switch/ports/link_events.h"

namespace {

volatile std::sig_atomic_t g_stop_signal = 0;   // set by the handler only; read by the main loop
void on_signal(int sig) { g_stop_signal = sig; }

void install_signal_handlers() {
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

int report(const dsw::Error &e) {
    std::fprintf(stderr, "dpdk_switch: %s\n", e.message.c_str());
    return e.code;
}

// The control loop: the main lcore sleeps in poll() between events (it never busy-polls),
// waking at least every 50 ms for signals and captures, and once a second for MAC aging.
void control_loop(dsw::Switch &sw, dsw::CtlServer &ctl, dsw::Prompt *prompt, dsw::LinkEvents *link_events,
                  std::mutex &control_lock) {
    // The control lock is shared with the telemetry thread only; workers never take it.
    auto handle = [&](const std::string &line) {
        std::lock_guard lock(control_lock);
        return dsw::run_command(sw, line);
    };
    uint64_t next_housekeeping = rte_get_tsc_cycles();
    std::vector<pollfd> fds;
    while (g_stop_signal == 0 && !(prompt && prompt->done())) {
        fds.clear();
        ctl.add_pollfds(fds);
        if (prompt) prompt->add_pollfds(fds);
        if (link_events) fds.push_back({link_events->fd(), POLLIN, 0});
        // 50 ms: often enough to keep a capture's ring from filling; still asleep nearly always.
        const int ready = poll(fds.data(), fds.size(), ctl.busy() ? 0 : 50);
        // Link changes heard before the commands run: a `show port` that comes after an
        // `ip link set` sees what it did. watch_links() below says it in the log.
        if (ready > 0 && link_events && (fds.back().revents & POLLIN)) link_events->drain();
        ctl.service(fds, handle);   // runs waiting commands even when no fd is ready
        if (ready > 0 && prompt) prompt->service(fds);
        {
            std::lock_guard lock(control_lock);
            sw.poll_captures();
            sw.poll_vxlan();
            sw.watch_links();
        }
        if (rte_get_tsc_cycles() >= next_housekeeping) {
            std::lock_guard lock(control_lock);
            sw.housekeeping();
            next_housekeeping = rte_get_tsc_cycles() + rte_get_tsc_hz();
        }
    }
}

int run(int argc, char **argv) {
    auto opts = dsw::parse_command_line(argc, argv);
    if (!opts) return report(opts.error());
    if (opts->help) {
        std::fputs(dsw::usage_text(), stdout);
        return 0;
    }
    if (opts->version) {
        std::printf("%s (%s)\n", dsw::version_text(), rte_version());
        return 0;
    }
    dsw::Config cfg;
    if (!opts->config_path.empty()) {
        auto loaded = dsw::load_config_file(opts->config_path);
        if (!loaded) return report(loaded.error());
        cfg = std::move(loaded.value());
    }

    std::vector<std::string> eal_args = opts->eal_args.empty() ? dsw::eal_args_from_config(cfg.eal) : opts->eal_args;
    // What EAL would refuse only once it runs, or what would fail after it, named by its key now.
    if (auto st = dsw::validate_before_eal(cfg, eal_args, opts->eal_args.empty()); !st) return report(st.error());
    eal_args.insert(eal_args.begin(), argv[0]);
    // The control socket's path is checked before EAL: what is there and is not a stale socket
    // (a user's file, a directory, a running switch's socket) is an error, never replaced.
    std::string sock = opts->ctl_socket, sock_origin = "--ctl-socket";
    if (sock.empty()) {
        sock = cfg.sw.ctl_socket;
        sock_origin = cfg.source + ": switch.ctl_socket";
    }
    if (sock.empty()) {
        sock = dsw::default_ctl_socket(dsw::eal_option_value(eal_args, "--file-prefix"));
        sock_origin = "control socket";
    }
    if (auto st = dsw::check_ctl_socket_path(sock); !st)
        return report(dsw::fail(sock_origin + ": " + st.error().message, st.error().code));
    // The metrics address is bound before EAL too: one in use, or not an address, stops the
    // switch naming the option or key, before anything runs.
    std::string metrics = opts->metrics, metrics_origin = "--metrics";
    if (metrics.empty()) {
        metrics = cfg.sw.metrics;
        metrics_origin = cfg.source + ": switch.metrics";
    }
    std::unique_ptr<int, void (*)(int *)> metrics_fd(nullptr, [](int *fd) { close(*fd); delete fd; });
    if (!metrics.empty()) {
        auto fd = dsw::listen_tcp(metrics);
        if (!fd) return report(dsw::fail(metrics_origin + ": " + fd.error().message, fd.error().code));
        metrics_fd.reset(new int(fd.value()));
    }
    auto eal = dsw::Eal::init(eal_args);
    if (!eal) return report(eal.error());
    if (auto st = dsw::validate_lcores(cfg); !st) return report(st.error());
    // Lets dpdk-dumpcap / dpdk-pdump (secondary processes) capture any port. It needs a shared
    // runtime directory: under --in-memory there is none, and `capture` is the way then.
    if (rte_pdump_init() != 0) DSW_LOG(INFO, main, "pdump not available (%s): use the capture command", rte_strerror(rte_errno));

    int code = 0;
    {
        // Before the ports, and gone after them: what tap and vtap ports moved into another
        // namespace ask to learn of their link's changes there.
        std::unique_ptr<dsw::LinkEvents> link_events;
        if (auto opened = dsw::LinkEvents::open(); opened)
            link_events = std::move(opened.value());
        else
            DSW_LOG(WARNING, main, "link changes in other namespaces cannot be heard (%s): a tap or vtap port moved "
                    "into one shows its link changes up to 500 ms late", opened.error().message.c_str());
        auto sw = dsw::Switch::create(cfg);
        if (!sw) return report(sw.error());
        if (auto st = sw.value()->start(); !st) return report(st.error());
        // A config that is empty, or all comments, is valid: say what it gives, or the user would
        // wonder why nothing is switched.
        if (cfg.ports.empty()) DSW_LOG(NOTICE, main, "%s: no ports configured; add them with `port add`", cfg.source.c_str());
        // The socket appears only once every port runs: its existence means "ready".
        auto ctl = dsw::CtlServer::listen(sock);
        if (!ctl) return report(ctl.error());
        install_signal_handlers();
        std::mutex control_lock;
        dsw::telemetry_attach(sw.value().get(), &control_lock);
        // Its thread is made here, on the main lcore's thread, and so runs on the main lcore's CPUs.
        std::unique_ptr<dsw::MetricsServer> metrics_server;
        if (metrics_fd) {
            const int fd = *metrics_fd;
            delete metrics_fd.release();   // the server owns the socket now
            auto started = dsw::MetricsServer::start(fd, [&]() -> std::optional<std::string> {
                std::vector<dsw::MetricFamily> families;
                {
                    std::lock_guard lock(control_lock);
                    families = dsw::switch_metrics(*sw.value());
                }
                dsw::PrometheusResult page = dsw::render_prometheus(families);
                if (!page.error.empty()) {
                    DSW_LOG(ERR, ctl, "metrics: %s", page.error.c_str());
                    return std::nullopt;
                }
                return std::move(page.text);
            });
            if (!started) return report(dsw::fail(metrics_origin + ": " + started.error().message, dsw::kExitConfigError));
            metrics_server = std::move(started.value());
            DSW_LOG(INFO, main, "serving Prometheus metrics on http://%s/metrics", metrics.c_str());
        }
        std::unique_ptr<dsw::Prompt> prompt;
        if (opts->interactive)
            prompt = std::make_unique<dsw::Prompt>([&](const std::string &line) {
                if (dsw::tokenize(line).empty()) return true;
                std::unique_lock lock(control_lock);
                const dsw::Reply r = dsw::run_command(*sw.value(), line);
                lock.unlock();
                std::printf("%s\n", r.text.c_str());
                std::fflush(stdout);
                return !r.quit;
            }, [&] {
                std::lock_guard lock(control_lock);
                return dsw::completion_names(*sw.value());
            });
        control_loop(*sw.value(), ctl.value(), prompt.get(), link_events.get(), control_lock);
        metrics_server.reset();   // closes its connections and joins its thread: no scrape after this
        dsw::telemetry_attach(nullptr, nullptr);
        if (g_stop_signal != 0) DSW_LOG(INFO, main, "signal %d: stopping", static_cast<int>(g_stop_signal));
        sw.value()->stop();
    }   // ports close, pool and tables are freed, the socket is removed, then EAL cleans up
    return code;
}

}  // namespace

int main(int argc, char **argv) { return run(argc, argv); }
