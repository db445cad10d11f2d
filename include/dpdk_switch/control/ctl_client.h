// CtlClient: the client side of the control socket, used by dpdk_switch_ctl.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "dpdk_switch/result.h"

namespace dsw {

class CtlClient {
public:
    static Result<CtlClient> connect(const std::string &path);
    CtlClient(CtlClient &&o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
    CtlClient &operator=(CtlClient &&) = delete;
    ~CtlClient();

    // Sends one command and returns the decoded reply {"ok","text","json"}.
    Result<nlohmann::json> call(const std::string &line);

private:
    CtlClient() = default;
    int fd_ = -1;
    std::string buffered_;
};

}  // namespace dsw
