// RIB tests: the decision process (RFC 4271 §9.1.2.2) step by step, ECMP sets, import filters,
// loop detection (RFC 4271 §9.1.2, RFC 4456 §8), graceful restart stale handling (RFC 4724 §4.2),
// attribute interning and change tracking.
#include <gtest/gtest.h>

#include "bgp/rib.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

constexpr uint32_t kLocalAs = 65000;

struct RibFixture : ::testing::Test {
  Rib rib{RibConfig{.local_as = kLocalAs, .router_id = id("198.18.0.1"), .allowed = {pfx("198.19.0.0/16")}}};
  PeerId ebgp1 = rib.add_peer({.address = ip("198.18.1.1"), .peer_as = 65001, .ebgp = true, .router_id = id("198.18.1.1")});
  PeerId ebgp2 = rib.add_peer({.address = ip("198.18.1.2"), .peer_as = 65002, .ebgp = true, .router_id = id("198.18.1.2")});
  PeerId ibgp = rib.add_peer({.address = ip("198.18.1.3"), .peer_as = kLocalAs, .ebgp = false, .router_id = id("198.18.1.3")});

  static Update route(std::string_view prefix, std::string_view next_hop, AsPath path,
                      std::optional<uint32_t> med = std::nullopt,
                      std::optional<uint32_t> local_pref = std::nullopt) {
    Update u;
    u.attributes.origin = Origin::igp;
    u.attributes.as_path = std::move(path);
    u.attributes.next_hop = ip(next_hop);
    u.attributes.med = med;
    u.attributes.local_pref = local_pref;
    u.nlri = {pfx(prefix)};
    return u;
  }
  static AsPath seq(std::vector<uint32_t> asns) { return {AsSegment{SegmentType::as_sequence, std::move(asns)}}; }
  std::vector<IpAddress> hops(std::string_view prefix) {
    const PathSet* s = rib.find(pfx(prefix));
    return s ? Rib::next_hops(*s) : std::vector<IpAddress>{};
  }
};

TEST_F(RibFixture, ShorterAsPathWins) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001, 65010})));
  rib.apply(ebgp2, route("198.19.1.0/24", "198.18.1.2", seq({65002})));
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.2")});
}

TEST_F(RibFixture, LocalPrefBeatsPathLength) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.apply(ibgp, route("198.19.1.0/24", "198.18.1.3", seq({65005, 65006}), std::nullopt, 200));
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.3")});
}

TEST_F(RibFixture, EqualPathsFormAnEcmpSetWithTieBreakOrder) {
  rib.apply(ebgp2, route("198.19.1.0/24", "198.18.1.2", seq({65002})));
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  const PathSet* s = rib.find(pfx("198.19.1.0/24"));
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->best().size(), 2u);
  EXPECT_EQ(s->best()[0].peer, ebgp1);  // lower router id first
  EXPECT_EQ(hops("198.19.1.0/24"), (std::vector{ip("198.18.1.1"), ip("198.18.1.2")}));
}

TEST_F(RibFixture, MedComparedOnlyWithinTheSameNeighbourAs) {
  PeerId ebgp1b = rib.add_peer({.address = ip("198.18.1.4"), .peer_as = 65001, .ebgp = true, .router_id = id("198.18.1.4")});
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001}), 50));
  rib.apply(ebgp1b, route("198.19.1.0/24", "198.18.1.4", seq({65001}), 10));
  rib.apply(ebgp2, route("198.19.1.0/24", "198.18.1.2", seq({65002}), 100));
  // 65001 via .1 loses to 65001 via .4 on MED; 65002's higher MED is not compared with them.
  EXPECT_EQ(hops("198.19.1.0/24"), (std::vector{ip("198.18.1.2"), ip("198.18.1.4")}));
}

TEST_F(RibFixture, EbgpPreferredOverIbgp) {
  rib.apply(ibgp, route("198.19.1.0/24", "198.18.1.3", seq({65001})));
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.1")});
}

TEST_F(RibFixture, LowerOriginWins) {
  Update incomplete = route("198.19.1.0/24", "198.18.1.1", seq({65001}));
  incomplete.attributes.origin = Origin::incomplete;
  rib.apply(ebgp1, incomplete);
  rib.apply(ebgp2, route("198.19.1.0/24", "198.18.1.2", seq({65002})));
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.2")});
}

TEST_F(RibFixture, LocalRouteWinsAndHasNoNextHop) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  EXPECT_TRUE(rib.announce(pfx("198.19.1.0/24")));
  EXPECT_TRUE(hops("198.19.1.0/24").empty());
  EXPECT_TRUE(rib.withdraw(pfx("198.19.1.0/24")));
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.1")});
}

TEST_F(RibFixture, ImportFilterRefusesPrefixesOutsideThePools) {
  auto stats = rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001})));
  EXPECT_EQ(stats.filtered, 1u);
  EXPECT_EQ(rib.find(pfx("10.0.0.0/8")), nullptr);
  rib.set_import_allow(ebgp1, {pfx("10.0.0.0/8")});
  rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001})));
  EXPECT_NE(rib.find(pfx("10.0.0.0/8")), nullptr);
}

// `weft bgp status`: what a peer sent (received) against what it got into the RIB (accepted).
// A filtered prefix is received, not accepted; announcing it twice counts it once; a withdrawal
// or an acceptable re-announcement ends its refusal.
TEST_F(RibFixture, AFilteredPrefixCountsAsReceivedNotAccepted) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001})));
  rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001, 65009})));
  EXPECT_EQ(rib.received_count(ebgp1), 2u);
  EXPECT_EQ(rib.path_count(ebgp1), 1u);
  EXPECT_EQ(rib.refused_count(ebgp1), 1u);
  EXPECT_EQ(rib.received_count(ebgp2), 0u);

  Update w;
  w.withdrawn = {pfx("10.0.0.0/8")};
  rib.apply(ebgp1, w);
  EXPECT_EQ(rib.received_count(ebgp1), 1u);

  rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001})));
  rib.set_import_allow(ebgp1, {pfx("10.0.0.0/8")});
  EXPECT_EQ(rib.path_count(ebgp1), 1u);  // allowed now, but not sent again yet (route refresh)
  rib.apply(ebgp1, route("10.0.0.0/8", "198.18.1.1", seq({65001})));
  EXPECT_EQ(rib.received_count(ebgp1), 2u);
  EXPECT_EQ(rib.path_count(ebgp1), 2u);

  // A filter that drops an accepted path: the peer still announces it, so it stays received.
  rib.set_import_allow(ebgp1, {});
  EXPECT_EQ(rib.received_count(ebgp1), 2u);
  EXPECT_EQ(rib.path_count(ebgp1), 1u);

  rib.drop_routes(ebgp1);  // session down: nothing is announced any more
  EXPECT_EQ(rib.received_count(ebgp1), 0u);
}

TEST_F(RibFixture, LoopedPrefixesAreReceivedNotAccepted) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001, kLocalAs})));  // replaces it
  EXPECT_EQ(rib.path_count(ebgp1), 0u);
  EXPECT_EQ(rib.received_count(ebgp1), 1u);
  rib.mark_stale(ebgp1);  // graceful restart: the new session sends again what it still has
  EXPECT_EQ(rib.received_count(ebgp1), 0u);
}

// RFC 4271 §9.1.2.1: a path whose next hop this node cannot reach is not a candidate, so the
// usable path of another peer is chosen (a node on another segment and the fabric router
// advertise the same block; only the router's next hop is reachable).
TEST(RibNextHops, AnUnusableNextHopIsRefusedAndTheUsablePathWins) {
  Rib rib{RibConfig{.local_as = kLocalAs,
                    .router_id = id("198.18.0.1"),
                    .allowed = {pfx("198.19.0.0/16")},
                    .next_hop_usable = [](const IpAddress& hop, const IpAddress& from) {
                      return hop != ip("198.18.2.13") && from != ip("198.18.9.9");
                    }}};
  PeerId far = rib.add_peer({.address = ip("198.18.2.13"), .peer_as = kLocalAs, .router_id = id("198.18.2.13")});
  PeerId tor = rib.add_peer({.address = ip("198.18.1.1"), .peer_as = 65100, .ebgp = true, .router_id = id("198.18.1.1")});
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = AsPath{};
  u.attributes.next_hop = ip("198.18.2.13");
  u.nlri = {pfx("198.19.3.0/26")};
  auto stats = rib.apply(far, u);
  EXPECT_EQ(stats.unusable, 1u);
  EXPECT_EQ(rib.find(pfx("198.19.3.0/26")), nullptr);
  EXPECT_EQ(rib.received_count(far), 1u);  // refused: received, not accepted
  EXPECT_EQ(rib.path_count(far), 0u);
  u.attributes.as_path = AsPath{AsSegment{SegmentType::as_sequence, {65100}}};
  u.attributes.next_hop = ip("198.18.1.1");
  EXPECT_EQ(rib.apply(tor, u).unusable, 0u);
  const PathSet* s = rib.find(pfx("198.19.3.0/26"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Rib::next_hops(*s), std::vector{ip("198.18.1.1")});
}

// RFC 2545 §3 next hops of 32 octets: "::" plus a link-local address (what BIRD sends without a
// global address on the link) routes via the link-local one; so does a global one that is not
// usable from here while the link-local one is.
TEST(RibNextHops, AGlobalAndLinkLocalNextHopFallsBackToTheLinkLocalOne) {
  Rib rib{RibConfig{.local_as = kLocalAs,
                    .router_id = id("198.18.0.1"),
                    .allowed = {pfx("fd00:198:19::/48")},
                    .next_hop_usable = [](const IpAddress& hop, const IpAddress&) { return hop != ip("2001:db8::9"); }}};
  PeerId rr = rib.add_peer({.address = ip("198.18.1.1"), .peer_as = kLocalAs, .router_id = id("198.18.1.1")});
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = AsPath{};
  u.attributes.mp_reach = MpReach{.family = kIpv6Unicast,
                                  .next_hop = ip("::"),
                                  .link_local_next_hop = ip("fe80::1"),
                                  .nlri = {pfx("fd00:198:19::100/120")}};
  rib.apply(rr, u);
  const PathSet* s = rib.find(pfx("fd00:198:19::100/120"));
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(Rib::next_hops(*s), std::vector{ip("fe80::1")});

  u.attributes.mp_reach->next_hop = ip("2001:db8::9");
  rib.apply(rr, u);
  EXPECT_EQ(Rib::next_hops(*rib.find(pfx("fd00:198:19::100/120"))), std::vector{ip("fe80::1")});
  u.attributes.mp_reach->next_hop = ip("2001:db8::8");
  rib.apply(rr, u);
  EXPECT_EQ(Rib::next_hops(*rib.find(pfx("fd00:198:19::100/120"))), std::vector{ip("2001:db8::8")})
      << "a usable global next hop is the one";
}

TEST_F(RibFixture, OwnAsInPathIsALoop) {
  auto stats = rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001, kLocalAs})));
  EXPECT_EQ(stats.looped, 1u);
  EXPECT_EQ(rib.size(), 0u);
}

TEST_F(RibFixture, ReflectionLoopsAreRefused) {
  Update u = route("198.19.1.0/24", "198.18.1.3", {});
  u.attributes.originator_id = id("198.18.0.1");
  EXPECT_EQ(rib.apply(ibgp, u).looped, 1u);
  u.attributes.originator_id = id("198.18.9.9");
  u.attributes.cluster_list = {id("198.18.0.1")};
  EXPECT_EQ(rib.apply(ibgp, u).looped, 1u);
  u.attributes.cluster_list = {id("198.18.9.9")};
  EXPECT_EQ(rib.apply(ibgp, u).announced, 1u);
}

TEST_F(RibFixture, WithdrawalRemovesAndReportsTheChange) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  EXPECT_EQ(rib.take_changes(), std::vector{pfx("198.19.1.0/24")});
  Update w;
  w.withdrawn = {pfx("198.19.1.0/24")};
  EXPECT_EQ(rib.apply(ebgp1, w).withdrawn, 1u);
  EXPECT_EQ(rib.take_changes(), std::vector{pfx("198.19.1.0/24")});
  EXPECT_EQ(rib.size(), 0u);
}

TEST_F(RibFixture, UnchangedReannouncementIsNotAChange) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.take_changes();
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  EXPECT_TRUE(rib.take_changes().empty());
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001, 65009})));
  EXPECT_EQ(rib.take_changes().size(), 1u);
}

TEST_F(RibFixture, AttributesAreSharedAcrossPrefixes) {
  Update u = route("198.19.1.0/24", "198.18.1.1", seq({65001}));
  for (int i = 2; i < 100; ++i) u.nlri.push_back(Prefix(ip("198.19.0.0").plus(uint64_t(i) << 8), 24));
  rib.apply(ebgp1, u);
  EXPECT_EQ(rib.size(), 99u);
  EXPECT_EQ(rib.pool().size(), 2u);  // the local routes' set and this one
  Update w;
  w.withdrawn = u.nlri;
  rib.apply(ebgp1, w);
  EXPECT_EQ(rib.pool().size(), 1u);  // freed with its last path
}

TEST_F(RibFixture, Ipv6RoutesThroughMpReach) {
  rib.set_import_allow(ebgp1, {pfx("2001:db8::/32")});
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = seq({65001});
  u.attributes.mp_reach = MpReach{kIpv6Unicast, ip("2001:db8:ffff::1"), std::nullopt, {pfx("2001:db8:1::/48")}};
  EXPECT_EQ(rib.apply(ebgp1, u).announced, 1u);
  EXPECT_EQ(hops("2001:db8:1::/48"), std::vector{ip("2001:db8:ffff::1")});
  Update w;
  w.attributes.mp_unreach = MpUnreach{kIpv6Unicast, {pfx("2001:db8:1::/48")}};
  EXPECT_EQ(rib.apply(ebgp1, w).withdrawn, 1u);
  EXPECT_EQ(rib.size(), 0u);
}

TEST_F(RibFixture, GracefulRestartKeepsStaleRoutesUntilSwept) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.apply(ebgp1, route("198.19.2.0/24", "198.18.1.1", seq({65001})));
  rib.take_changes();
  EXPECT_EQ(rib.mark_stale(ebgp1), 2u);
  EXPECT_TRUE(rib.take_changes().empty());  // nothing changes for the kernel
  EXPECT_EQ(rib.stale_count(ebgp1), 2u);
  // The peer is back and re-announces one of them: that one is fresh again.
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  EXPECT_EQ(rib.stale_count(ebgp1), 1u);
  EXPECT_EQ(rib.sweep_stale(ebgp1), 1u);  // End-of-RIB
  EXPECT_EQ(rib.take_changes(), std::vector{pfx("198.19.2.0/24")});
  EXPECT_NE(rib.find(pfx("198.19.1.0/24")), nullptr);
}

TEST_F(RibFixture, DropRoutesOfAPeer) {
  rib.apply(ebgp1, route("198.19.1.0/24", "198.18.1.1", seq({65001})));
  rib.apply(ebgp2, route("198.19.1.0/24", "198.18.1.2", seq({65002, 65003})));
  rib.take_changes();
  EXPECT_EQ(rib.drop_routes(ebgp1), 1u);
  EXPECT_EQ(hops("198.19.1.0/24"), std::vector{ip("198.18.1.2")});
  EXPECT_EQ(rib.take_changes().size(), 1u);
  EXPECT_EQ(rib.path_count(ebgp1), 0u);
}

}  // namespace
}  // namespace weft::bgp::test
