// Names and text for NOTIFICATION codes (RFC 4271 §4.5, §6; RFC 4486; RFC 5492; RFC 6608;
// RFC 7313; RFC 8538; RFC 9234; RFC 9384), shutdown communications (RFC 9003), and decode errors,
// for logs and `weft bgp status`.
#include "bgp/errors.h"

#include <array>
#include <cstddef>
#include <string_view>

namespace weft::bgp {
namespace {

const char* code_name(uint8_t code) {
  switch (code) {
    case code::kHeader: return "Message Header Error";
    case code::kOpen: return "OPEN Message Error";
    case code::kUpdate: return "UPDATE Message Error";
    case code::kHoldTimerExpired: return "Hold Timer Expired";
    case code::kFsm: return "Finite State Machine Error";
    case code::kCease: return "Cease";
    case code::kRouteRefresh: return "ROUTE-REFRESH Message Error";
  }
  return nullptr;
}

const char* subcode_name(uint8_t code, uint8_t subcode) {
  static constexpr std::array<const char*, 4> header = {
      nullptr, "Connection Not Synchronized", "Bad Message Length", "Bad Message Type"};
  // 5 and 7 of UPDATE are RFC 1771's, deprecated by RFC 4271 but still what an old peer means.
  static constexpr std::array<const char*, 9> open = {
      nullptr, "Unsupported Version Number", "Bad Peer AS", "Bad BGP Identifier",
      "Unsupported Optional Parameter", "Authentication Failure (deprecated)", "Unacceptable Hold Time",
      "Unsupported Capability", "Role Mismatch"};
  static constexpr std::array<const char*, 12> update = {
      nullptr,
      "Malformed Attribute List",
      "Unrecognized Well-known Attribute",
      "Missing Well-known Attribute",
      "Attribute Flags Error",
      "Attribute Length Error",
      "Invalid ORIGIN Attribute",
      "AS Routing Loop (deprecated)",
      "Invalid NEXT_HOP Attribute",
      "Optional Attribute Error",
      "Invalid Network Field",
      "Malformed AS_PATH"};
  static constexpr std::array<const char*, 4> fsm = {
      "Unspecified Error", "Receive Unexpected Message in OpenSent State",
      "Receive Unexpected Message in OpenConfirm State",
      "Receive Unexpected Message in Established State"};
  static constexpr std::array<const char*, 11> cease = {
      nullptr,
      "Maximum Number of Prefixes Reached",
      "Administrative Shutdown",
      "Peer De-configured",
      "Administrative Reset",
      "Connection Rejected",
      "Other Configuration Change",
      "Connection Collision Resolution",
      "Out of Resources",
      "Hard Reset",
      "BFD Down"};
  static constexpr std::array<const char*, 2> route_refresh = {nullptr, "Invalid Message Length"};
  auto pick = [subcode](const auto& names) -> const char* {
    return subcode < names.size() ? names[subcode] : nullptr;
  };
  switch (code) {
    case code::kHeader: return pick(header);
    case code::kOpen: return pick(open);
    case code::kUpdate: return pick(update);
    case code::kFsm: return pick(fsm);
    case code::kCease: return pick(cease);
    case code::kRouteRefresh: return pick(route_refresh);
  }
  return nullptr;
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    uint32_t cp = 0, min = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = cp << 6 | (cc & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

}  // namespace

std::string notification_name(uint8_t code, uint8_t subcode) {
  const char* c = code_name(code);
  std::string out = c ? c : "error code " + std::to_string(code);
  if (const char* s = subcode_name(code, subcode)) {
    out += " / ";
    out += s;
  } else if (subcode != 0) {
    out += " / subcode " + std::to_string(subcode);
  }
  return out;
}

std::optional<std::string> shutdown_communication(const Notification& n) {
  const bool carries = n.code == code::kCease && (n.subcode == cease_subcode::kAdministrativeShutdown ||
                                                  n.subcode == cease_subcode::kAdministrativeReset);
  if (!carries || n.data.empty() || n.data[0] == 0) return std::nullopt;
  const size_t length = n.data[0];
  // A length beyond the data is malformed (RFC 9003 §4); octets after the message are ignored.
  if (n.data.size() < 1 + length) return std::nullopt;
  std::string text(n.data.begin() + 1, n.data.begin() + 1 + static_cast<std::ptrdiff_t>(length));
  if (!valid_utf8(text)) return std::nullopt;
  for (char& c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  return text;
}

std::string notification_text(const Notification& n) {
  std::string out = notification_name(n.code, n.subcode);
  if (auto message = shutdown_communication(n)) out += ": \"" + *message + "\"";
  return out;
}

std::string_view to_string(ErrorAction action) {
  switch (action) {
    case ErrorAction::attribute_discard: return "attribute-discard";
    case ErrorAction::treat_as_withdraw: return "treat-as-withdraw";
    case ErrorAction::session_reset: return "session-reset";
  }
  return "unknown-action";
}

std::string hex(const std::vector<uint8_t>& bytes, size_t max) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size() && i < max; ++i) {
    if (i > 0) out += ' ';
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 0xf];
  }
  if (bytes.size() > max) out += " ...";
  return out;
}

std::string format(const Notification& n) {
  std::string out = notification_name(n.code, n.subcode) + " (" + std::to_string(n.code) + "/" +
                    std::to_string(n.subcode);
  if (!n.data.empty()) out += ", data " + hex(n.data);
  return out + ")";
}

std::string format(const DecodeError& e) {
  std::string out(to_string(e.action));
  if (e.attribute) out += " [attribute " + std::to_string(*e.attribute) + "]";
  if (e.notification.code != 0) out += " " + format(e.notification);
  out += ": " + e.detail;
  if (e.action == ErrorAction::treat_as_withdraw) {
    out += "; " + std::to_string(e.withdrawn.size()) + " routes withdrawn";
  }
  return out;
}

DecodeError session_reset(uint8_t code, uint8_t subcode, std::vector<uint8_t> data,
                          std::string detail) {
  return DecodeError{ErrorAction::session_reset, std::nullopt,
                     Notification{code, subcode, std::move(data)}, std::move(detail), {}};
}

}  // namespace weft::bgp
