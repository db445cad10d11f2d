#include "dpdk_switch/cni/ipam.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dpdk_switch/cni/cni_error.h"

extern char **environ;

namespace dsw::cni {

namespace {

using nlohmann::json;

// The first executable regular file named `type` in CNI_PATH's directories.
Result<std::string> find_plugin(const std::string &type, const std::string &cni_path) {
    if (cni_path.empty()) return fail("CNI_PATH: not set, so IPAM plugin '" + type + "' cannot be found", kInvalidEnvironment);
    size_t pos = 0;
    while (pos <= cni_path.size()) {
        size_t end = cni_path.find(':', pos);
        if (end == std::string::npos) end = cni_path.size();
        const std::string dir = cni_path.substr(pos, end - pos);
        pos = end + 1;
        if (dir.empty()) continue;
        const std::string p = dir + "/" + type;
        struct stat st {};
        if (stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0) return p;
    }
    return fail("IPAM plugin '" + type + "' not found in CNI_PATH " + cni_path, kInvalidConfig);
}

// Our environment with CNI_COMMAND replaced (a DEL to undo a failed ADD runs with ADD's env).
std::vector<std::string> child_env(const std::string &command) {
    std::vector<std::string> env;
    for (char **e = environ; *e != nullptr; ++e)
        if (std::strncmp(*e, "CNI_COMMAND=", 12) != 0) env.emplace_back(*e);
    env.push_back("CNI_COMMAND=" + command);
    return env;
}

Status write_all(int fd, const std::string &s) {
    for (size_t off = 0; off < s.size();) {
        const ssize_t n = write(fd, s.data() + off, s.size() - off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(std::string("writing to the IPAM plugin: ") + std::strerror(errno), kIoFailure);
        off += static_cast<size_t>(n);
    }
    return Ok{};
}

std::string read_all(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

}  // namespace

Result<json> run_delegate(const std::string &type, const std::string &cni_path, const std::string &command,
                          const std::string &conf) {
    auto path = find_plugin(type, cni_path);
    if (!path) return path.error();
    std::vector<std::string> env = child_env(command);
    std::vector<char *> envp;
    for (auto &e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0) return fail(std::string("pipe: ") + std::strerror(errno), kSystemFailure);
    if (pipe2(out, O_CLOEXEC) != 0) {
        close(in[0]);
        close(in[1]);
        return fail(std::string("pipe: ") + std::strerror(errno), kSystemFailure);
    }
    const pid_t pid = fork();
    if (pid == 0) {
        // stdin the configuration, stdout to us, stderr ours (the spec wants it passed on).
        if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0) _exit(127);
        char *argv[] = {path->data(), nullptr};
        execve(path->c_str(), argv, envp.data());
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    if (pid < 0) {
        close(in[1]);
        close(out[0]);
        return fail(std::string("fork: ") + std::strerror(errno), kSystemFailure);
    }
    // The configuration is a few KB, well under a pipe's 64 KB: writing it all before reading
    // cannot wait on the child's output.
    const Status wrote = write_all(in[1], conf);
    close(in[1]);
    const std::string answer = read_all(out[0]);
    close(out[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!wrote) return wrote.error();

    const json j = json::parse(answer, nullptr, false);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        // A CNI error from the plugin: its code and words, ours to pass on.
        if (!j.is_discarded() && j.is_object() && j.contains("code") && j["code"].is_number_integer()) {
            std::string msg = type + ": " + j.value("msg", std::string());
            if (const std::string d = j.value("details", std::string()); !d.empty()) msg += " (" + d + ")";
            return fail(msg, j["code"].get<int>());
        }
        const std::string how = WIFEXITED(status) ? "exited " + std::to_string(WEXITSTATUS(status))
                                                  : "was killed by signal " + std::to_string(WTERMSIG(status));
        return fail("IPAM plugin " + *path + " " + how + (answer.empty() ? "" : ": " + answer), kSystemFailure);
    }
    if (answer.find_first_not_of(" \t\r\n") == std::string::npos) return json();
    if (j.is_discarded()) return fail("IPAM plugin " + type + " answered something that is not JSON", kDecodeFailure);
    return j;
}

Result<IpamResult> parse_ipam_result(const json &r) {
    IpamResult out;
    out.raw = r;
    if (!r.is_object()) return fail("the IPAM result is not a JSON object", kDecodeFailure);
    for (const json &ip : r.value("ips", json::array())) {
        if (!ip.is_object() || !ip.contains("address") || !ip["address"].is_string())
            return fail("IPAM result: an entry of ips has no address", kDecodeFailure);
        IpamIp x;
        auto a = parse_prefix(ip["address"].get<std::string>(), "IPAM ips[].address");
        if (!a) return a.error();
        x.address = *a;
        if (ip.contains("gateway") && ip["gateway"].is_string()) {
            auto g = parse_addr(ip["gateway"].get<std::string>(), "IPAM ips[].gateway");
            if (!g) return g.error();
            x.gateway = *g;
        }
        out.ips.push_back(x);
    }
    for (const json &rt : r.value("routes", json::array())) {
        if (!rt.is_object() || !rt.contains("dst") || !rt["dst"].is_string())
            return fail("IPAM result: an entry of routes has no dst", kDecodeFailure);
        Route route;
        auto d = parse_prefix(rt["dst"].get<std::string>(), "IPAM routes[].dst");
        if (!d) return d.error();
        route.dst = *d;
        if (rt.contains("gw") && rt["gw"].is_string()) {
            auto g = parse_addr(rt["gw"].get<std::string>(), "IPAM routes[].gw");
            if (!g) return g.error();
            route.gw = *g;
        } else {
            // The spec: "If unset, a value in gateway in the ips array may be used".
            for (const IpamIp &ip : out.ips)
                if (ip.gateway && ip.gateway->family == route.dst.family) {
                    route.gw = ip.gateway;
                    break;
                }
        }
        out.routes.push_back(route);
    }
    return out;
}

}  // namespace dsw::cni
