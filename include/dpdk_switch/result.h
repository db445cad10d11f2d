// Result<T>: a value or an error (code + message). Start-up and the control plane return it
// instead of throwing or exiting; only main() turns an error into an exit code.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace dsw {

struct Error {
    int code = 1;          // process exit code it maps to (2: bad configuration)
    std::string message;
};

inline constexpr int kExitConfigError = 2;

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::move(value)) {}                 // NOLINT: implicit by design
    Result(Error error) : v_(std::move(error)) {}             // NOLINT: implicit by design

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T &value() & { return std::get<0>(v_); }
    T &&value() && { return std::get<0>(std::move(v_)); }
    const T &value() const & { return std::get<0>(v_); }
    T *operator->() { return &std::get<0>(v_); }
    T &operator*() { return std::get<0>(v_); }
    const Error &error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error fail(std::string message, int code = 1) { return Error{code, std::move(message)}; }

}  // namespace dsw
