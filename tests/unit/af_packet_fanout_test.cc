// An af_packet port whose PACKET_FANOUT group a packet socket holds on another interface, as
// another process's net_af_packet port does when pid_A ^ pid_B == ifindex_A ^ ifindex_B: provoked
// for real (a socket of this process joins the group the PMD will ask for, on the veth's other
// end), the port's error names the group, its holder and the remedy; once it is free the port opens.
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include <rte_byteorder.h>

#include "dpdk_switch/control/commands.h"
#include "dpdk_switch/control/switch.h"
#include "dpdk_switch/ports/af_packet_fanout.h"
#include "empty_switch.h"
#include "frames.h"

namespace dsw {
namespace {

int sh(const std::string &cmd) { return std::system(cmd.c_str()); }

// A veth pair named after this process, deleted at the end.
struct VethPair {
    std::string a, b;
    VethPair() {
        const std::string tag = std::to_string(getpid() % 100000);
        a = "vxmf" + tag + "a";
        b = "vxmf" + tag + "b";
        sh("ip link del " + a + " 2>/dev/null");
        EXPECT_EQ(sh("ip link add " + a + " type veth peer name " + b), 0);
        for (const std::string &i : {a, b}) {
            sh("echo 1 > /proc/sys/net/ipv6/conf/" + i + "/disable_ipv6");
            EXPECT_EQ(sh("ip link set " + i + " up"), 0);
        }
    }
    ~VethPair() { sh("ip link del " + a + " 2>/dev/null"); }
};

// A packet socket on `iface` in fanout group `group` (hash, as the PMD's); -1 on failure.
int join_fanout(const std::string &iface, uint16_t group) {
    const int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    sockaddr_ll sll{};
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = rte_cpu_to_be_16(ETH_P_ALL);
    sll.sll_ifindex = static_cast<int>(if_nametoindex(iface.c_str()));
    const int arg = group | (PACKET_FANOUT_HASH << 16);
    if (bind(fd, reinterpret_cast<const sockaddr *>(&sll), sizeof sll) != 0 ||
        setsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

TEST(AfPacketFanout, AGroupTakenOnAnotherInterfaceIsNamedWithItsHolderAndTheRemedy) {
    VethPair veth;
    const std::unique_ptr<Switch> started = test::empty_switch();
    ASSERT_NE(started, nullptr);
    Switch &sw = *started;

    const unsigned ifindex = if_nametoindex(veth.a.c_str());
    const uint16_t group = af_packet_fanout_group(getpid(), ifindex);
    const int holder = join_fanout(veth.b, group);
    ASSERT_GE(holder, 0) << "cannot join fanout group " << group << " on " << veth.b;
    const Reply refused = run_command(sw, "port add f0 af_packet iface=" + veth.a);
    EXPECT_FALSE(refused.ok);
    const std::string why = refused.json.value("error", "");
    EXPECT_NE(why.find("port f0: cannot probe 'net_af_packet_f0,iface=" + veth.a), std::string::npos) << why;
    EXPECT_NE(why.find("the port's PACKET_FANOUT group " + std::to_string(group) + " (net_af_packet's (pid " +
                       std::to_string(getpid()) + " ^ ifindex " + std::to_string(ifindex) + ") & 0xffff) is taken "
                       "in this network namespace by a packet socket on " + veth.b + " (ifindex " +
                       std::to_string(if_nametoindex(veth.b.c_str())) + ") of pid " + std::to_string(getpid())),
              std::string::npos)
        << why;
    EXPECT_NE(why.find("start the switch again (another pid, another group) or make the port `type: veth`"),
              std::string::npos)
        << why;
    EXPECT_EQ(sw.port("f0"), nullptr);

    // The group free again, the same port opens (and a failed probe left nothing behind).
    close(holder);
    const Reply added = run_command(sw, "port add f0 af_packet iface=" + veth.a);
    EXPECT_TRUE(added.ok) << added.text;
    EXPECT_EQ(af_packet_fanout_clash(veth.a), "") << "the port's own sockets hold its group: no clash";
    if (added.ok) {
        EXPECT_TRUE(sw.del_port("f0").ok());
    }
    sw.stop();
    EXPECT_TRUE(test::pool_full(sw.pool()));
}

}  // namespace
}  // namespace dsw
