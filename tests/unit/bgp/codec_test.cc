// Codec tests for the header, OPEN with capabilities, NOTIFICATION, KEEPALIVE and ROUTE-REFRESH:
// hand-assembled bytes (RFC 4271 §4, RFC 5492, RFC 4760 §8, RFC 6793, RFC 2918, RFC 4724) decode
// to the expected values and encode back to the same bytes.
#include <gtest/gtest.h>

#include "bgp/codec.h"
#include "bgp_test_util.h"

namespace weft::bgp::test {
namespace {

// An OPEN as a current speaker sends it: AS 65001, hold 90, BGP id 192.0.2.1, one Capabilities
// parameter with IPv4 and IPv6 unicast, route refresh, graceful restart (120 s, both families
// with forwarding preserved), 4-octet AS 65001, and two capabilities this codec does not know:
// enhanced route refresh (70) and the pre-standard Cisco route refresh (128).
const Bytes kOpenBody = {
    0x04,                    // version
    0xfd, 0xe9,              // my AS 65001
    0x00, 0x5a,              // hold time 90
    0xc0, 0x00, 0x02, 0x01,  // BGP identifier 192.0.2.1
    0x26,                    // optional parameters length 38
    0x02, 0x24,              // parameter: capabilities, 36 octets
    0x01, 0x04, 0x00, 0x01, 0x00, 0x01,  // multiprotocol ipv4 unicast
    0x01, 0x04, 0x00, 0x02, 0x00, 0x01,  // multiprotocol ipv6 unicast
    0x02, 0x00,                          // route refresh
    0x40, 0x0a, 0x00, 0x78,              // graceful restart: no flags, 120 s
    0x00, 0x01, 0x01, 0x80,              //   ipv4 unicast, forwarding preserved
    0x00, 0x02, 0x01, 0x80,              //   ipv6 unicast, forwarding preserved
    0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9,  // 4-octet AS 65001
    0x46, 0x00,                          // enhanced route refresh (unknown here)
    0x80, 0x00,                          // Cisco route refresh (unknown here)
};

Open expected_open() {
  Open o;
  o.my_as = 65001;
  o.hold_time = 90;
  o.bgp_id = id("192.0.2.1");
  o.capabilities = {
      MultiprotocolCapability{kIpv4Unicast},
      MultiprotocolCapability{kIpv6Unicast},
      RouteRefreshCapability{},
      GracefulRestartCapability{0, 120, {{kIpv4Unicast, true}, {kIpv6Unicast, true}}},
      FourOctetAsCapability{65001},
      UnknownCapability{70, {}},
      UnknownCapability{128, {}},
  };
  return o;
}

TEST(BgpOpen, DecodesARealOpenWithCapabilities) {
  const Bytes bytes = message(MessageType::open, kOpenBody);
  ASSERT_EQ(bytes.size(), 67u);
  auto m = decode(bytes);
  ASSERT_TRUE(m.has_value()) << format(m.error());
  const Open& open = std::get<Open>(*m);
  EXPECT_EQ(open, expected_open());
  EXPECT_EQ(open.peer_as(), 65001u);
  ASSERT_NE(open.find<GracefulRestartCapability>(), nullptr);
  EXPECT_FALSE(open.find<GracefulRestartCapability>()->restarting());
  EXPECT_EQ(format(*m),
            "OPEN as=65001 hold=90 id=192.0.2.1 caps=[mp ipv4-unicast, mp ipv6-unicast, "
            "route-refresh, graceful-restart time=120 ipv4-unicast(F) ipv6-unicast(F), as4 65001, "
            "capability 70 [], capability 128 []]");
}

TEST(BgpOpen, EncodesToTheSameBytes) {
  auto bytes = encode(expected_open());
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(*bytes, message(MessageType::open, kOpenBody));
}

TEST(BgpOpen, OneParameterPerCapabilityDecodesToTheSameValue) {
  // RFC 5492 §4 allows one Capabilities parameter per capability (older speakers do this).
  const Bytes body = {0x04, 0xfd, 0xe9, 0x00, 0xb4, 0xc0, 0x00, 0x02, 0x01, 0x10,
                      0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01,
                      0x02, 0x02, 0x02, 0x00,
                      0x02, 0x04, 0x41, 0x02, 0x00, 0x00};
  Bytes fixed = body;
  fixed[9] = static_cast<uint8_t>(body.size() - 10);
  // The 4-octet AS capability above is deliberately too short: OPEN Message Error.
  auto bad = decode(message(MessageType::open, fixed));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().notification, (Notification{2, 0, {}}));

  const Bytes good = {0x04, 0xfd, 0xe9, 0x00, 0xb4, 0xc0, 0x00, 0x02, 0x01, 0x14,
                      0x02, 0x06, 0x01, 0x04, 0x00, 0x01, 0x00, 0x01,
                      0x02, 0x02, 0x02, 0x00,
                      0x02, 0x06, 0x41, 0x04, 0x00, 0x00, 0xfd, 0xe9};
  auto m = decode(message(MessageType::open, good));
  ASSERT_TRUE(m.has_value()) << format(m.error());
  Open want;
  want.my_as = 65001;
  want.hold_time = 180;
  want.bgp_id = id("192.0.2.1");
  want.capabilities = {MultiprotocolCapability{kIpv4Unicast}, RouteRefreshCapability{},
                       FourOctetAsCapability{65001}};
  EXPECT_EQ(std::get<Open>(*m), want);
}

TEST(BgpOpen, FourOctetAsBehindAsTrans) {
  // RFC 6793 §4.2.1: a speaker in AS 70000 puts AS_TRANS in My AS.
  const Bytes body = {0x04, 0x5b, 0xa0, 0x00, 0x5a, 0xc0, 0x00, 0x02, 0x02, 0x08,
                      0x02, 0x06, 0x41, 0x04, 0x00, 0x01, 0x11, 0x70};
  auto m = decode(message(MessageType::open, body));
  ASSERT_TRUE(m.has_value()) << format(m.error());
  const Open& open = std::get<Open>(*m);
  EXPECT_EQ(open.my_as, kAsTrans);
  EXPECT_EQ(open.peer_as(), 70000u);
}

TEST(BgpOpen, GracefulRestartFlagsAndTime) {
  // R bit set, restart time 4095 (the 12-bit maximum), no families (RFC 4724 §3).
  const Bytes body = {0x04, 0xfd, 0xe9, 0x00, 0x5a, 0xc0, 0x00, 0x02, 0x01, 0x06,
                      0x02, 0x04, 0x40, 0x02, 0x8f, 0xff};
  auto m = decode(message(MessageType::open, body));
  ASSERT_TRUE(m.has_value()) << format(m.error());
  const auto* gr = std::get<Open>(*m).find<GracefulRestartCapability>();
  ASSERT_NE(gr, nullptr);
  EXPECT_TRUE(gr->restarting());
  EXPECT_EQ(gr->restart_time, 4095);
  EXPECT_TRUE(gr->families.empty());
  EXPECT_EQ(*encode(*m), message(MessageType::open, body));
}

TEST(BgpKeepalive, IsAHeaderAlone) {
  const Bytes bytes = message(MessageType::keepalive, {});
  EXPECT_EQ(bytes, (Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                          0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x13, 0x04}));
  auto m = decode(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(std::holds_alternative<Keepalive>(*m));
  EXPECT_EQ(*encode(Keepalive{}), bytes);
  EXPECT_EQ(format(*m), "KEEPALIVE");
}

TEST(BgpNotification, CodeSubcodeAndData) {
  // Cease / Administrative Shutdown with a shutdown communication (RFC 8203 form, kept raw).
  const Bytes bytes = message(MessageType::notification, {0x06, 0x02, 0x03, 'b', 'y', 'e'});
  auto m = decode(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<Notification>(*m), (Notification{6, 2, {0x03, 'b', 'y', 'e'}}));
  EXPECT_EQ(*encode(*m), bytes);
  EXPECT_EQ(format(*m), "NOTIFICATION Cease / Administrative Shutdown (6/2, data 03 62 79 65)");
  EXPECT_EQ(notification_name(3, 11), "UPDATE Message Error / Malformed AS_PATH");
  EXPECT_EQ(notification_name(9, 9), "error code 9 / subcode 9");
}

TEST(BgpRouteRefresh, AfiReservedSafi) {
  const Bytes bytes = message(MessageType::route_refresh, {0x00, 0x02, 0x00, 0x01});
  auto m = decode(bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(std::get<RouteRefresh>(*m), (RouteRefresh{kIpv6Unicast, 0}));
  EXPECT_EQ(*encode(*m), bytes);
  EXPECT_EQ(format(*m), "ROUTE-REFRESH ipv6-unicast");
}

TEST(BgpHeader, MessageLengthForAReader) {
  const Bytes keepalive = message(MessageType::keepalive, {});
  EXPECT_EQ(message_length(keepalive), 19u);
  const Bytes open = message(MessageType::open, kOpenBody);
  EXPECT_EQ(message_length(ByteView(open).first(19)), 67u);
  EXPECT_FALSE(message_length(ByteView(open).first(18)).has_value());
}

// One row per header or OPEN malformation: the NOTIFICATION RFC 4271 §6.1/§6.2 prescribes. All
// of these are session resets.
struct MessageCase {
  const char* name;
  Bytes bytes;
  Notification expected;
};

Bytes with_header(const Bytes& header_tail, const Bytes& body) {
  Bytes out(16, 0xff);
  out.insert(out.end(), header_tail.begin(), header_tail.end());
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

TEST(BgpMalformedMessage, SessionResetWithTheRfc4271Notification) {
  Bytes bad_marker = message(MessageType::keepalive, {});
  bad_marker[3] = 0xfe;
  Bytes open_v3 = kOpenBody;
  open_v3[0] = 3;
  Bytes open_param_type_1 = kOpenBody;
  open_param_type_1[10] = 1;
  Bytes open_params_overrun = kOpenBody;
  open_params_overrun[9] = 0x27;  // one more than present
  Bytes open_cap_overrun = kOpenBody;
  open_cap_overrun[11] = 0x23;  // the parameter ends inside its last capability
  Bytes open_mp_short = kOpenBody;
  open_mp_short[13] = 0x03;  // multiprotocol capability of length 3

  const std::vector<MessageCase> cases = {
      {"marker not all ones", bad_marker, {1, 1, {}}},
      {"length 18", with_header({0x00, 0x12, 0x04}, {}), {1, 2, {0x00, 0x12}}},
      {"length 4097", with_header({0x10, 0x01, 0x02}, Bytes(4078, 0)), {1, 2, {0x10, 0x01}}},
      {"unknown type 7", with_header({0x00, 0x13, 0x07}, {}), {1, 3, {0x07}}},
      {"KEEPALIVE of 20 octets", with_header({0x00, 0x14, 0x04}, {0}), {1, 2, {0x00, 0x14}}},
      {"OPEN of 28 octets", with_header({0x00, 0x1c, 0x01}, Bytes(9, 0)), {1, 2, {0x00, 0x1c}}},
      {"UPDATE of 22 octets", with_header({0x00, 0x16, 0x02}, Bytes(3, 0)),
       {1, 2, {0x00, 0x16}}},
      {"NOTIFICATION of 20 octets", with_header({0x00, 0x14, 0x03}, {6}), {1, 2, {0x00, 0x14}}},
      {"ROUTE-REFRESH of 24 octets", with_header({0x00, 0x18, 0x05}, Bytes(5, 0)),
       {1, 2, {0x00, 0x18}}},
      {"buffer longer than the length field", with_header({0x00, 0x13, 0x04}, {0}),
       {1, 2, {0x00, 0x13}}},
      {"OPEN version 3", message(MessageType::open, open_v3), {2, 1, {0x00, 0x04}}},
      {"OPEN parameter type 1", message(MessageType::open, open_param_type_1), {2, 4, {}}},
      {"OPEN parameters length overrun", message(MessageType::open, open_params_overrun),
       {2, 0, {}}},
      {"capability overruns its parameter", message(MessageType::open, open_cap_overrun),
       {2, 0, {}}},
      {"multiprotocol capability of length 3", message(MessageType::open, open_mp_short),
       {2, 0, {}}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto m = decode(c.bytes);
    ASSERT_FALSE(m.has_value());
    EXPECT_EQ(m.error().action, ErrorAction::session_reset);
    EXPECT_EQ(m.error().notification, c.expected) << format(m.error());
    EXPECT_FALSE(m.error().attribute.has_value());
  }
}

TEST(BgpEncode, RefusesMessagesOver4096Octets) {
  Notification n{6, 2, Bytes(4096 - 21 + 1, 'x')};
  auto bytes = encode(n);
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().code, Errc::invalid_argument);
  n.data.pop_back();
  ASSERT_TRUE(encode(n).has_value());
  EXPECT_EQ(encode(n)->size(), 4096u);
}

// Values built in code survive encode then decode, with both AS widths.
TEST(BgpRoundTrip, MessagesSurviveEncodeDecode) {
  Update update;
  update.withdrawn = {pfx("198.19.9.0/24")};
  update.attributes.origin = Origin::incomplete;
  update.attributes.as_path = AsPath{{SegmentType::as_sequence, {65001, 65002}},
                                     {SegmentType::as_set, {65003, 65004}}};
  update.attributes.next_hop = ip("198.18.0.1");
  update.attributes.med = 0;
  update.attributes.communities = {0xfde90064, 0xffffff01};
  update.attributes.mp_reach = MpReach{kIpv6Unicast, ip("2001:db8::1"), ip("fe80::1"),
                                       {pfx("2001:db8:1::/48"), pfx("::/0")}};
  update.attributes.unknown = {RawAttribute{0xe0, 32, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}}};
  update.nlri = {pfx("198.19.1.0/24"), pfx("0.0.0.0/0"), pfx("198.19.2.1/32")};
  const std::vector<Message> messages = {
      expected_open(), update, Notification{3, 11, {}}, Keepalive{}, RouteRefresh{kIpv4Unicast, 0},
      Update{}};
  for (bool four : {true, false}) {
    for (const Message& m : messages) {
      SCOPED_TRACE(format(m));
      auto bytes = encode(m, {.four_octet_as = four});
      ASSERT_TRUE(bytes.has_value());
      auto back = decode(*bytes, {.four_octet_as = four});
      ASSERT_TRUE(back.has_value()) << format(back.error());
      EXPECT_EQ(*back, m);
    }
  }
}

}  // namespace
}  // namespace weft::bgp::test
