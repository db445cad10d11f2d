// Writes a file whole or not at all, for `save config`: a user's file is either the old one or
// the new one, never a half-written one, and never something other than a regular file.
#pragma once

#include <string>

#include <sys/types.h>

#include "dpdk_switch/result.h"

namespace dsw {

// Writes `text` to a temporary file in `path`'s directory, flushes it to disk and renames it over
// `path`. An existing `path` must be a regular file (a symbolic link is refused, not followed;
// a directory, FIFO, socket or device is refused); the new file keeps its mode and owner. A new
// file gets `new_mode` less the umask (0600 for a text that holds a secret). Until it has its
// final mode the temporary file is readable by its owner alone, so that a secret in `text` is
// never readable by others, not even for a moment. On any error the temporary file is removed
// and `path` is as it was.
Status replace_file(const std::string &path, const std::string &text, mode_t new_mode = 0644);

}  // namespace dsw
