// MetricsServer on libmicrohttpd (Debian's libmicrohttpd12): one internal polling thread (poll(),
// so no FD_SETSIZE limit), the listening socket bound before EAL and handed over, limits on
// connections, request size and idle time. cpp-httplib 0.11 (Debian's) was the first choice, but
// it reads a request line by line into a string without bound (a header line of gigabytes is
// buffered whole, one read() per byte), keeps any number of headers, and its stop() joins
// threads that a slowloris client holds: none of which a hostile client may do to the switch.
#include "dpdk_switch/control/metrics_server.h"

#include <unistd.h>

#include <cstring>

#include <microhttpd.h>

#include "dpdk_switch/control/prometheus_text.h"

namespace dsw {
namespace {

MHD_Result reply(MHD_Connection *c, unsigned status, const std::string &body, const char *type) {
    MHD_Response *r = MHD_create_response_from_buffer(body.size(), const_cast<char *>(body.data()), MHD_RESPMEM_MUST_COPY);
    if (r == nullptr) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    const MHD_Result ok = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ok;
}

// Answers at the first call for every request: a body (a POST's) is never read, only refused.
MHD_Result on_request(void *cls, MHD_Connection *c, const char *url, const char *method, const char *, const char *,
                      size_t *, void **) {
    const auto *server = static_cast<const MetricsServer *>(cls);
    const char *text = "text/plain; charset=utf-8";
    if (std::strcmp(url, "/metrics") != 0) return reply(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n", text);
    if (std::strcmp(method, MHD_HTTP_METHOD_GET) != 0 && std::strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", text);
    const std::optional<std::string> page = server->render();
    if (!page) return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "the switch could not render its metrics\n", text);
    return reply(c, MHD_HTTP_OK, *page, kPrometheusContentType);
}

}  // namespace

Result<std::unique_ptr<MetricsServer>> MetricsServer::start(int listen_fd, Render render) {
    std::unique_ptr<MetricsServer> s(new MetricsServer(std::move(render)));
    // MHD_USE_ITC: a stop wakes the thread through a pipe of its own. Without it MHD wakes it by
    // shutting the listening socket, which its poll() no longer watches once kMaxConnections
    // are open: the stop then waited for a connection's timeout.
    s->daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ITC, 0, nullptr, nullptr, &on_request, s.get(),
                                  MHD_OPTION_LISTEN_SOCKET, listen_fd,
                                  MHD_OPTION_CONNECTION_LIMIT, kMaxConnections,
                                  MHD_OPTION_CONNECTION_TIMEOUT, kIdleTimeoutS,
                                  MHD_OPTION_CONNECTION_MEMORY_LIMIT, kMaxRequestBytes,
                                  MHD_OPTION_END);
    if (s->daemon_ == nullptr) {
        close(listen_fd);
        return fail("metrics: libmicrohttpd could not start on the metrics socket");
    }
    return s;
}

MetricsServer::~MetricsServer() {
    if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

}  // namespace dsw
