// The vocabulary of BGP errors: NOTIFICATION codes (RFC 4271 §4.5, §6; Cease subcodes RFC 4486;
// FSM subcodes RFC 6608; Unsupported Capability RFC 5492) and the decode error value that says
// what RFC 7606 §2 prescribes.
//
// Design (as GoBGP): the codec never decides to tear a session down; it returns a DecodeError
// carrying the RFC 7606 action and the NOTIFICATION RFC 4271 would send, and only the FSM turns
// a session_reset into bytes on the wire. The actions are ordered by strength so that "the
// approach with the strongest action" (RFC 7606 §3 h) is a max().
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"

namespace weft::bgp {

// NOTIFICATION Error Codes (RFC 4271 §4.5).
namespace code {
inline constexpr uint8_t kHeader = 1;
inline constexpr uint8_t kOpen = 2;
inline constexpr uint8_t kUpdate = 3;
inline constexpr uint8_t kHoldTimerExpired = 4;
inline constexpr uint8_t kFsm = 5;
inline constexpr uint8_t kCease = 6;
inline constexpr uint8_t kRouteRefresh = 7;  // RFC 7313 §5
}  // namespace code

// Message Header Error subcodes (RFC 4271 §6.1).
namespace header_subcode {
inline constexpr uint8_t kConnectionNotSynchronized = 1;
inline constexpr uint8_t kBadMessageLength = 2;
inline constexpr uint8_t kBadMessageType = 3;
}  // namespace header_subcode

// OPEN Message Error subcodes (RFC 4271 §6.2, RFC 5492 §5).
namespace open_subcode {
inline constexpr uint8_t kUnspecific = 0;
inline constexpr uint8_t kUnsupportedVersion = 1;
inline constexpr uint8_t kBadPeerAs = 2;
inline constexpr uint8_t kBadBgpIdentifier = 3;
inline constexpr uint8_t kUnsupportedOptionalParameter = 4;
inline constexpr uint8_t kUnacceptableHoldTime = 6;
inline constexpr uint8_t kUnsupportedCapability = 7;
}  // namespace open_subcode

// UPDATE Message Error subcodes (RFC 4271 §6.3).
namespace update_subcode {
inline constexpr uint8_t kMalformedAttributeList = 1;
inline constexpr uint8_t kUnrecognizedWellKnown = 2;
inline constexpr uint8_t kMissingWellKnown = 3;
inline constexpr uint8_t kAttributeFlags = 4;
inline constexpr uint8_t kAttributeLength = 5;
inline constexpr uint8_t kInvalidOrigin = 6;
inline constexpr uint8_t kInvalidNextHop = 8;
inline constexpr uint8_t kOptionalAttribute = 9;
inline constexpr uint8_t kInvalidNetworkField = 10;
inline constexpr uint8_t kMalformedAsPath = 11;
}  // namespace update_subcode

// Finite State Machine Error subcodes (RFC 6608 §3).
namespace fsm_subcode {
inline constexpr uint8_t kUnspecified = 0;
inline constexpr uint8_t kUnexpectedInOpenSent = 1;
inline constexpr uint8_t kUnexpectedInOpenConfirm = 2;
inline constexpr uint8_t kUnexpectedInEstablished = 3;
}  // namespace fsm_subcode

// Cease subcodes (RFC 4486 §4).
namespace cease_subcode {
inline constexpr uint8_t kMaxPrefixes = 1;
inline constexpr uint8_t kAdministrativeShutdown = 2;
inline constexpr uint8_t kPeerDeconfigured = 3;
inline constexpr uint8_t kAdministrativeReset = 4;
inline constexpr uint8_t kConnectionRejected = 5;
inline constexpr uint8_t kOtherConfigurationChange = 6;
inline constexpr uint8_t kConnectionCollision = 7;
inline constexpr uint8_t kOutOfResources = 8;
inline constexpr uint8_t kHardReset = 9;  // RFC 8538 §3
inline constexpr uint8_t kBfdDown = 10;   // RFC 9384
}  // namespace cease_subcode

// The body of a NOTIFICATION message (RFC 4271 §4.5). Codes are kept raw: a peer may send codes
// this speaker does not know, and they must still be logged. code 0 means "none".
struct Notification {
  uint8_t code = 0;
  uint8_t subcode = 0;
  std::vector<uint8_t> data;
  friend bool operator==(const Notification&, const Notification&) = default;
};

// "UPDATE Message Error / Malformed AS_PATH"; unknown values are printed as numbers.
std::string notification_name(uint8_t code, uint8_t subcode);

// The operator's message an Administrative Shutdown or Reset Cease may carry (RFC 9003, which
// obsoletes RFC 8203: a length octet, then that many octets of UTF-8). Nothing when there is
// none or it is malformed (RFC 9003 §3: then it is not shown as text); control characters are
// replaced by spaces, since it is shown on terminals.
std::optional<std::string> shutdown_communication(const Notification& notification);

// The NOTIFICATION in words for operators, without numbers or data:
// "Cease / Administrative Shutdown: \"maintenance\"".
std::string notification_text(const Notification& notification);

// RFC 7606 §2 error-handling approaches, weakest first. ("AFI/SAFI disable" is not offered: a
// speaker that cannot parse an MP attribute resets the session, which §7.11 also allows.)
enum class ErrorAction : uint8_t {
  attribute_discard = 1,  // drop the attribute, process the rest of the UPDATE
  treat_as_withdraw = 2,  // every route the UPDATE carried is withdrawn
  session_reset = 3,      // send `notification` and close the session
};

std::string_view to_string(ErrorAction action);

// A malformation found while decoding, and what to do about it.
struct DecodeError {
  ErrorAction action = ErrorAction::session_reset;
  std::optional<uint8_t> attribute;  // type code of the offending path attribute, if any
  // session_reset: the NOTIFICATION to send. Otherwise what RFC 4271 alone would have sent, kept
  // for logs (code 0 when RFC 4271 has no error for the case, e.g. LOCAL_PREF from an eBGP peer).
  Notification notification;
  std::string detail;
  // treat_as_withdraw only: every prefix the UPDATE carried (withdrawn routes, NLRI, MP_REACH and
  // MP_UNREACH NLRI), all to be removed from the Adj-RIB-In (RFC 7606 §2).
  std::vector<Prefix> withdrawn;
  friend bool operator==(const DecodeError&, const DecodeError&) = default;
};

// "treat-as-withdraw [attribute 1 ORIGIN] UPDATE Message Error / Invalid ORIGIN Attribute
//  (3/6, data 40 01 01 07): ORIGIN value 7 is undefined; 2 routes withdrawn"
std::string format(const DecodeError& error);
std::string format(const Notification& notification);

// Shorthand for a session_reset error.
DecodeError session_reset(uint8_t code, uint8_t subcode, std::vector<uint8_t> data,
                          std::string detail);

// Lower-case hex with spaces, clamped to `max` octets ("40 01 01 07 ...").
std::string hex(const std::vector<uint8_t>& bytes, size_t max = 32);

}  // namespace weft::bgp
