// The proxies' replies, byte for byte, against frames made by scapy (hex below, with the scapy
// expression that made each), and the ND proxy's rules.
//
//   p0 ─┐                 ┌─ p2
//       ├ worker, lcore 1 ┤         all access ports of the default VLAN
//   p1 ─┘                 └
#include "switch_fixture.h"

namespace dsw {
namespace {

using test::Frame;
using test::SwitchTest;

Frame hex(const std::string &h) {
    Frame f;
    for (size_t i = 0; i + 1 < h.size(); i += 2) f.push_back(static_cast<uint8_t>(std::stoul(h.substr(i, 2), nullptr, 16)));
    return f;
}

// Ether(dst="33:33:00:00:00:01", src=B)/IPv6(src="fe80::b", dst="ff02::1", hlim=255)
//   /ICMPv6ND_NA(tgt="fe80::b", R=0, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr=B)      B = 02:00:00:00:00:0b
const Frame kNaFromB = hex(
    "33330000000102000000000b86dd6000000000203afffe80000000000000000000000000000bff020000000000000000000000000001"
    "8800577d20000000fe80000000000000000000000000000b020102000000000b");
// Ether(dst="33:33:ff:00:00:0b", src=C)/IPv6(src="fe80::c", dst="ff02::1:ff00:b", hlim=255)
//   /ICMPv6ND_NS(tgt="fe80::b")/ICMPv6NDOptSrcLLAddr(lladdr=C)                      C = 02:00:00:00:00:0c
const Frame kNsFromC = hex(
    "3333ff00000b02000000000c86dd6000000000203afffe80000000000000000000000000000cff0200000000000000000001ff00000b"
    "87007a6f00000000fe80000000000000000000000000000b010102000000000c");
// The same solicitation as Duplicate Address Detection: IPv6(src="::"), no option.
const Frame kDadFromC = hex(
    "3333ff00000b02000000000c86dd6000000000183aff00000000000000000000000000000000ff0200000000000000000001ff00000b"
    "87007c1100000000fe80000000000000000000000000000b");
// Ether(dst=C, src=B)/IPv6(src="fe80::b", dst="fe80::c", hlim=255)
//   /ICMPv6ND_NA(tgt="fe80::b", R=0, S=1, O=1)/ICMPv6NDOptDstLLAddr(lladdr=B)
const Frame kExpectedNa = hex(
    "02000000000c02000000000b86dd6000000000203afffe80000000000000000000000000000bfe80000000000000000000000000000c"
    "880017f460000000fe80000000000000000000000000000b020102000000000b");
// Ether(dst=C, src=B)/ARP(op=2, hwsrc=B, psrc="10.0.0.2", hwdst=C, pdst="10.0.0.3")  (42 bytes, unpadded)
const Frame kScapyArpReply = hex("02000000000c02000000000b0806000108000604000202000000000b0a00000202000000000c0a000003");
// Ether(dst="ff:ff:ff:ff:ff:ff", src=C)/ARP(op=1, hwsrc=C, psrc="10.0.0.3", pdst="10.0.0.2"), padded to 60
Frame arp_request_from_c() {
    Frame f = hex("ffffffffffff02000000000c0806000108000604000102000000000c0a000003000000000000" "0a000002");
    f.resize(60, 0);
    return f;
}
// Ether(dst=B... any)/ARP(op=2, hwsrc=B, psrc="10.0.0.2", hwdst=A, pdst="10.0.0.1")
const Frame kArpFromB = hex("02000000000a02000000000b0806000108000604000202000000000b0a00000202000000000a0a000001");

TEST_F(SwitchTest, NdSolicitationForAKnownBindingGetsTheScapyAdvertisement) {
    run({{}, {kNaFromB}, {kNsFromC}}, {"show nd table", "show switch stats"});
    // p2 gets B's unsolicited NA (all-nodes: flooded) and the switch's answer to C.
    ASSERT_EQ(tx_[2].size(), 2u);
    EXPECT_EQ(tx_[2][0], kNaFromB);
    EXPECT_EQ(tx_[2][1], kExpectedNa) << "byte-exact, ICMPv6 checksum included";
    EXPECT_EQ(tx_[1].size(), 0u) << "the owner never sees the solicitation";
    ASSERT_EQ(replies_[0].json["entries"].size(), 2u);   // fe80::b from the NA, fe80::c from the NS
    EXPECT_EQ(replies_[1].json["nd_proxy_replies"], 1);
    EXPECT_EQ(replies_[1].json["nd_learned"], 2);
}

TEST_F(SwitchTest, DuplicateAddressDetectionIsNeverAnswered) {
    run({{}, {kNaFromB}, {kDadFromC}}, {"show switch stats", "show nd table"});
    EXPECT_EQ(replies_[0].json["nd_proxy_replies"], 0);
    EXPECT_EQ(tx_[1], (std::vector<Frame>{kDadFromC})) << "DAD reaches the owner, who defends its address";
    EXPECT_EQ(replies_[1].json["entries"].size(), 1u) << "DAD (source ::) teaches nothing";
}

TEST_F(SwitchTest, MalformedNdIsDroppedAndCounted) {
    Frame bad_opt = kNsFromC;
    bad_opt[bad_opt.size() - 7] = 0;   // option length 0
    Frame short_ns = kNsFromC;
    short_ns.resize(70);               // payload length says 32, frame holds 16
    Frame bad_code = kNsFromC;
    bad_code[55] = 1;                  // ICMPv6 code 1
    run({{bad_opt, short_ns, bad_code}, {}});
    EXPECT_EQ(totals_[0].drops[static_cast<unsigned>(DropReason::nd_malformed)], 2u);
    EXPECT_EQ(totals_[0].drops[static_cast<unsigned>(DropReason::nd_truncated)], 1u);
}

TEST_F(SwitchTest, ArpReplyMatchesScapy) {
    run({{}, {kArpFromB}, {arp_request_from_c()}});
    ASSERT_EQ(tx_[2].size(), 2u);   // B's reply to A (unknown yet: flooded), then the switch's
    EXPECT_EQ(tx_[2][0], kArpFromB);
    const Frame &reply = tx_[2][1];
    ASSERT_EQ(reply.size(), 60u) << "the request's padding is kept";
    EXPECT_EQ(Frame(reply.begin(), reply.begin() + 42), kScapyArpReply);
}

}  // namespace
}  // namespace dsw
