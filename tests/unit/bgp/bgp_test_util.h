// Helpers for the BGP tests: hand-assembled wire bytes and short value builders.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "bgp/codec.h"
#include "parse.h"

namespace weft::bgp::test {

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

// A whole message: marker, length, type, body (RFC 4271 §4.1).
inline Bytes message(MessageType type, const Bytes& body) {
  Bytes out(16, 0xff);
  const size_t length = 19 + body.size();
  out.push_back(static_cast<uint8_t>(length >> 8));
  out.push_back(static_cast<uint8_t>(length));
  out.push_back(static_cast<uint8_t>(type));
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// An UPDATE body from its three fields, with the two length fields computed.
inline Bytes update_body(const Bytes& withdrawn, const Bytes& attributes, const Bytes& nlri) {
  Bytes out;
  out.push_back(static_cast<uint8_t>(withdrawn.size() >> 8));
  out.push_back(static_cast<uint8_t>(withdrawn.size()));
  out.insert(out.end(), withdrawn.begin(), withdrawn.end());
  out.push_back(static_cast<uint8_t>(attributes.size() >> 8));
  out.push_back(static_cast<uint8_t>(attributes.size()));
  out.insert(out.end(), attributes.begin(), attributes.end());
  out.insert(out.end(), nlri.begin(), nlri.end());
  return out;
}

inline Bytes update_message(const Bytes& withdrawn, const Bytes& attributes, const Bytes& nlri) {
  return message(MessageType::update, update_body(withdrawn, attributes, nlri));
}

// One path attribute with a 1-octet length.
inline Bytes attribute(uint8_t flags, uint8_t type, const Bytes& value) {
  Bytes out{flags, type, static_cast<uint8_t>(value.size())};
  out.insert(out.end(), value.begin(), value.end());
  return out;
}

using ::weft::testing::ip;  // tests/support/parse.h
using ::weft::testing::pfx;

inline uint32_t id(std::string_view dotted) { return ip(dotted).v4_host_order(); }

// Common well-formed attributes (4-octet AS form).
inline const Bytes kOriginIgp = {0x40, 0x01, 0x01, 0x00};
inline const Bytes kAsPath65001 = {0x40, 0x02, 0x06, 0x02, 0x01, 0x00, 0x00, 0xfd, 0xe9};
inline const Bytes kNextHop = {0x40, 0x03, 0x04, 0xc6, 0x12, 0x00, 0x01};  // 198.18.0.1
inline const Bytes kNlri = {0x18, 0xc6, 0x13, 0x01};                       // 198.19.1.0/24

inline Update decode_update_ok(const Bytes& bytes, const DecodeOptions& options = {}) {
  auto m = decode(bytes, options);
  EXPECT_TRUE(m.has_value()) << (m ? "" : format(m.error()));
  if (!m || !std::holds_alternative<Update>(*m)) return {};
  return std::get<Update>(*m);
}

}  // namespace weft::bgp::test
