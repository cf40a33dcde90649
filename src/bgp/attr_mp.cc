// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 §3, §4) for IPv4 and IPv6 unicast; the IPv6 next
// hop is 16 octets, or 32 with a link-local address after the global one (RFC 2545 §3).
//
// Errors: when the next hop length does not fit the AFI, or the NLRI cannot be parsed, the
// routes cannot be located reliably, so RFC 7606 §7.11, §7.12 and §5.3 leave only a session
// reset (RFC 4760 §7 names UPDATE Message Error / Optional Attribute Error). An AFI/SAFI this
// speaker does not handle (and never negotiates) is dropped as an attribute discard: its routes
// are simply not learned.
#include "bgp/attributes.h"
#include "bgp/codec_internal.h"

namespace weft::bgp::detail {
namespace {

std::optional<Family> family_of(const AfiSafi& f) {
  if (f == kIpv4Unicast) return Family::v4;
  if (f == kIpv6Unicast) return Family::v6;
  return std::nullopt;
}

AttributeFault reset(std::string detail) {
  return {update_subcode::kOptionalAttribute, true, std::move(detail),
          ErrorAction::session_reset};
}

AttributeFault unsupported(const char* name, const AfiSafi& f) {
  return {0, false, std::string(name) + " for unsupported " + format(f) + " ignored",
          ErrorAction::attribute_discard};
}

IpAddress v6_from(ByteView b) {
  std::array<uint8_t, 16> bytes{};
  for (size_t i = 0; i < 16; ++i) bytes[i] = b[i];
  return IpAddress::v6(bytes);
}

// ---- MP_REACH_NLRI -----------------------------------------------------------------------------
std::optional<AttributeFault> decode_mp_reach(ByteView v, const DecodeOptions&,
                                              PathAttributes& a) {
  Reader r(v);
  MpReach mp;
  uint8_t nh_length = 0;
  ByteView nh;
  uint8_t reserved = 0;
  if (!r.u16(mp.family.afi) || !r.u8(mp.family.safi) || !r.u8(nh_length) ||
      !r.take(nh_length, nh) || !r.u8(reserved)) {
    return reset("MP_REACH_NLRI truncated");
  }
  const auto family = family_of(mp.family);
  if (!family) return unsupported("MP_REACH_NLRI", mp.family);
  if (*family == Family::v4) {
    if (nh.size() != 4) {
      return reset("MP_REACH_NLRI IPv4 next hop of " + std::to_string(nh.size()) + " octets");
    }
    mp.next_hop = IpAddress::v4(uint32_t{nh[0]} << 24 | uint32_t{nh[1]} << 16 |
                                uint32_t{nh[2]} << 8 | nh[3]);
  } else {
    if (nh.size() != 16 && nh.size() != 32) {
      return reset("MP_REACH_NLRI IPv6 next hop of " + std::to_string(nh.size()) + " octets");
    }
    mp.next_hop = v6_from(nh);
    if (nh.size() == 32) mp.link_local_next_hop = v6_from(nh.subspan(16));
  }
  auto nlri = decode_prefixes(r.rest(), *family);
  if (!nlri) return reset("MP_REACH_NLRI: NLRI cannot be parsed");
  mp.nlri = std::move(*nlri);
  a.mp_reach = std::move(mp);
  return std::nullopt;
}
bool has_mp_reach(const PathAttributes& a, const EncodeOptions&) { return a.mp_reach.has_value(); }
void encode_mp_reach(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  const MpReach& mp = *a.mp_reach;
  w.u16(mp.family.afi);
  w.u8(mp.family.safi);
  const ByteView nh(mp.next_hop.bytes());
  if (mp.family.afi == kAfiIpv4) {
    w.u8(4);
    w.bytes(nh.first(4));
  } else if (mp.link_local_next_hop) {
    w.u8(32);
    w.bytes(nh);
    w.bytes(mp.link_local_next_hop->bytes());
  } else {
    w.u8(16);
    w.bytes(nh);
  }
  w.u8(0);  // reserved (RFC 4760 §3)
  encode_prefixes(mp.nlri, w);
}
void format_mp_reach(const PathAttributes& a, std::string& out) {
  const MpReach& mp = *a.mp_reach;
  out += "mp_reach=" + format(mp.family) + " next_hop=" + mp.next_hop.to_string();
  if (mp.link_local_next_hop) out += " link_local=" + mp.link_local_next_hop->to_string();
  out += " nlri=[";
  for (size_t i = 0; i < mp.nlri.size(); ++i) out += (i ? " " : "") + mp.nlri[i].to_string();
  out += ']';
}

// ---- MP_UNREACH_NLRI ---------------------------------------------------------------------------
std::optional<AttributeFault> decode_mp_unreach(ByteView v, const DecodeOptions&,
                                                PathAttributes& a) {
  Reader r(v);
  MpUnreach mp;
  if (!r.u16(mp.family.afi) || !r.u8(mp.family.safi)) return reset("MP_UNREACH_NLRI truncated");
  const auto family = family_of(mp.family);
  if (!family) return unsupported("MP_UNREACH_NLRI", mp.family);
  auto withdrawn = decode_prefixes(r.rest(), *family);
  if (!withdrawn) return reset("MP_UNREACH_NLRI: withdrawn routes cannot be parsed");
  mp.withdrawn = std::move(*withdrawn);
  a.mp_unreach = std::move(mp);
  return std::nullopt;
}
bool has_mp_unreach(const PathAttributes& a, const EncodeOptions&) {
  return a.mp_unreach.has_value();
}
void encode_mp_unreach(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  w.u16(a.mp_unreach->family.afi);
  w.u8(a.mp_unreach->family.safi);
  encode_prefixes(a.mp_unreach->withdrawn, w);
}
void format_mp_unreach(const PathAttributes& a, std::string& out) {
  out += "mp_unreach=" + format(a.mp_unreach->family) + " withdrawn=[";
  const auto& w = a.mp_unreach->withdrawn;
  for (size_t i = 0; i < w.size(); ++i) out += (i ? " " : "") + w[i].to_string();
  out += ']';
}

}  // namespace

const AttributeDescriptor kMpReachDescriptor{
    attr::kMpReach, "MP_REACH_NLRI", kFlagOptional, ErrorAction::session_reset, false,
    decode_mp_reach, has_mp_reach, encode_mp_reach, format_mp_reach};
const AttributeDescriptor kMpUnreachDescriptor{
    attr::kMpUnreach, "MP_UNREACH_NLRI", kFlagOptional, ErrorAction::session_reset, false,
    decode_mp_unreach, has_mp_unreach, encode_mp_unreach, format_mp_unreach};

}  // namespace weft::bgp::detail
