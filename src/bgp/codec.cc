// Message header and dispatch (RFC 4271 §4.1, §6.1), and the small messages: NOTIFICATION
// (§4.5), KEEPALIVE (§4.4), ROUTE-REFRESH (RFC 2918 §3). OPEN is in codec_open.cc, UPDATE in
// codec_update.cc.
//
// The header is checked in the order RFC 4271 §6.1 lists: marker, length range, type, then the
// length each type requires. Every header error is a session reset.
#include <algorithm>

#include "bgp/codec_internal.h"

namespace weft::bgp {
namespace {

Bytes length_data(uint16_t length) {
  return {static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

DecodeError bad_length(uint16_t length, std::string detail) {
  return session_reset(code::kHeader, header_subcode::kBadMessageLength, length_data(length),
                       std::move(detail));
}

// The length each message type must have (RFC 4271 §6.1, RFC 2918 §3): minimum and maximum.
bool length_fits_type(uint8_t type, uint16_t length) {
  switch (static_cast<MessageType>(type)) {
    case MessageType::open: return length >= 29;
    case MessageType::update: return length >= 23;
    case MessageType::notification: return length >= 21;
    case MessageType::keepalive: return length == 19;
    case MessageType::route_refresh: return length == 23;
  }
  return false;
}

bool known_type(uint8_t type) { return type >= 1 && type <= 5; }

}  // namespace

std::expected<size_t, DecodeError> message_length(ByteView header) {
  if (header.size() < kHeaderSize) {
    return std::unexpected(session_reset(code::kHeader, header_subcode::kBadMessageLength, {},
                                         "fewer than 19 octets of header"));
  }
  if (!std::all_of(header.begin(), header.begin() + 16, [](uint8_t b) { return b == 0xff; })) {
    return std::unexpected(session_reset(code::kHeader,
                                         header_subcode::kConnectionNotSynchronized, {},
                                         "marker is not all ones"));
  }
  const auto length = static_cast<uint16_t>(header[16] << 8 | header[17]);
  const uint8_t type = header[18];
  if (length < kHeaderSize || length > kMaxMessageSize) {
    return std::unexpected(
        bad_length(length, "length " + std::to_string(length) + " outside 19..4096"));
  }
  if (!known_type(type)) {
    return std::unexpected(session_reset(code::kHeader, header_subcode::kBadMessageType, {type},
                                         "unknown message type " + std::to_string(type)));
  }
  if (!length_fits_type(type, length)) {
    return std::unexpected(bad_length(length, "length " + std::to_string(length) +
                                                  " impossible for message type " +
                                                  std::to_string(type)));
  }
  return length;
}

std::expected<Message, DecodeError> decode(ByteView bytes, const DecodeOptions& options) {
  auto length = message_length(bytes);
  if (!length) return std::unexpected(std::move(length.error()));
  if (*length != bytes.size()) {
    return std::unexpected(bad_length(static_cast<uint16_t>(*length),
                                      "header says " + std::to_string(*length) + " octets, got " +
                                          std::to_string(bytes.size())));
  }
  const ByteView body = bytes.subspan(kHeaderSize);
  Reader r(body);
  switch (static_cast<MessageType>(bytes[18])) {
    case MessageType::open: {
      auto open = detail::decode_open(body);
      if (!open) return std::unexpected(std::move(open.error()));
      return Message(std::move(*open));
    }
    case MessageType::update: {
      auto update = detail::decode_update(body, options);
      if (!update) return std::unexpected(std::move(update.error()));
      return Message(std::move(*update));
    }
    case MessageType::notification: {
      Notification n;
      r.u8(n.code);
      r.u8(n.subcode);
      const ByteView data = r.rest();
      n.data.assign(data.begin(), data.end());
      return Message(std::move(n));
    }
    case MessageType::keepalive:
      return Message(Keepalive{});
    case MessageType::route_refresh: {
      RouteRefresh rr;
      r.u16(rr.family.afi);
      r.u8(rr.subtype);
      r.u8(rr.family.safi);
      return Message(rr);
    }
  }
  // Unreachable: message_length() accepted only known types.
  return std::unexpected(session_reset(code::kHeader, header_subcode::kBadMessageType, {},
                                       "unknown message type"));
}

Result<Bytes> encode(const Message& message, const EncodeOptions& options) {
  Bytes out;
  out.reserve(64);
  Writer w(out);
  for (int i = 0; i < 16; ++i) w.u8(0xff);
  w.u16(0);  // length, patched below
  w.u8(static_cast<uint8_t>(type_of(message)));
  std::visit(
      [&](const auto& m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Open>) {
          detail::encode_open(m, w);
        } else if constexpr (std::is_same_v<T, Update>) {
          detail::encode_update(m, options, w);
        } else if constexpr (std::is_same_v<T, Notification>) {
          w.u8(m.code);
          w.u8(m.subcode);
          w.bytes(m.data);
        } else if constexpr (std::is_same_v<T, RouteRefresh>) {
          w.u16(m.family.afi);
          w.u8(m.subtype);
          w.u8(m.family.safi);
        }
      },
      message);
  if (out.size() > kMaxMessageSize) {
    return fail(Errc::invalid_argument, "BGP message of ", std::to_string(out.size()),
                " octets exceeds 4096");
  }
  w.patch_u16(16, static_cast<uint16_t>(out.size()));
  return out;
}

MessageType type_of(const Message& message) {
  return static_cast<MessageType>(message.index() + 1);  // variant order follows the type codes
}

uint32_t Open::peer_as() const {
  if (const auto* as4 = find<FourOctetAsCapability>()) return as4->asn;
  return my_as;
}

std::optional<AfiSafi> end_of_rib(const Update& update) {
  const PathAttributes& a = update.attributes;
  if (!update.withdrawn.empty() || !update.nlri.empty()) return std::nullopt;
  if (a == PathAttributes{}) return kIpv4Unicast;  // the empty UPDATE
  PathAttributes only_unreach;
  only_unreach.mp_unreach = a.mp_unreach;
  if (a.mp_unreach && a.mp_unreach->withdrawn.empty() && a == only_unreach) {
    return a.mp_unreach->family;
  }
  return std::nullopt;
}

}  // namespace weft::bgp
