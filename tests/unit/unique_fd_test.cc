// UniqueFd closes what it holds exactly once: when it goes, when reset, when a move replaces it;
// a moved-from one closes nothing.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "dpdk_switch/unique_fd.h"

namespace dsw {
namespace {

bool is_open(int fd) { return fcntl(fd, F_GETFD) != -1; }

// Both ends of a fresh pipe, each owned.
struct Pipe {
    UniqueFd r, w;
    Pipe() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) == 0) {
            r.reset(fds[0]);
            w.reset(fds[1]);
        }
    }
};

TEST(UniqueFd, ClosesWhenItGoes) {
    int fd;
    {
        Pipe p;
        ASSERT_TRUE(p.r);
        fd = p.r.get();
        EXPECT_TRUE(is_open(fd));
    }
    EXPECT_FALSE(is_open(fd));
}

TEST(UniqueFd, AMoveHandsItOnAndTheMovedFromClosesNothing) {
    Pipe p;
    const int fd = p.r.get();
    UniqueFd kept;
    {
        UniqueFd moved(std::move(p.r));
        EXPECT_FALSE(p.r);
        EXPECT_EQ(moved.get(), fd);
        kept = std::move(moved);
    }
    EXPECT_TRUE(is_open(fd));
    EXPECT_EQ(kept.get(), fd);
}

TEST(UniqueFd, ResetAndAssignmentCloseTheOldOne) {
    Pipe p;
    const int r = p.r.get(), w = p.w.get();
    p.r = std::move(p.w);   // r closed, w held by p.r
    EXPECT_FALSE(is_open(r));
    EXPECT_TRUE(is_open(w));
    p.r.reset();
    EXPECT_FALSE(is_open(w));
    EXPECT_FALSE(p.r);
}

TEST(UniqueFd, ReleaseGivesItUp) {
    Pipe p;
    const int fd = p.r.release();
    EXPECT_FALSE(p.r);
    EXPECT_TRUE(is_open(fd));
    close(fd);
}

}  // namespace
}  // namespace dsw
