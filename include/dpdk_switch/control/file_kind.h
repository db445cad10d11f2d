// What kind of file a mode says, in the words of a refusal: "a directory", "a FIFO". Shared by
// the checks that refuse a path for being the wrong kind (the config file, the control socket).
#pragma once

#include <sys/stat.h>

namespace dsw {

inline const char *file_kind(mode_t mode) {
    if (S_ISREG(mode)) return "a regular file";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISLNK(mode)) return "a symbolic link";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISSOCK(mode)) return "a socket";
    return "an unknown kind of file";
}

}  // namespace dsw
