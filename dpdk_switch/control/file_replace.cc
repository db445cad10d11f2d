// replace_file: a temporary file beside the target, written, fsynced, given the old file's mode
// and owner, then renamed over it (rename is atomic within a directory, and replaces a name
// without following it). The directory is fsynced so that the rename survives a crash too.
#include "dpdk_switch/control/file_replace.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "dpdk_switch/control/file_kind.h"

namespace dsw {
namespace {

Error file_error(const std::string &path, const std::string &what, int err) {
    return fail(path + ": " + what + ": " + std::strerror(err));
}

bool write_all(int fd, const std::string &text) {
    size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        done += static_cast<size_t>(n);
    }
    return true;
}

// The directory part and the name part of a path ("a/b.yaml" -> "a", "b.yaml"; "b.yaml" -> ".").
std::pair<std::string, std::string> split(const std::string &path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos)
        return {".", path};
    return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}

}  // namespace

Status replace_file(const std::string &path, const std::string &text, mode_t new_mode) {
    const auto [dir, name] = split(path);
    if (name.empty() || name == "." || name == "..")
        return fail(path + ": not a file name");
    const int dfd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return file_error(path, "cannot open its directory " + dir, errno);
    // What is there now: a regular file (kept mode and owner), nothing, or a refusal.
    struct stat old{};
    bool exists = true;
    if (fstatat(dfd, name.c_str(), &old, AT_SYMLINK_NOFOLLOW) != 0) {
        const int err = errno;
        if (err != ENOENT) {
            close(dfd);
            return file_error(path, "cannot inspect", err);
        }
        exists = false;
    } else if (!S_ISREG(old.st_mode)) {
        close(dfd);
        return fail(path + ": is " + file_kind(old.st_mode) + ", not a regular file: refusing to replace it");
    }
    const std::string tmp = "." + name + ".dswtmp" + std::to_string(getpid());
    // O_EXCL | O_NOFOLLOW: never write through whatever (a link) already has the temporary's name.
    // Made 0600 when it replaces a file: it is given that file's mode once written, and a more
    // open mode now would show the text to others before the old file's mode (0600, say) closes it.
    const mode_t create_mode = exists ? 0600 : new_mode;
    const int fd = openat(dfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, create_mode);
    if (fd < 0) {
        const int err = errno;
        close(dfd);
        return file_error(path, "cannot create " + dir + "/" + tmp, err);
    }
    auto abandon = [&](const std::string &what, int err) {
        close(fd);
        unlinkat(dfd, tmp.c_str(), 0);
        close(dfd);
        return file_error(path, what, err);
    };
    if (!write_all(fd, text))
        return abandon("cannot write " + dir + "/" + tmp, errno);
    if (exists) {
        if (fchmod(fd, old.st_mode & 07777) != 0)
            return abandon("cannot give the new file the old one's mode", errno);
        if (fchown(fd, old.st_uid, old.st_gid) != 0 && geteuid() == 0)
            return abandon("cannot give the new file the old one's owner", errno);
    }
    if (fsync(fd) != 0)
        return abandon("cannot flush " + dir + "/" + tmp, errno);
    // The target was checked above; a directory put there since makes rename fail (EISDIR), and
    // a symbolic link put there is replaced, not followed.
    if (renameat(dfd, tmp.c_str(), dfd, name.c_str()) != 0)
        return abandon("cannot rename " + dir + "/" + tmp + " over it", errno);
    close(fd);
    fsync(dfd);
    close(dfd);
    return Ok{};
}

}  // namespace dsw
