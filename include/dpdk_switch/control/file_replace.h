// Writes a file whole or not at all, for `save config`: a user's file is either the old one or
// the new one, never a half-written one, and never something other than a regular file.
#pragma once

#include <string>

#include "dpdk_switch/result.h"

namespace dsw {

// Writes `text` to a temporary file in `path`'s directory, flushes it to disk and renames it over
// `path`. An existing `path` must be a regular file (a symbolic link is refused, not followed;
// a directory, FIFO, socket or device is refused); the new file keeps its mode and owner. A new
// file gets mode 0644 less the umask. On any error the temporary file is removed and `path` is
// as it was.
Status replace_file(const std::string &path, const std::string &text);

}  // namespace dsw
