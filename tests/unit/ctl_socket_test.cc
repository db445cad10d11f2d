// CtlServer's client slots: which client makes room when the table is full, and which ones the
// idle timeout closes. The server is driven turn by turn as main's control loop drives it, and
// the clients are plain sockets, so that "waiting for an answer" can be held still.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "dpdk_switch/control/ctl_socket.h"

namespace dsw {
namespace {

std::string socket_path() {
    static int n = 0;
    return "/tmp/dsw_ctl_unit_" + std::to_string(getpid()) + "_" + std::to_string(++n) + ".sock";
}

// One turn of main's control loop for the server alone.
void turn(CtlServer &server, const CtlServer::Handler &handler, int timeout_ms = 5) {
    std::vector<pollfd> fds;
    server.add_pollfds(fds);
    poll(fds.data(), fds.size(), server.busy() ? 0 : timeout_ms);
    server.service(fds, handler);
}

class Client {
public:
    explicit Client(const std::string &path) {
        fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
        EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr *>(&addr), sizeof addr), 0) << std::strerror(errno);
    }
    ~Client() { close(fd_); }
    Client(const Client &) = delete;
    Client &operator=(const Client &) = delete;

    void send_line(const std::string &line) {
        const std::string s = line + "\n";
        EXPECT_EQ(send(fd_, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
    }
    // The next reply line, turning the server meanwhile; nullopt at EOF (or after 5 s).
    std::optional<nlohmann::json> read_reply(CtlServer &server, const CtlServer::Handler &handler) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        size_t nl;
        while ((nl = buf_.find('\n')) == std::string::npos) {
            if (eof_ || std::chrono::steady_clock::now() > deadline) return std::nullopt;
            turn(server, handler);
            char chunk[65536];
            const ssize_t n = recv(fd_, chunk, sizeof chunk, 0);
            if (n > 0) buf_.append(chunk, static_cast<size_t>(n));
            eof_ = n == 0 || (n < 0 && errno != EAGAIN);
        }
        auto j = nlohmann::json::parse(buf_.substr(0, nl));
        buf_.erase(0, nl + 1);
        return j;
    }
    bool closed(CtlServer &server, const CtlServer::Handler &handler) { return !read_reply(server, handler) && eof_; }

private:
    int fd_ = -1;
    std::string buf_;
    bool eof_ = false;
};

Reply small(const std::string &line) {
    Reply r;
    r.text = "ok " + line;
    return r;
}

std::string error_of(const std::optional<nlohmann::json> &reply) {
    return reply ? (*reply)["json"].value("error", std::string()) : "no reply";
}

TEST(CtlServer, FullTableEvictsTheLongestIdleNeverOneWaitingForItsAnswer) {
    // "big": an answer far larger than a socket buffer, which its client does not read yet: it
    // is the oldest client, and still waits for (the rest of) its answer.
    const std::string big(2 << 20, 'b');
    const CtlServer::Handler handler = [&](const std::string &line) {
        Reply r = small(line);
        if (line == "big") r.text = big;
        return r;
    };
    auto server = CtlServer::listen(socket_path());
    ASSERT_TRUE(server.ok()) << server.error().message;
    Client waiting(server->path());
    waiting.send_line("big");
    for (int i = 0; i < 5; ++i) turn(*server, handler);

    std::vector<std::unique_ptr<Client>> idle;
    for (size_t i = 1; i < kMaxCtlClients; ++i) {
        idle.push_back(std::make_unique<Client>(server->path()));
        idle.back()->send_line("hello");
        ASSERT_EQ(error_of(idle.back()->read_reply(*server, handler)), "");
    }
    Client newcomer(server->path());
    newcomer.send_line("hello");
    auto reply = newcomer.read_reply(*server, handler);
    ASSERT_TRUE(reply.has_value());
    EXPECT_TRUE((*reply)["ok"].get<bool>()) << reply->dump();

    const std::string notice = error_of(idle[0]->read_reply(*server, handler));
    EXPECT_NE(notice.find("idle the longest"), std::string::npos) << notice;
    EXPECT_TRUE(idle[0]->closed(*server, handler));
    auto answer = waiting.read_reply(*server, handler);
    ASSERT_TRUE(answer.has_value()) << "the client waiting for its answer was closed";
    EXPECT_EQ((*answer)["text"].get<std::string>().size(), big.size());
    idle[1]->send_line("still here");
    EXPECT_EQ(error_of(idle[1]->read_reply(*server, handler)), "");
}

TEST(CtlServer, IdleClientsCloseButNotOneWhoseCommandRanLong) {
    setenv("DSW_CTL_IDLE_TIMEOUT_S", "0.5", 1);
    auto server = CtlServer::listen(socket_path());
    unsetenv("DSW_CTL_IDLE_TIMEOUT_S");
    ASSERT_TRUE(server.ok()) << server.error().message;
    // "slow" runs longer than the idle timeout, as a long command would.
    const CtlServer::Handler handler = [](const std::string &line) {
        if (line == "slow") std::this_thread::sleep_for(std::chrono::seconds(1));
        return small(line);
    };
    Client slow(server->path()), quiet(server->path());
    for (Client *c : {&slow, &quiet}) {
        c->send_line("hello");
        ASSERT_EQ(error_of(c->read_reply(*server, handler)), "");
    }
    slow.send_line("slow");
    auto reply = slow.read_reply(*server, handler);
    ASSERT_TRUE(reply.has_value()) << "closed while its command ran";
    EXPECT_EQ((*reply)["text"], "ok slow");

    const std::string notice = error_of(quiet.read_reply(*server, handler));
    EXPECT_NE(notice.find("closed after 0.5 s without a command"), std::string::npos) << notice;
    EXPECT_TRUE(quiet.closed(*server, handler));
    // And once its answer is taken, it is an idle client like any other.
    EXPECT_NE(error_of(slow.read_reply(*server, handler)).find("without a command"), std::string::npos);
}

}  // namespace
}  // namespace dsw
