// The Prometheus endpoint (switch.metrics / --metrics): GET /metrics answers the text of
// `render`, any other path 404. libmicrohttpd serves it from one thread of its own, which the
// constructor creates on the calling thread's CPUs: the main lcore's, never a worker's.
//
// Hostile clients cost the switch nothing it needs: at most kMaxConnections at once (more are
// closed at accept), a request whose header passes kMaxRequestBytes is answered 431 and closed,
// a connection silent for kIdleTimeoutS is closed, and the destructor closes every connection
// and joins the thread whatever the clients do (a slowloris holds nothing at shutdown).
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "dpdk_switch/result.h"

struct MHD_Daemon;

namespace dsw {

class MetricsServer {
public:
    static constexpr unsigned kMaxConnections = 16;
    static constexpr unsigned kIdleTimeoutS = 5;
    static constexpr size_t kMaxRequestBytes = 16384;

    // The page, or nothing for "500 Internal Server Error". Runs on the server's thread.
    using Render = std::function<std::optional<std::string>()>;

    // Serves on `listen_fd` (listen_tcp; the server owns it from here, also on failure).
    static Result<std::unique_ptr<MetricsServer>> start(int listen_fd, Render render);
    ~MetricsServer();   // closes every connection and the socket, joins the thread
    MetricsServer(const MetricsServer &) = delete;
    MetricsServer &operator=(const MetricsServer &) = delete;

    std::optional<std::string> render() const { return render_(); }   // on the server's thread

private:
    explicit MetricsServer(Render render) : render_(std::move(render)) {}
    Render render_;
    MHD_Daemon *daemon_ = nullptr;
};

}  // namespace dsw
