// RFC 7606 error handling, one table row per malformation: the action (attribute discard,
// treat-as-withdraw, session reset), the offending attribute, and the NOTIFICATION code/subcode/
// data RFC 4271 §6.3 names for it (sent only on a session reset).
#include <gtest/gtest.h>

#include "bgp/codec.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

constexpr auto kDiscard = ErrorAction::attribute_discard;
constexpr auto kWithdraw = ErrorAction::treat_as_withdraw;
constexpr auto kReset = ErrorAction::session_reset;

struct Row {
  const char* name;
  Bytes message;
  ErrorAction action;
  std::optional<uint8_t> attribute;
  Notification notification;
  DecodeOptions options = {};
};

// An UPDATE announcing 198.19.1.0/24 with the given attributes.
Bytes announce(std::initializer_list<Bytes> attrs) { return update_message({}, cat(attrs), kNlri); }

const Bytes kAsPath2Octet = {0x40, 0x02, 0x04, 0x02, 0x01, 0xfd, 0xe9};
const Bytes kMpReachV6 = {0x80, 0x0e, 0x1c, 0x00, 0x02, 0x01, 0x10, 0x20, 0x01, 0x0d, 0xb8,
                          0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
                          0x01, 0x00, 0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01};
const Bytes kMpUnreachV6 = {0x80, 0x0f, 0x0a, 0x00, 0x02, 0x01,
                            0x30, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x02};
const Bytes kLocalPref = {0x40, 0x05, 0x04, 0x00, 0x00, 0x00, 0x64};

std::vector<Row> rows() {
  const Bytes bad_origin = attribute(0x40, 1, {3});
  const Bytes v6_nh_8 = {0x80, 0x0e, 0x0d, 0x00, 0x02, 0x01, 0x08, 0x20, 0x01,
                         0x0d, 0xb8, 0, 0, 0, 1, 0x00};
  const Bytes v4_nh_16 = {0x80, 0x0e, 0x15, 0x00, 0x01, 0x01, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0,
                          0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x01, 0x00};
  const Bytes v6_len_129 = {0x80, 0x0e, 0x16, 0x00, 0x02, 0x01, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0,
                            0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x01,
                            0x00, 0x81};
  const Bytes unreach_overrun = {0x80, 0x0f, 0x05, 0x00, 0x02, 0x01, 0x30, 0x20};
  const Bytes mp_vpn = {0x80, 0x0e, 0x09, 0x00, 0x01, 0x80, 0x04, 0xc6, 0x12, 0x00, 0x01, 0x00};
  const Bytes as4_path = {0xc0, 0x11, 0x06, 0x02, 0x01, 0x00, 0x01, 0x11, 0x70};
  const Bytes as4_short = {0xc0, 0x11, 0x03, 0x02, 0x01, 0x00};
  const Bytes unknown_well_known = attribute(0x40, 99, {1});
  const Bytes med = attribute(0x80, 4, {0, 0, 0, 1});
  const Bytes base = cat({kOriginIgp, kAsPath65001, kNextHop});

  return {
      // ---- RFC 7606 §7: per-attribute handling --------------------------------------------
      {"ORIGIN length 2 (§7.1)", announce({attribute(0x40, 1, {0, 0}), kAsPath65001, kNextHop}),
       kWithdraw, 1, {3, 5, {0x40, 0x01, 0x02, 0x00, 0x00}}},
      {"ORIGIN value 3 (§7.1)", announce({bad_origin, kAsPath65001, kNextHop}), kWithdraw, 1,
       {3, 6, {0x40, 0x01, 0x01, 0x03}}},
      {"AS_PATH segment type 5 (§7.2)",
       announce({kOriginIgp, attribute(0x40, 2, {5, 1, 0, 0, 0xfd, 0xe9}), kNextHop}), kWithdraw,
       2, {3, 11, {}}},
      {"AS_PATH segment of length zero (§7.2)",
       announce({kOriginIgp, attribute(0x40, 2, {2, 0}), kNextHop}), kWithdraw, 2, {3, 11, {}}},
      {"AS_PATH segment overruns the attribute (§7.2)",
       announce({kOriginIgp, attribute(0x40, 2, {2, 2, 0, 0, 0xfd, 0xe9}), kNextHop}), kWithdraw,
       2, {3, 11, {}}},
      {"AS_PATH with one octet left over (§7.2)",
       announce({kOriginIgp, attribute(0x40, 2, {2, 1, 0, 0, 0xfd, 0xe9, 2}), kNextHop}),
       kWithdraw, 2, {3, 11, {}}},
      {"2-octet AS_PATH on a 4-octet session (§7.2)",
       announce({kOriginIgp, kAsPath2Octet, kNextHop}), kWithdraw, 2, {3, 11, {}}},
      {"NEXT_HOP length 5 (§7.3)",
       announce({kOriginIgp, kAsPath65001, attribute(0x40, 3, {198, 18, 0, 1, 0})}), kWithdraw, 3,
       {3, 5, {0x40, 0x03, 0x05, 198, 18, 0, 1, 0}}},
      {"MULTI_EXIT_DISC length 2 (§7.4)", announce({base, attribute(0x80, 4, {0, 1})}),
       kWithdraw, 4, {3, 5, {0x80, 0x04, 0x02, 0x00, 0x01}}},
      {"LOCAL_PREF length 3 from an internal peer (§7.5)",
       announce({base, attribute(0x40, 5, {0, 0, 1})}), kWithdraw, 5,
       {3, 5, {0x40, 0x05, 0x03, 0x00, 0x00, 0x01}}},
      {"LOCAL_PREF from an external peer (§7.5)", announce({base, kLocalPref}), kDiscard, 5, {},
       {.ebgp = true}},
      {"ATOMIC_AGGREGATE length 1 (§7.6)", announce({base, attribute(0x40, 6, {0})}), kDiscard, 6,
       {3, 5, {0x40, 0x06, 0x01, 0x00}}},
      {"AGGREGATOR length 7 (§7.7)",
       announce({base, attribute(0xc0, 7, {0, 0, 0xfd, 0xe9, 198, 18, 0})}), kDiscard, 7,
       {3, 5, {0xc0, 0x07, 0x07, 0, 0, 0xfd, 0xe9, 198, 18, 0}}},
      {"AGGREGATOR length 8 on a 2-octet session (§7.7)",
       announce({kOriginIgp, kAsPath2Octet, kNextHop,
                 attribute(0xc0, 7, {0, 0, 0xfd, 0xe9, 198, 18, 0, 1})}),
       kDiscard, 7, {3, 5, {0xc0, 0x07, 0x08, 0, 0, 0xfd, 0xe9, 198, 18, 0, 1}},
       {.four_octet_as = false}},
      {"COMMUNITIES length 5 (§7.8)", announce({base, attribute(0xc0, 8, {0, 0, 0, 1, 2})}),
       kWithdraw, 8, {3, 5, {0xc0, 0x08, 0x05, 0, 0, 0, 1, 2}}},
      {"COMMUNITIES length 0 (§7.8)", announce({base, attribute(0xc0, 8, {})}), kWithdraw, 8,
       {3, 5, {0xc0, 0x08, 0x00}}},
      {"ORIGINATOR_ID length 5 from an internal peer (§7.9)",
       announce({base, attribute(0x80, 9, {1, 2, 3, 4, 5})}), kWithdraw, 9,
       {3, 5, {0x80, 0x09, 0x05, 1, 2, 3, 4, 5}}},
      {"ORIGINATOR_ID from an external peer (§7.9)",
       announce({base, attribute(0x80, 9, {1, 2, 3, 4, 5})}), kDiscard, 9, {}, {.ebgp = true}},
      {"CLUSTER_LIST length 6 from an internal peer (§7.10)",
       announce({base, attribute(0x80, 10, {1, 2, 3, 4, 5, 6})}), kWithdraw, 10,
       {3, 5, {0x80, 0x0a, 0x06, 1, 2, 3, 4, 5, 6}}},
      {"CLUSTER_LIST from an external peer (§7.10)",
       announce({base, attribute(0x80, 10, {1, 2, 3, 4, 5, 6})}), kDiscard, 10, {},
       {.ebgp = true}},
      {"MP_REACH_NLRI IPv6 next hop of 8 octets (§7.11)",
       update_message({}, cat({v6_nh_8, kOriginIgp, kAsPath65001}), {}), kReset, 14,
       {3, 9, v6_nh_8}},
      {"MP_REACH_NLRI IPv4 next hop of 16 octets (§7.11)",
       update_message({}, cat({v4_nh_16, kOriginIgp, kAsPath65001}), {}), kReset, 14,
       {3, 9, v4_nh_16}},
      {"MP_REACH_NLRI prefix length 129 (§7.11, §5.3)",
       update_message({}, cat({v6_len_129, kOriginIgp, kAsPath65001}), {}), kReset, 14,
       {3, 9, v6_len_129}},
      {"MP_REACH_NLRI truncated (§7.11)",
       update_message({}, cat({attribute(0x80, 14, {0, 2}), kOriginIgp, kAsPath65001}), {}),
       kReset, 14, {3, 9, {0x80, 0x0e, 0x02, 0x00, 0x02}}},
      {"MP_UNREACH_NLRI prefix overruns (§7.12, §5.3)", update_message({}, unreach_overrun, {}),
       kReset, 15, {3, 9, unreach_overrun}},
      {"MP_REACH_NLRI of an AFI/SAFI not handled", announce({base, mp_vpn}), kDiscard, 14, {}},
      {"AS4_PATH malformed on a 2-octet session (RFC 6793 §6)",
       announce({kOriginIgp, kAsPath2Octet, kNextHop, as4_short}), kDiscard, 17,
       {3, 9, as4_short}, {.four_octet_as = false}},
      {"AS4_PATH between 4-octet speakers (RFC 6793 §4.1)", announce({base, as4_path}), kDiscard,
       17, {}},
      // ---- RFC 7606 §3: general rules -----------------------------------------------------
      {"ORIGIN with the Optional bit (§3 c)",
       announce({attribute(0xc0, 1, {0}), kAsPath65001, kNextHop}), kWithdraw, 1,
       {3, 4, {0xc0, 0x01, 0x01, 0x00}}},
      {"MULTI_EXIT_DISC with the Transitive bit (§3 c)",
       announce({base, attribute(0xc0, 4, {0, 0, 0, 1})}), kWithdraw, 4,
       {3, 4, {0xc0, 0x04, 0x04, 0, 0, 0, 1}}},
      {"ORIGIN missing (§3 d)", announce({kAsPath65001, kNextHop}), kWithdraw, 1, {3, 3, {1}}},
      {"AS_PATH missing (§3 d)", announce({kOriginIgp, kNextHop}), kWithdraw, 2, {3, 3, {2}}},
      {"NEXT_HOP missing with IPv4 NLRI (§3 d)", announce({kOriginIgp, kAsPath65001}), kWithdraw,
       3, {3, 3, {3}}},
      {"MULTI_EXIT_DISC repeated (§3 g)", announce({base, med, med}), kDiscard, 4, {3, 1, {}}},
      {"MP_REACH_NLRI repeated (§3 g)",
       update_message({}, cat({kMpReachV6, kMpReachV6, kOriginIgp, kAsPath65001}), {}), kReset,
       14, {3, 1, {}}},
      {"MP_UNREACH_NLRI repeated (§3 g)",
       update_message({}, cat({kMpUnreachV6, kMpUnreachV6}), {}), kReset, 15, {3, 1, {}}},
      {"the strongest action wins (§3 h)",
       announce({base, attribute(0x40, 6, {0}), attribute(0x80, 4, {0, 1})}), kWithdraw, 4,
       {3, 5, {0x80, 0x04, 0x02, 0x00, 0x01}}},
      {"withdrawn routes that do not parse (§3 i, §5.3)",
       update_message({24, 198, 19}, base, kNlri), kReset, std::nullopt, {3, 10, {}}},
      // ---- RFC 7606 §4 and §5 -------------------------------------------------------------
      {"attribute overruns the path attributes (§4)", announce({base, {0x80, 0x04, 0x04, 0, 0}}),
       kWithdraw, 4, {3, 1, {}}},
      {"attribute header truncated (§4)", announce({base, {0x80, 0x04}}), kWithdraw, 4,
       {3, 1, {}}},
      {"attribute header of one octet (§4)", announce({base, {0x80}}), kWithdraw, std::nullopt,
       {3, 1, {}}},
      {"malformed ORIGIN with no reachable NLRI (§5.2)",
       update_message({24, 198, 19, 3}, cat({bad_origin, kAsPath65001, kNextHop}), {}), kReset,
       1, {3, 6, {0x40, 0x01, 0x01, 0x03}}},
      {"NLRI prefix length 33 (§5.3)", update_message({}, base, {33, 198, 19, 1, 0, 0}), kReset,
       std::nullopt, {3, 10, {}}},
      // ---- RFC 4271 §6.3 where RFC 7606 leaves it ------------------------------------------
      {"unrecognized well-known attribute", announce({base, unknown_well_known}), kReset, 99,
       {3, 2, unknown_well_known}},
      {"withdrawn routes length exceeds the message",
       message(MessageType::update, {0x00, 0x10, 0x00, 0x00}), kReset, std::nullopt, {3, 1, {}}},
      {"total path attribute length exceeds the message",
       message(MessageType::update, {0x00, 0x00, 0x00, 0x08, 0x40, 0x01, 0x01, 0x00}), kReset,
       std::nullopt, {3, 1, {}}},
  };
}

TEST(BgpMalformedUpdate, EachRowGetsTheRfc7606Action) {
  for (const Row& row : rows()) {
    SCOPED_TRACE(row.name);
    auto m = decode(row.message, row.options);
    DecodeError e;
    if (row.action == kDiscard) {
      ASSERT_TRUE(m.has_value()) << format(m.error());
      const Update& u = std::get<Update>(*m);
      ASSERT_EQ(u.discarded.size(), 1u);
      e = u.discarded[0];
      EXPECT_EQ(u.nlri, std::vector<Prefix>{pfx("198.19.1.0/24")});  // the routes stay
    } else {
      ASSERT_FALSE(m.has_value());
      e = m.error();
    }
    EXPECT_EQ(e.action, row.action) << format(e);
    EXPECT_EQ(e.attribute, row.attribute) << format(e);
    EXPECT_EQ(e.notification, row.notification) << format(e);
    EXPECT_FALSE(e.detail.empty());
    if (row.action == kWithdraw) {
      EXPECT_EQ(e.withdrawn, std::vector<Prefix>{pfx("198.19.1.0/24")});
    }
  }
}

TEST(BgpMalformedUpdate, TreatAsWithdrawWithdrawsEveryRouteOfTheUpdate) {
  // Withdrawn routes, NLRI, MP_REACH and MP_UNREACH routes all go (RFC 7606 §2).
  const Bytes bytes = update_message(
      {0x18, 0xc6, 0x13, 0x09},
      cat({kMpUnreachV6, kMpReachV6, attribute(0x40, 1, {3}), kAsPath65001, kNextHop}), kNlri);
  auto m = decode(bytes);
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().action, kWithdraw);
  EXPECT_EQ(m.error().withdrawn,
            (std::vector<Prefix>{pfx("198.19.9.0/24"), pfx("198.19.1.0/24"),
                                 pfx("2001:db8:1::/48"), pfx("2001:db8:2::/48")}));
  EXPECT_EQ(format(m.error()),
            "treat-as-withdraw [attribute 1] UPDATE Message Error / Invalid ORIGIN Attribute "
            "(3/6, data 40 01 01 03): ORIGIN value 3 is undefined; 4 routes withdrawn");
}

TEST(BgpMalformedUpdate, AttributeDiscardKeepsTheRestOfTheUpdate) {
  const Bytes bytes = announce({kOriginIgp, kAsPath65001, kNextHop, kLocalPref,
                                attribute(0xc0, 8, {0xfd, 0xe9, 0, 1})});
  const Update u = decode_update_ok(bytes, {.ebgp = true});
  EXPECT_FALSE(u.attributes.local_pref.has_value());
  EXPECT_EQ(u.attributes.communities, std::vector<uint32_t>{0xfde90001});
  EXPECT_EQ(u.attributes.origin, Origin::igp);
  // The same bytes from an internal peer keep LOCAL_PREF.
  EXPECT_EQ(decode_update_ok(bytes).attributes.local_pref, 100u);
}

TEST(BgpMalformedUpdate, MpUnreachOnlyNeedsNoOtherAttribute) {
  // RFC 4760 §4 / RFC 7606 §5.2: an UPDATE that only withdraws carries no mandatory attributes.
  const Update u = decode_update_ok(update_message({}, kMpUnreachV6, {}));
  EXPECT_TRUE(u.discarded.empty());
  // Nor does an MP_REACH-only UPDATE need NEXT_HOP (RFC 4760 §3).
  const Update r =
      decode_update_ok(update_message({}, cat({kMpReachV6, kOriginIgp, kAsPath65001}), {}));
  EXPECT_EQ(r.attributes.mp_reach->nlri, std::vector<Prefix>{pfx("2001:db8:1::/48")});
}

}  // namespace
}  // namespace weft::bgp::test
