// NLRI and Withdrawn Routes encoding (RFC 4271 §4.3; the same form inside MP_REACH_NLRI and
// MP_UNREACH_NLRI, RFC 4760 §5): each prefix is a length in bits followed by the fewest octets
// that hold it. Trailing bits past the length are ignored on receipt (Prefix masks them), so a
// decoded prefix is always normalized and re-encodes identically.
//
// RFC 7606 §5.3: the field is "incorrect" if a length exceeds the family's maximum or the last
// prefix overruns the field; the caller turns that into a session reset.
#include <array>

#include "bgp/codec_internal.h"

namespace weft::bgp::detail {

std::optional<std::vector<Prefix>> decode_prefixes(ByteView field, Family family) {
  const int width = family == Family::v4 ? 32 : 128;
  std::vector<Prefix> out;
  Reader r(field);
  while (!r.empty()) {
    uint8_t length = 0;
    r.u8(length);
    if (length > width) return std::nullopt;
    ByteView octets;
    if (!r.take((length + 7u) / 8u, octets)) return std::nullopt;
    std::array<uint8_t, 16> bytes{};
    for (size_t i = 0; i < octets.size(); ++i) bytes[i] = octets[i];
    IpAddress address;
    if (family == Family::v4) {
      address = IpAddress::v4(uint32_t{bytes[0]} << 24 | uint32_t{bytes[1]} << 16 |
                              uint32_t{bytes[2]} << 8 | uint32_t{bytes[3]});
    } else {
      address = IpAddress::v6(bytes);
    }
    out.emplace_back(address, length);
  }
  return out;
}

void encode_prefixes(const std::vector<Prefix>& prefixes, Writer& w) {
  for (const Prefix& p : prefixes) {
    const auto length = static_cast<uint8_t>(p.length());
    w.u8(length);
    w.bytes(ByteView(p.address().bytes()).first((length + 7u) / 8u));
  }
}

}  // namespace weft::bgp::detail
