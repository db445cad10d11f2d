// The CNI spec's error codes (1.0.0, section 5 "Error"). The plugin's Result<T> carries one in
// Error::code; main() prints it as the spec's error JSON on stdout and exits 1.
#pragma once

namespace dsw::cni {

inline constexpr int kIncompatibleVersion = 1;
inline constexpr int kUnsupportedField = 2;     // the message names the key and its value
inline constexpr int kUnknownContainer = 3;
inline constexpr int kInvalidEnvironment = 4;   // the message names the variable
inline constexpr int kIoFailure = 5;
inline constexpr int kDecodeFailure = 6;
inline constexpr int kInvalidConfig = 7;
inline constexpr int kTryAgainLater = 11;       // the switch is down: a runtime may retry
// 100 and up are the plugin's own.
inline constexpr int kSystemFailure = 100;      // netlink, namespaces, a delegated plugin gone wrong
inline constexpr int kSwitchRefused = 101;      // the switch answered `port add` with an error
inline constexpr int kCheckFailed = 102;        // CHECK found the attachment not as ADD left it

// The one version this plugin speaks; VERSION lists it.
inline constexpr const char *kCniVersion = "1.0.0";

}  // namespace dsw::cni
