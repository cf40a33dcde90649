// Names and text for NOTIFICATION codes (RFC 4271 §4.5, §6; RFC 4486; RFC 5492; RFC 6608) and
// for decode errors, for logs.
#include "bgp/errors.h"

#include <array>

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
  }
  return nullptr;
}

const char* subcode_name(uint8_t code, uint8_t subcode) {
  static constexpr std::array<const char*, 4> header = {
      nullptr, "Connection Not Synchronized", "Bad Message Length", "Bad Message Type"};
  static constexpr std::array<const char*, 8> open = {
      nullptr, "Unsupported Version Number", "Bad Peer AS", "Bad BGP Identifier",
      "Unsupported Optional Parameter", nullptr, "Unacceptable Hold Time",
      "Unsupported Capability"};
  static constexpr std::array<const char*, 12> update = {
      nullptr,
      "Malformed Attribute List",
      "Unrecognized Well-known Attribute",
      "Missing Well-known Attribute",
      "Attribute Flags Error",
      "Attribute Length Error",
      "Invalid ORIGIN Attribute",
      nullptr,
      "Invalid NEXT_HOP Attribute",
      "Optional Attribute Error",
      "Invalid Network Field",
      "Malformed AS_PATH"};
  static constexpr std::array<const char*, 4> fsm = {
      nullptr, "Receive Unexpected Message in OpenSent State",
      "Receive Unexpected Message in OpenConfirm State",
      "Receive Unexpected Message in Established State"};
  static constexpr std::array<const char*, 9> cease = {
      nullptr,
      "Maximum Number of Prefixes Reached",
      "Administrative Shutdown",
      "Peer De-configured",
      "Administrative Reset",
      "Connection Rejected",
      "Other Configuration Change",
      "Connection Collision Resolution",
      "Out of Resources"};
  auto pick = [subcode](const auto& names) -> const char* {
    return subcode < names.size() ? names[subcode] : nullptr;
  };
  switch (code) {
    case code::kHeader: return pick(header);
    case code::kOpen: return pick(open);
    case code::kUpdate: return pick(update);
    case code::kFsm: return pick(fsm);
    case code::kCease: return pick(cease);
  }
  return nullptr;
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
