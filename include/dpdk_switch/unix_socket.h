// Who is behind a unix socket file: the control socket and the vhost/memif server sockets both
// take over a file a killed process left, and only such a file.
#pragma once

#include <string>

namespace dsw {

enum class Listener { nobody, someone, unknown };

// A non-blocking stream connect to `path` (shorter than sun_path): refused when nobody listens
// (the file a killed process left); it succeeds, meets a full backlog (EAGAIN) or a socket of
// another type (EPROTOTYPE: memif listens on SOCK_SEQPACKET) when someone does. `err` gets the
// connect's errno (0 on success), which says why when the answer is `unknown`.
Listener probe_listener(const std::string &path, int &err);

}  // namespace dsw
