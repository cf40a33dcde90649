// Export policy (weft's defaults, RFC 4456 reflection rules, attribute rewriting of RFC 4271
// §5.1) and Adj-RIB-Out packing into UPDATEs of at most 4096 octets.
#include <gtest/gtest.h>

#include "bgp/adj_rib_out.h"
#include "bgp/export_policy.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

constexpr uint32_t kLocalAs = 65000;

struct ExportFixture : ::testing::Test {
  Rib rib{RibConfig{.local_as = kLocalAs, .router_id = id("198.18.0.1"), .allowed = {pfx("198.19.0.0/16")}}};
  PeerId client1 = rib.add_peer({.address = ip("198.18.1.1"), .peer_as = kLocalAs, .rr_client = true, .router_id = id("198.18.1.1")});
  PeerId client2 = rib.add_peer({.address = ip("198.18.1.2"), .peer_as = kLocalAs, .rr_client = true, .router_id = id("198.18.1.2")});
  PeerId nonclient = rib.add_peer({.address = ip("198.18.1.3"), .peer_as = kLocalAs, .router_id = id("198.18.1.3")});
  PeerId ebgp = rib.add_peer({.address = ip("198.18.2.1"), .peer_as = 65001, .ebgp = true, .router_id = id("198.18.2.1")});

  ExportPeer to(PeerId id, bool reflector = true) {
    const RibPeer& p = rib.peer(id);
    return ExportPeer{.id = id, .ebgp = p.ebgp, .rr_client = p.rr_client, .reflector = reflector,
                      .next_hop_v4 = ip("198.18.0.1")};
  }
  const Path& best(std::string_view prefix) { return rib.find(pfx(prefix))->best()[0]; }
  void learn(PeerId from, std::string_view prefix, std::string_view next_hop) {
    Update u;
    u.attributes.origin = Origin::igp;
    u.attributes.as_path = rib.peer(from).ebgp ? AsPath{AsSegment{SegmentType::as_sequence, {rib.peer(from).peer_as}}} : AsPath{};
    u.attributes.next_hop = ip(next_hop);
    u.nlri = {pfx(prefix)};
    rib.apply(from, u);
  }
};

TEST_F(ExportFixture, LocalRoutesGoEverywhereWithNextHopSelf) {
  rib.announce(pfx("198.19.0.0/26"));
  auto ib = export_attributes(rib, pfx("198.19.0.0/26"), best("198.19.0.0/26"), to(nonclient));
  ASSERT_TRUE(ib);
  EXPECT_EQ(ib->next_hop, ip("198.18.0.1"));
  EXPECT_EQ(ib->local_pref, 100u);
  EXPECT_EQ(ib->as_path, AsPath{});
  auto eb = export_attributes(rib, pfx("198.19.0.0/26"), best("198.19.0.0/26"), to(ebgp));
  ASSERT_TRUE(eb);
  EXPECT_EQ(eb->as_path, (AsPath{AsSegment{SegmentType::as_sequence, {kLocalAs}}}));
  EXPECT_FALSE(eb->local_pref);
}

// An eBGP router gets learned pool routes only through its export filter (weft's `pools` export
// mode), with this node as next hop and its AS prepended; an iBGP-learned route otherwise stays
// inside the AS.
TEST_F(ExportFixture, LearnedRoutesGoToAnEbgpPeerThroughItsExportFilterWithNextHopSelf) {
  learn(nonclient, "198.19.7.0/26", "198.18.1.3");
  auto peer = to(ebgp);
  EXPECT_FALSE(export_attributes(rib, pfx("198.19.7.0/26"), best("198.19.7.0/26"), peer)) << "no export filter";
  peer.export_allow = {pfx("198.19.0.0/16")};
  peer.next_hop_v4 = ip("198.18.100.1");  // the session's own address on the router's link
  auto out = export_attributes(rib, pfx("198.19.7.0/26"), best("198.19.7.0/26"), peer);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->next_hop, ip("198.18.100.1"));
  EXPECT_EQ(out->as_path, (AsPath{AsSegment{SegmentType::as_sequence, {kLocalAs, kLocalAs}}}))
      << "one AS longer than the owner's own advertisement";
  EXPECT_FALSE(out->local_pref);
  EXPECT_FALSE(export_attributes(rib, pfx("198.19.7.0/26"), best("198.19.7.0/26"), to(client1, false)))
      << "split horizon: iBGP to iBGP without reflection";
}

TEST_F(ExportFixture, ReflectionRules) {
  learn(client1, "198.19.1.0/26", "198.18.1.1");
  learn(nonclient, "198.19.3.0/26", "198.18.1.3");
  const Prefix from_client = pfx("198.19.1.0/26"), from_nonclient = pfx("198.19.3.0/26");
  // Client route: to the other clients and to non-clients, never back.
  EXPECT_FALSE(export_attributes(rib, from_client, best("198.19.1.0/26"), to(client1)));
  auto r = export_attributes(rib, from_client, best("198.19.1.0/26"), to(client2));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->originator_id, id("198.18.1.1"));
  EXPECT_EQ(r->cluster_list, std::vector{id("198.18.0.1")});
  EXPECT_EQ(r->next_hop, ip("198.18.1.1"));  // unchanged on reflection
  EXPECT_TRUE(export_attributes(rib, from_client, best("198.19.1.0/26"), to(nonclient)));
  // Non-client route: to clients only.
  EXPECT_TRUE(export_attributes(rib, from_nonclient, best("198.19.3.0/26"), to(client1)));
  EXPECT_FALSE(export_attributes(rib, from_nonclient, best("198.19.3.0/26"), to(nonclient)));
  // Not a reflector: iBGP routes stay put (split horizon); eBGP ones need export_allow.
  EXPECT_FALSE(export_attributes(rib, from_client, best("198.19.1.0/26"), to(client2, false)));
  EXPECT_FALSE(export_attributes(rib, from_client, best("198.19.1.0/26"), to(ebgp)));
  ExportPeer allowed = to(ebgp);
  allowed.export_allow = {pfx("198.19.0.0/16")};
  auto e = export_attributes(rib, from_client, best("198.19.1.0/26"), allowed);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->originator_id);
  EXPECT_TRUE(e->cluster_list.empty());
}

TEST_F(ExportFixture, AdjRibOutPacksIntoFullSizedUpdates) {
  AdjRibOut out(rib.pool());
  PathAttributes a;
  a.origin = Origin::igp;
  a.as_path = AsPath{AsSegment{SegmentType::as_sequence, {kLocalAs}}};
  a.next_hop = ip("198.18.0.1");
  StoredAttrs* s = rib.pool().intern(a);
  for (uint64_t i = 0; i < 2000; ++i) out.set(Prefix(ip("198.19.0.0").plus(i << 5), 27), s);
  std::vector<Bytes> messages;
  const size_t sent = out.flush({}, [&](Bytes&& b) { messages.push_back(std::move(b)); });
  EXPECT_EQ(sent, messages.size());
  size_t total = 0;
  for (const Bytes& m : messages) {
    ASSERT_LE(m.size(), kMaxMessageSize);
    auto d = decode(m);
    ASSERT_TRUE(d);
    total += std::get<Update>(*d).nlri.size();
  }
  EXPECT_EQ(total, 2000u);
  EXPECT_EQ(messages.size(), 3u);  // 2000 * 5 octets in ~4050-octet NLRI fields
  // Setting the same again sends nothing; withdrawing sends withdrawals.
  out.set(Prefix(ip("198.19.0.0"), 27), s);
  EXPECT_FALSE(out.pending());
  out.set(Prefix(ip("198.19.0.0"), 27), nullptr);
  messages.clear();
  out.flush({}, [&](Bytes&& b) { messages.push_back(std::move(b)); });
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(std::get<Update>(*decode(messages[0])).withdrawn, std::vector{pfx("198.19.0.0/27")});
  EXPECT_EQ(out.size(), 1999u);
}

TEST_F(ExportFixture, EndOfRibMarkers) {
  auto v4 = encode(Message(end_of_rib_marker(kIpv4Unicast)));
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->size(), 23u);
  auto v6 = decode(*encode(Message(end_of_rib_marker(kIpv6Unicast))));
  ASSERT_TRUE(v6);
  EXPECT_EQ(end_of_rib(std::get<Update>(*v6)), kIpv6Unicast);
}

}  // namespace
}  // namespace weft::bgp::test
