// UPDATE codec tests: each path attribute from hand-assembled bytes (RFC 4271 §4.3, §5.1;
// RFC 1997; RFC 4456 §8; RFC 4760 §3-4 with RFC 2545 next hops; RFC 6793), decoded to values and
// encoded back to the very same bytes; AS4_PATH generation and merging; End-of-RIB markers
// (RFC 4724 §2); unknown attributes with the Partial bit; extended lengths.
#include <gtest/gtest.h>

#include <algorithm>

#include "bgp/as_path.h"
#include "bgp/codec.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

// Every IPv4 attribute, in type order, as a 4-octet AS speaker sends them.
const Bytes kAllAttributes = {
    0x40, 0x01, 0x01, 0x00,                                // ORIGIN IGP
    0x40, 0x02, 0x10, 0x02, 0x02, 0x00, 0x00, 0xfd, 0xe9,  // AS_PATH: sequence 65001 70000,
    0x00, 0x01, 0x11, 0x70, 0x01, 0x01, 0x00, 0x00, 0xfd,  //   set {65002}
    0xea,
    0x40, 0x03, 0x04, 0xc6, 0x12, 0x00, 0x01,              // NEXT_HOP 198.18.0.1
    0x80, 0x04, 0x04, 0x00, 0x00, 0x00, 0x64,              // MULTI_EXIT_DISC 100
    0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0xc8,              // LOCAL_PREF 200
    0x40, 0x06, 0x00,                                      // ATOMIC_AGGREGATE
    0xc0, 0x07, 0x08, 0x00, 0x00, 0xfd, 0xe9, 0xc6, 0x12,  // AGGREGATOR 65001 198.18.0.1
    0x00, 0x01,
    0xc0, 0x08, 0x08, 0xfd, 0xe9, 0x00, 0x64, 0xff, 0xff,  // COMMUNITIES 65001:100 NO_EXPORT
    0xff, 0x01,
    0x80, 0x09, 0x04, 0xc6, 0x12, 0x00, 0x09,              // ORIGINATOR_ID 198.18.0.9
    0x80, 0x0a, 0x08, 0xc6, 0x12, 0x00, 0xfe, 0xc6, 0x12,  // CLUSTER_LIST 198.18.0.254
    0x00, 0xfd,                                            //   198.18.0.253
};
const Bytes kNlriThree = {0x18, 0xc6, 0x13, 0x01,        // 198.19.1.0/24
                          0x1a, 0xc6, 0x13, 0x02, 0x40,  // 198.19.2.64/26
                          0x08, 0x0a};                   // 10.0.0.0/8
const Bytes kWithdrawnOne = {0x20, 0xc6, 0x13, 0x03, 0x07};  // 198.19.3.7/32

TEST(BgpUpdate, EveryIpv4Attribute) {
  const Bytes bytes = update_message(kWithdrawnOne, kAllAttributes, kNlriThree);
  const Update u = decode_update_ok(bytes);
  const PathAttributes& a = u.attributes;
  EXPECT_EQ(u.withdrawn, (std::vector<Prefix>{pfx("198.19.3.7/32")}));
  EXPECT_EQ(u.nlri, (std::vector<Prefix>{pfx("198.19.1.0/24"), pfx("198.19.2.64/26"),
                                         pfx("10.0.0.0/8")}));
  EXPECT_EQ(a.origin, Origin::igp);
  EXPECT_EQ(a.as_path, (AsPath{{SegmentType::as_sequence, {65001, 70000}},
                               {SegmentType::as_set, {65002}}}));
  EXPECT_EQ(a.next_hop, ip("198.18.0.1"));
  EXPECT_EQ(a.med, 100u);
  EXPECT_EQ(a.local_pref, 200u);
  EXPECT_TRUE(a.atomic_aggregate);
  EXPECT_EQ(a.aggregator, (Aggregator{65001, ip("198.18.0.1")}));
  EXPECT_EQ(a.communities, (std::vector<uint32_t>{0xfde90064, 0xffffff01}));
  EXPECT_EQ(a.originator_id, id("198.18.0.9"));
  EXPECT_EQ(a.cluster_list, (std::vector<uint32_t>{id("198.18.0.254"), id("198.18.0.253")}));
  EXPECT_TRUE(u.discarded.empty());
  EXPECT_EQ(path_length(*a.as_path), 3u);

  auto again = encode(u);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, bytes);
  EXPECT_EQ(format(u),
            "UPDATE withdrawn=[198.19.3.7/32] origin=igp as_path=65001 70000 {65002} "
            "next_hop=198.18.0.1 med=100 local_pref=200 atomic_aggregate "
            "aggregator=65001:198.18.0.1 communities=[65001:100 no-export] "
            "originator_id=198.18.0.9 cluster_list=[198.18.0.254 198.18.0.253] "
            "nlri=[198.19.1.0/24 198.19.2.64/26 10.0.0.0/8]");
}

TEST(BgpUpdate, TrailingBitsOfAPrefixAreIgnored) {
  // 198.19.2.65/26 on the wire: the host bits are masked (RFC 4271 §4.3 "irrelevant").
  const Bytes nlri = {0x1a, 0xc6, 0x13, 0x02, 0x41};
  const Update u =
      decode_update_ok(update_message({}, cat({kOriginIgp, kAsPath65001, kNextHop}), nlri));
  EXPECT_EQ(u.nlri, (std::vector<Prefix>{pfx("198.19.2.64/26")}));
}

TEST(BgpUpdate, TwoOctetAsPathWithAs4Path) {
  // From an OLD speaker (RFC 6793 §4.2.3): AS_PATH 65001 AS_TRANS, AS4_PATH 65001 70000, and an
  // AGGREGATOR of AS_TRANS completed by AS4_AGGREGATOR.
  const Bytes attrs = {
      0x40, 0x01, 0x01, 0x00,
      0x40, 0x02, 0x06, 0x02, 0x02, 0xfd, 0xe9, 0x5b, 0xa0,              // AS_PATH (2-octet)
      0x40, 0x03, 0x04, 0xc6, 0x12, 0x00, 0x01,
      0xc0, 0x07, 0x06, 0x5b, 0xa0, 0xc6, 0x12, 0x00, 0x02,              // AGGREGATOR AS_TRANS
      0xc0, 0x11, 0x0a, 0x02, 0x02, 0x00, 0x00, 0xfd, 0xe9, 0x00, 0x01,  // AS4_PATH
      0x11, 0x70,
      0xc0, 0x12, 0x08, 0x00, 0x01, 0x11, 0x70, 0xc6, 0x12, 0x00, 0x02,  // AS4_AGGREGATOR
  };
  const Bytes bytes = update_message({}, attrs, kNlri);
  const DecodeOptions old{.four_octet_as = false};
  const Update u = decode_update_ok(bytes, old);
  EXPECT_EQ(u.attributes.as_path, (AsPath{{SegmentType::as_sequence, {65001, kAsTrans}}}));
  EXPECT_EQ(u.attributes.as4_path, (AsPath{{SegmentType::as_sequence, {65001, 70000}}}));
  EXPECT_EQ(effective_as_path(u.attributes), (AsPath{{SegmentType::as_sequence, {65001, 70000}}}));
  EXPECT_EQ(effective_aggregator(u.attributes), (Aggregator{70000, ip("198.18.0.2")}));
  EXPECT_EQ(*encode(u, {.four_octet_as = false}), bytes);

  // The same routes built with real AS numbers: a 2-octet encoding derives AS_TRANS, AS4_PATH and
  // AS4_AGGREGATOR itself (RFC 6793 §4.2.2).
  Update built = u;
  built.attributes.as_path = AsPath{{SegmentType::as_sequence, {65001, 70000}}};
  built.attributes.aggregator = Aggregator{70000, ip("198.18.0.2")};
  built.attributes.as4_path.reset();
  built.attributes.as4_aggregator.reset();
  EXPECT_EQ(*encode(built, {.four_octet_as = false}), bytes);
  // Towards a 4-octet peer there is no AS4_* at all (RFC 6793 §4.1).
  const Update four = decode_update_ok(*encode(built, {.four_octet_as = true}));
  EXPECT_EQ(four.attributes, built.attributes);
}

TEST(BgpUpdate, As4PathMergeKeepsTheLeadingPartOfAsPath) {
  // AS_PATH has 4 ASes, AS4_PATH only the last 2: the first 2 come from AS_PATH (RFC 6793 §4.2.3).
  PathAttributes a;
  a.as_path = AsPath{{SegmentType::as_sequence, {64512, 64513, kAsTrans, 65001}}};
  a.as4_path = AsPath{{SegmentType::as_sequence, {70000, 65001}}};
  EXPECT_EQ(effective_as_path(a),
            (AsPath{{SegmentType::as_sequence, {64512, 64513, 70000, 65001}}}));
  // A longer AS4_PATH is ignored.
  a.as4_path = AsPath{{SegmentType::as_sequence, {1, 2, 3, 4, 5}}};
  EXPECT_EQ(effective_as_path(a), *a.as_path);
  // An AGGREGATOR with a real AS number means AS4_PATH is ignored.
  a.as4_path = AsPath{{SegmentType::as_sequence, {70000, 65001}}};
  a.aggregator = Aggregator{64512, ip("198.18.0.1")};
  EXPECT_EQ(effective_as_path(a), *a.as_path);
  // Confederation segments in front are kept.
  PathAttributes c;
  c.as_path = AsPath{{SegmentType::confed_sequence, {65100}},
                     {SegmentType::as_sequence, {kAsTrans}}};
  c.as4_path = AsPath{{SegmentType::as_sequence, {70000}}};
  EXPECT_EQ(effective_as_path(c), (AsPath{{SegmentType::confed_sequence, {65100}},
                                          {SegmentType::as_sequence, {70000}}}));
  EXPECT_EQ(path_length(*c.as_path), 1u);
}

TEST(BgpUpdate, MpReachIpv6WithLinkLocalNextHop) {
  const Bytes mp_reach = {
      0x90, 0x0e, 0x00, 0x35,  // optional, extended length (as many speakers send it), 53
      0x00, 0x02, 0x01,        // AFI IPv6, SAFI unicast
      0x20,                    // next hop length 32: global then link-local (RFC 2545 §3)
      0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,     // 2001:db8::1
      0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x00, 0x5e, 0xff, 0xfe, 0, 0x53, 0x01,  // fe80::...
      0x00,                                                  // reserved
      0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01,              // 2001:db8:1::/48
      0x40, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02, 0x00, 0x00,  // 2001:db8:2::/64
  };
  const Bytes bytes = update_message({}, cat({mp_reach, kOriginIgp, kAsPath65001}), {});
  const Update u = decode_update_ok(bytes);
  ASSERT_TRUE(u.attributes.mp_reach.has_value());
  const MpReach& mp = *u.attributes.mp_reach;
  EXPECT_EQ(mp.family, kIpv6Unicast);
  EXPECT_EQ(mp.next_hop, ip("2001:db8::1"));
  EXPECT_EQ(mp.link_local_next_hop, ip("fe80::200:5eff:fe00:5301"));
  EXPECT_EQ(mp.nlri, (std::vector<Prefix>{pfx("2001:db8:1::/48"), pfx("2001:db8:2::/64")}));
  EXPECT_FALSE(u.attributes.next_hop.has_value());  // not needed without IPv4 NLRI

  // Re-encoded with a 1-octet length (the encoder's choice); otherwise the same bytes.
  Bytes canonical = bytes;
  canonical.erase(canonical.begin() + 19 + 4 + 2);  // drop the high length octet
  canonical[19 + 4] = 0x80;                         // flags without Extended Length
  canonical[19 + 2 + 1] = static_cast<uint8_t>(canonical[19 + 2 + 1] - 1);  // attributes length
  canonical[17] = static_cast<uint8_t>(canonical[17] - 1);                  // message length
  EXPECT_EQ(*encode(u), canonical);
  EXPECT_EQ(decode_update_ok(canonical), u);
}

TEST(BgpUpdate, MpReachIpv6GlobalOnlyAndIpv4) {
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = AsPath{};
  u.attributes.mp_reach = MpReach{kIpv6Unicast, ip("2001:db8::1"), std::nullopt,
                                  {pfx("2001:db8:1::/48")}};
  const Bytes v6 = *encode(u);
  // MP_REACH first (RFC 7606 §5.1): flags, type, length 0x1b, AFI 2, SAFI 1, next hop length 16.
  EXPECT_EQ(Bytes(v6.begin() + 23, v6.begin() + 30),
            (Bytes{0x80, 0x0e, 0x1c, 0x00, 0x02, 0x01, 0x10}));
  EXPECT_EQ(decode_update_ok(v6), u);

  u.attributes.mp_reach = MpReach{kIpv4Unicast, ip("198.18.0.1"), std::nullopt,
                                  {pfx("198.19.0.0/16")}};
  const Bytes v4 = *encode(u);
  EXPECT_EQ(Bytes(v4.begin() + 23, v4.begin() + 34),
            (Bytes{0x80, 0x0e, 0x0c, 0x00, 0x01, 0x01, 0x04, 0xc6, 0x12, 0x00, 0x01}));
  EXPECT_EQ(decode_update_ok(v4), u);
}

TEST(BgpUpdate, MpUnreachAndEndOfRib) {
  const Bytes unreach = {0x80, 0x0f, 0x0a, 0x00, 0x02, 0x01,
                         0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
  const Bytes bytes = update_message({}, unreach, {});
  const Update u = decode_update_ok(bytes);
  ASSERT_TRUE(u.attributes.mp_unreach.has_value());
  EXPECT_EQ(u.attributes.mp_unreach->withdrawn, (std::vector<Prefix>{pfx("2001:db8:1::/48")}));
  EXPECT_FALSE(end_of_rib(u).has_value());
  EXPECT_EQ(*encode(u), bytes);

  // RFC 4724 §2: an MP_UNREACH_NLRI with no routes, and the empty UPDATE for IPv4.
  const Update eor6 =
      decode_update_ok(update_message({}, {0x80, 0x0f, 0x03, 0x00, 0x02, 0x01}, {}));
  EXPECT_EQ(end_of_rib(eor6), kIpv6Unicast);
  EXPECT_EQ(format(eor6), "UPDATE end-of-rib ipv6-unicast");
  const Update eor4 = decode_update_ok(update_message({}, {}, {}));
  EXPECT_EQ(end_of_rib(eor4), kIpv4Unicast);
  EXPECT_EQ(*encode(eor4), update_message({}, {}, {}));
}

TEST(BgpUpdate, UnknownOptionalTransitiveIsKeptAndResentPartial) {
  // Large communities (type 32) are unknown to this codec: kept, re-sent with Partial set
  // (RFC 4271 §5). An unknown optional non-transitive attribute (type 99) is dropped quietly.
  const Bytes large = attribute(0xc0, 32, {0, 0, 0xfd, 0xe9, 0, 0, 0, 1, 0, 0, 0, 2});
  const Bytes private_attr = attribute(0x80, 99, {1, 2, 3});
  const Bytes bytes = update_message({}, cat({kOriginIgp, kAsPath65001, kNextHop, large,
                                              private_attr}), kNlri);
  const Update u = decode_update_ok(bytes);
  ASSERT_EQ(u.attributes.unknown.size(), 1u);
  EXPECT_EQ(u.attributes.unknown[0],
            (RawAttribute{0xe0, 32, {0, 0, 0xfd, 0xe9, 0, 0, 0, 1, 0, 0, 0, 2}}));
  EXPECT_TRUE(u.discarded.empty());
  Bytes partial = large;
  partial[0] = 0xe0;
  EXPECT_EQ(*encode(u), update_message({}, cat({kOriginIgp, kAsPath65001, kNextHop, partial}),
                                       kNlri));
}

TEST(BgpUpdate, ExtendedLengthBothWays) {
  // An ORIGIN sent with the Extended Length bit is fine (RFC 4271 §4.3).
  const Bytes origin_ext = {0x50, 0x01, 0x00, 0x01, 0x02};
  const Update u =
      decode_update_ok(update_message({}, cat({origin_ext, kAsPath65001, kNextHop}), kNlri));
  EXPECT_EQ(u.attributes.origin, Origin::incomplete);

  // 70 communities are 280 octets: the encoder switches to a 2-octet length.
  Update many = u;
  for (uint32_t i = 0; i < 70; ++i) many.attributes.communities.push_back(0xfde90000 + i);
  const Bytes bytes = *encode(many);
  const Bytes header = {0xd0, 0x08, 0x01, 0x18};
  EXPECT_NE(std::search(bytes.begin(), bytes.end(), header.begin(), header.end()), bytes.end());
  EXPECT_EQ(decode_update_ok(bytes), many);
}

TEST(BgpUpdate, LongAsSequencesAreSplitInto255AsSegments) {
  Update u;
  u.attributes.origin = Origin::igp;
  u.attributes.as_path = AsPath{{SegmentType::as_sequence, std::vector<uint32_t>(300, 65001)}};
  u.attributes.next_hop = ip("198.18.0.1");
  u.nlri = {pfx("198.19.1.0/24")};
  const Update back = decode_update_ok(*encode(u));
  ASSERT_EQ(back.attributes.as_path->size(), 2u);
  EXPECT_EQ((*back.attributes.as_path)[0].asns.size(), 255u);
  EXPECT_EQ((*back.attributes.as_path)[1].asns.size(), 45u);
  EXPECT_EQ(path_length(*back.attributes.as_path), 300u);
}

TEST(BgpUpdate, EmptyAsPathFromAnInternalPeer) {
  const Bytes empty_path = {0x40, 0x02, 0x00};
  const Update u =
      decode_update_ok(update_message({}, cat({kOriginIgp, empty_path, kNextHop}), kNlri));
  EXPECT_EQ(u.attributes.as_path, AsPath{});
  EXPECT_EQ(format(u.attributes.as_path.value()), "(empty)");
}

}  // namespace
}  // namespace weft::bgp::test
