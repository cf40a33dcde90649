// OPEN message (RFC 4271 §4.2, errors §6.2) and the Capabilities optional parameter (RFC 5492):
// multiprotocol (RFC 4760 §8), route refresh (RFC 2918 §2), graceful restart (RFC 4724 §3),
// 4-octet AS (RFC 6793 §3). Unknown capabilities are kept raw.
//
// Only syntax is checked here (version, lengths, parameter types). Whether the peer's AS, hold
// time and BGP identifier are acceptable depends on configuration and is decided by the FSM
// (fsm_open.cc). RFC 4271 names no subcode for a malformed optional parameter or capability;
// those get OPEN Message Error with the unspecific subcode 0.
//
// The encoder puts all capabilities in one Capabilities parameter, starting another only when
// one would exceed 255 octets (RFC 5492 §4 allows either); the extended parameters length of
// RFC 9072 is not supported.
#include "bgp/codec_internal.h"

namespace weft::bgp::detail {
namespace {

constexpr uint8_t kParamCapabilities = 2;  // RFC 5492 §4
constexpr uint8_t kCapMultiprotocol = 1;
constexpr uint8_t kCapRouteRefresh = 2;
constexpr uint8_t kCapGracefulRestart = 64;
constexpr uint8_t kCapFourOctetAs = 65;
constexpr uint8_t kGrForwardingPreserved = 0x80;

DecodeError open_error(uint8_t subcode, std::string detail, Bytes data = {}) {
  return session_reset(code::kOpen, subcode, std::move(data), std::move(detail));
}

DecodeError bad_capability(uint8_t cap, size_t length) {
  return open_error(open_subcode::kUnspecific, "capability " + std::to_string(cap) +
                                                   " has invalid length " +
                                                   std::to_string(length));
}

std::expected<Capability, DecodeError> decode_capability(uint8_t cap, ByteView value) {
  Reader r(value);
  switch (cap) {
    case kCapMultiprotocol: {
      if (value.size() != 4) return std::unexpected(bad_capability(cap, value.size()));
      MultiprotocolCapability mp;
      uint8_t reserved = 0;
      r.u16(mp.family.afi);
      r.u8(reserved);  // RFC 4760 §8: ignored on receipt
      r.u8(mp.family.safi);
      return mp;
    }
    case kCapRouteRefresh:
      if (!value.empty()) return std::unexpected(bad_capability(cap, value.size()));
      return RouteRefreshCapability{};
    case kCapGracefulRestart: {
      if (value.size() < 2 || (value.size() - 2) % 4 != 0) {
        return std::unexpected(bad_capability(cap, value.size()));
      }
      GracefulRestartCapability gr;
      uint16_t flags_and_time = 0;
      r.u16(flags_and_time);
      gr.flags = static_cast<uint8_t>(flags_and_time >> 12);
      gr.restart_time = flags_and_time & 0x0fff;
      while (!r.empty()) {
        GracefulRestartCapability::Family f;
        uint8_t flags = 0;
        r.u16(f.family.afi);
        r.u8(f.family.safi);
        r.u8(flags);
        f.forwarding_preserved = (flags & kGrForwardingPreserved) != 0;
        gr.families.push_back(f);
      }
      return gr;
    }
    case kCapFourOctetAs: {
      if (value.size() != 4) return std::unexpected(bad_capability(cap, value.size()));
      FourOctetAsCapability as4;
      r.u32(as4.asn);
      return as4;
    }
    default:
      return UnknownCapability{cap, Bytes(value.begin(), value.end())};
  }
}

// One capability as code, length, value; nullopt if its value cannot fit the length octet.
std::optional<Bytes> encode_capability(const Capability& capability) {
  Bytes value;
  Writer w(value);
  uint8_t cap = 0;
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, MultiprotocolCapability>) {
          cap = kCapMultiprotocol;
          w.u16(c.family.afi);
          w.u8(0);
          w.u8(c.family.safi);
        } else if constexpr (std::is_same_v<T, RouteRefreshCapability>) {
          cap = kCapRouteRefresh;
        } else if constexpr (std::is_same_v<T, GracefulRestartCapability>) {
          cap = kCapGracefulRestart;
          w.u16(static_cast<uint16_t>((c.flags & 0x0f) << 12 | (c.restart_time & 0x0fff)));
          for (const auto& f : c.families) {
            w.u16(f.family.afi);
            w.u8(f.family.safi);
            w.u8(f.forwarding_preserved ? kGrForwardingPreserved : 0);
          }
        } else if constexpr (std::is_same_v<T, FourOctetAsCapability>) {
          cap = kCapFourOctetAs;
          w.u32(c.asn);
        } else {
          cap = c.code;
          w.bytes(c.value);
        }
      },
      capability);
  if (value.size() > 255) return std::nullopt;
  Bytes out{cap, static_cast<uint8_t>(value.size())};
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

}  // namespace

std::expected<Open, DecodeError> decode_open(ByteView body) {
  Reader r(body);
  uint8_t version = 0;
  Open open;
  uint8_t params_length = 0;
  r.u8(version);
  r.u16(open.my_as);
  r.u16(open.hold_time);
  r.u32(open.bgp_id);
  r.u8(params_length);  // the header check guaranteed these 10 octets
  if (version != 4) {
    // Data: the largest version this speaker supports (RFC 4271 §6.2).
    return std::unexpected(open_error(open_subcode::kUnsupportedVersion,
                                      "version " + std::to_string(version) + " is not 4",
                                      {0, 4}));
  }
  if (params_length != r.remaining()) {
    return std::unexpected(open_error(
        open_subcode::kUnspecific, "optional parameters length " + std::to_string(params_length) +
                                       " but " + std::to_string(r.remaining()) + " octets follow"));
  }
  while (!r.empty()) {
    uint8_t type = 0;
    uint8_t length = 0;
    ByteView value;
    if (!r.u8(type) || !r.u8(length) || !r.take(length, value)) {
      return std::unexpected(open_error(open_subcode::kUnspecific,
                                        "optional parameter overruns the parameters field"));
    }
    if (type != kParamCapabilities) {
      return std::unexpected(open_error(open_subcode::kUnsupportedOptionalParameter,
                                        "optional parameter type " + std::to_string(type)));
    }
    Reader caps(value);
    while (!caps.empty()) {
      uint8_t cap = 0;
      uint8_t cap_length = 0;
      ByteView cap_value;
      if (!caps.u8(cap) || !caps.u8(cap_length) || !caps.take(cap_length, cap_value)) {
        return std::unexpected(open_error(open_subcode::kUnspecific,
                                          "capability overruns its optional parameter"));
      }
      auto decoded = decode_capability(cap, cap_value);
      if (!decoded) return std::unexpected(std::move(decoded.error()));
      open.capabilities.push_back(std::move(*decoded));
    }
  }
  return open;
}

void encode_open(const Open& open, Writer& w) {
  w.u8(4);
  w.u16(open.my_as);
  w.u16(open.hold_time);
  w.u32(open.bgp_id);
  // Parameters: type 2, length, capabilities; a new parameter when the current one is full.
  Bytes params;
  size_t current = 0;  // offset of the current parameter's header in `params`, if any
  bool open_param = false;
  for (const Capability& c : open.capabilities) {
    auto bytes = encode_capability(c);
    if (!bytes) continue;  // cannot be encoded; only possible for values built by hand
    if (!open_param || params[current + 1] + bytes->size() > 255) {
      if (params.size() + 2 + bytes->size() > 255) break;  // would need RFC 9072
      current = params.size();
      params.push_back(kParamCapabilities);
      params.push_back(0);
      open_param = true;
    } else if (params.size() + bytes->size() > 255) {
      break;
    }
    params.insert(params.end(), bytes->begin(), bytes->end());
    params[current + 1] = static_cast<uint8_t>(params[current + 1] + bytes->size());
  }
  w.u8(static_cast<uint8_t>(params.size()));
  w.bytes(params);
}

}  // namespace weft::bgp::detail
