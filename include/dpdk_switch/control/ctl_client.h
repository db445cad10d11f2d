// CtlClient: the client side of the control socket, used by dpdk_switch_ctl.
#pragma once

#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "dpdk_switch/result.h"

namespace dsw {

class CtlClient {
public:
    static Result<CtlClient> connect(const std::string &path);
    CtlClient(CtlClient &&o) noexcept
        : path_(std::move(o.path_)), fd_(std::exchange(o.fd_, -1)), buffered_(std::move(o.buffered_)), answered_(o.answered_) {}
    CtlClient &operator=(CtlClient &&) = delete;
    ~CtlClient();

    // Sends one command and returns the decoded reply {"ok","text","json"}. A switch that
    // closes the connection instead of answering (a refused client) is answered by the
    // reason it wrote, if any. A connection the switch closed between commands (idle too long)
    // is replaced by a new one before the command is sent.
    Result<nlohmann::json> call(const std::string &line);

private:
    CtlClient() = default;
    bool closed_by_switch();
    Result<nlohmann::json> read_reply();

    std::string path_;
    int fd_ = -1;
    std::string buffered_;
    bool answered_ = false;   // a reply came on this connection: the switch accepted us
};

}  // namespace dsw
