// LinkEvents hears a link change in another namespace once that namespace has an id in the
// switch's (ensure_netns_id gives it one), and only then; a change in the switch's own namespace
// does not move the count that other namespaces' cached answers go by.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "dpdk_switch/ports/link_events.h"

namespace dsw {
namespace {

int sh(const std::string &cmd) { return std::system(cmd.c_str()); }

// Whether the socket has something to read within `ms` (the kernel sends at once; the wait is
// only a bound on a slow machine).
bool readable(const LinkEvents &e, int ms) {
    pollfd p{e.fd(), POLLIN, 0};
    return poll(&p, 1, ms) > 0;
}

class LinkEventsTest : public ::testing::Test {
protected:
    void SetUp() override {
        cleanup();
        ASSERT_EQ(sh("ip netns add " + ns_), 0);
        // Made inside the namespace, not moved there: the namespace has no id here yet.
        ASSERT_EQ(sh("ip -n " + ns_ + " link add " + link_ + " type veth peer name " + link_ + "p"), 0);
        ASSERT_EQ(sh("ip link add " + here_ + " type veth peer name " + here_ + "p"), 0);
    }
    void TearDown() override { cleanup(); }
    void cleanup() {
        sh("ip netns del " + ns_ + " 2>/dev/null");
        sh("ip link del " + here_ + " 2>/dev/null");
    }
    void toggle_there() {
        ASSERT_EQ(sh("ip -n " + ns_ + " link set " + link_ + " up"), 0);
        ASSERT_EQ(sh("ip -n " + ns_ + " link set " + link_ + " down"), 0);
    }
    const std::string ns_ = "ctlku" + std::to_string(getpid());
    const std::string link_ = "ctlkd0";
    const std::string here_ = "ctlkh" + std::to_string(getpid());
};

TEST_F(LinkEventsTest, HearsAnotherNamespaceOnceItHasAnIdHere) {
    EXPECT_EQ(foreign_link_epoch(), 0u) << "nothing heard while no LinkEvents is open";
    {
        auto opened = LinkEvents::open();
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        LinkEvents &e = *opened.value();
        const uint64_t start = foreign_link_epoch();
        EXPECT_NE(start, 0u);

        // The switch's own namespace: read, but no change of another's.
        ASSERT_EQ(sh("ip link set " + here_ + " up"), 0);
        ASSERT_TRUE(readable(e, 2000));
        EXPECT_FALSE(e.drain());
        EXPECT_EQ(foreign_link_epoch(), start);

        // Another namespace without an id here: nothing comes.
        toggle_there();
        EXPECT_FALSE(readable(e, 200));
        EXPECT_EQ(foreign_link_epoch(), start);

        // Given one, its changes are heard; asking again is no error.
        const int ns_fd = open(("/run/netns/" + ns_).c_str(), O_RDONLY | O_CLOEXEC);
        ASSERT_GE(ns_fd, 0);
        const Status given = ensure_netns_id(ns_fd);
        EXPECT_TRUE(given.ok()) << given.error().message;
        const Status again = ensure_netns_id(ns_fd);
        EXPECT_TRUE(again.ok()) << again.error().message;
        close(ns_fd);
        toggle_there();
        ASSERT_TRUE(readable(e, 2000));
        EXPECT_TRUE(e.drain());
        EXPECT_GT(foreign_link_epoch(), start);
        EXPECT_FALSE(e.drain()) << "all read";
    }
    EXPECT_EQ(foreign_link_epoch(), 0u) << "closed: cached answers expire by time again";
}

}  // namespace
}  // namespace dsw
