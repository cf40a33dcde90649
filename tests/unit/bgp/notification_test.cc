// NOTIFICATION codes and subcodes in words (RFC 4271 §4.5 and §6, RFC 4486, RFC 5492, RFC 6608,
// RFC 7313, RFC 8538, RFC 9234, RFC 9384) and the shutdown communication (RFC 9003, was 8203),
// as `weft bgp status` shows them.
#include <gtest/gtest.h>

#include "bgp/errors.h"

namespace weft::bgp {
namespace {

Notification cease(uint8_t subcode, std::vector<uint8_t> data = {}) {
  return Notification{code::kCease, subcode, std::move(data)};
}

std::vector<uint8_t> communication(std::string_view text) {
  // (push_back, not insert: GCC 12's -Warray-bounds misfires on inserting into a one-element vector)
  std::vector<uint8_t> out;
  out.reserve(text.size() + 1);
  out.push_back(static_cast<uint8_t>(text.size()));
  for (char c : text) out.push_back(static_cast<uint8_t>(c));
  return out;
}

TEST(NotificationWords, EveryCodeOfRfc4271) {
  EXPECT_EQ(notification_name(1, 2), "Message Header Error / Bad Message Length");
  EXPECT_EQ(notification_name(2, 2), "OPEN Message Error / Bad Peer AS");
  EXPECT_EQ(notification_name(2, 7), "OPEN Message Error / Unsupported Capability");  // RFC 5492
  EXPECT_EQ(notification_name(3, 8), "UPDATE Message Error / Invalid NEXT_HOP Attribute");
  EXPECT_EQ(notification_name(4, 0), "Hold Timer Expired");
  EXPECT_EQ(notification_name(5, 2), "Finite State Machine Error / Receive Unexpected Message in OpenConfirm State");
  EXPECT_EQ(notification_name(6, 0), "Cease");
}

TEST(NotificationWords, CeaseSubcodes) {
  EXPECT_EQ(notification_name(6, 1), "Cease / Maximum Number of Prefixes Reached");
  EXPECT_EQ(notification_name(6, 2), "Cease / Administrative Shutdown");
  EXPECT_EQ(notification_name(6, 3), "Cease / Peer De-configured");
  EXPECT_EQ(notification_name(6, 4), "Cease / Administrative Reset");
  EXPECT_EQ(notification_name(6, 5), "Cease / Connection Rejected");
  EXPECT_EQ(notification_name(6, 6), "Cease / Other Configuration Change");
  EXPECT_EQ(notification_name(6, 7), "Cease / Connection Collision Resolution");
  EXPECT_EQ(notification_name(6, 8), "Cease / Out of Resources");
  EXPECT_EQ(notification_name(6, 9), "Cease / Hard Reset");  // RFC 8538
  EXPECT_EQ(notification_name(6, 10), "Cease / BFD Down");   // RFC 9384
}

TEST(NotificationWords, LaterRfcsAndUnknownValues) {
  EXPECT_EQ(notification_name(7, 1), "ROUTE-REFRESH Message Error / Invalid Message Length");  // RFC 7313
  EXPECT_EQ(notification_name(2, 8), "OPEN Message Error / Role Mismatch");                      // RFC 9234
  EXPECT_EQ(notification_name(5, 0), "Finite State Machine Error / Unspecified Error");          // RFC 6608
  EXPECT_EQ(notification_name(6, 42), "Cease / subcode 42");
  EXPECT_EQ(notification_name(0, 0), "error code 0");
  EXPECT_EQ(notification_name(200, 1), "error code 200 / subcode 1");
}

TEST(NotificationWords, ShutdownCommunicationIsShownAsText) {
  EXPECT_EQ(notification_text(cease(2, communication("maintenance, back at 14:00"))),
            "Cease / Administrative Shutdown: \"maintenance, back at 14:00\"");
  EXPECT_EQ(notification_text(cease(4, communication("upgrade"))), "Cease / Administrative Reset: \"upgrade\"");
  EXPECT_EQ(notification_text(cease(2, communication("d\xc3\xa9p\xc3\xb4t"))),
            "Cease / Administrative Shutdown: \"d\xc3\xa9p\xc3\xb4t\"");  // UTF-8 kept
  EXPECT_EQ(notification_text(cease(2)), "Cease / Administrative Shutdown");
  EXPECT_EQ(notification_text(cease(2, {0})), "Cease / Administrative Shutdown");  // length 0
}

TEST(NotificationWords, MalformedOrMisplacedCommunicationsAreNotText) {
  EXPECT_FALSE(shutdown_communication(cease(2, {5, 'a', 'b'})));            // length beyond the data
  EXPECT_FALSE(shutdown_communication(cease(2, {2, 0xc3, 0x28})));          // invalid UTF-8
  EXPECT_FALSE(shutdown_communication(cease(2, {2, 0xc0, 0xaf})));          // overlong '/'
  EXPECT_FALSE(shutdown_communication(cease(2, {3, 0xed, 0xa0, 0x80})));    // a surrogate
  EXPECT_FALSE(shutdown_communication(cease(2, {2, 'a', 0xe2})));           // truncated sequence
  EXPECT_FALSE(shutdown_communication(cease(3, communication("bye"))));     // Peer De-configured has none
  EXPECT_FALSE(shutdown_communication(Notification{code::kUpdate, 2, communication("x")}));
  EXPECT_EQ(shutdown_communication(cease(2, {3, 'a', '\n', 'b', 0xff})), "a b");  // control characters, trailing data
}

}  // namespace
}  // namespace weft::bgp
