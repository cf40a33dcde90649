// AS_PATH and AGGREGATOR (RFC 4271 §4.3, §5.1.2, §5.1.7), in 2- or 4-octet form as negotiated
// (RFC 6793 §4.1), and their 4-octet companions AS4_PATH and AS4_AGGREGATOR (RFC 6793 §4.2).
//
// Errors (RFC 7606 §7.2): an AS_PATH is malformed on an unrecognized segment type, a segment that
// overruns the attribute, a single octet left over, or a segment length of zero; the UPDATE is
// then treat-as-withdraw. A malformed AGGREGATOR (RFC 7606 §7.7), AS4_PATH or AS4_AGGREGATOR
// (RFC 6793 §6) is discarded. AS4_* received between two 4-octet speakers are discarded too
// (RFC 6793 §4.1), and AS_CONFED segments found in an AS4_PATH are removed (RFC 6793 §6).
//
// Encoding towards a 2-octet peer (RFC 6793 §4.2.2): AS numbers above 65535 become AS_TRANS in
// AS_PATH/AGGREGATOR, and unless the caller supplied them, AS4_PATH (the path without its
// confederation segments) and AS4_AGGREGATOR are added when and only when such numbers occur.
// Segments longer than 255 AS numbers are split, empty ones skipped.
#include <algorithm>

#include "bgp/attributes.h"

namespace weft::bgp::detail {
namespace {

bool is_confed(SegmentType t) {
  return t == SegmentType::confed_sequence || t == SegmentType::confed_set;
}

// nullopt on success, else why the path is malformed.
std::optional<std::string> parse_path(ByteView v, size_t width, AsPath& out) {
  out.clear();
  Reader r(v);
  while (!r.empty()) {
    uint8_t type = 0;
    uint8_t count = 0;
    if (!r.u8(type) || !r.u8(count)) return "a single octet left after the last segment";
    if (type < 1 || type > 4) return "unrecognized segment type " + std::to_string(type);
    if (count == 0) return "segment of length zero";
    ByteView asns;
    if (!r.take(count * width, asns)) return "segment overruns the attribute";
    AsSegment seg{static_cast<SegmentType>(type), {}};
    Reader a(asns);
    for (int i = 0; i < count; ++i) {
      if (width == 4) {
        uint32_t asn = 0;
        a.u32(asn);
        seg.asns.push_back(asn);
      } else {
        uint16_t asn = 0;
        a.u16(asn);
        seg.asns.push_back(asn);
      }
    }
    out.push_back(std::move(seg));
  }
  return std::nullopt;
}

void write_path(const AsPath& path, bool four_octet, Writer& w) {
  for (const AsSegment& seg : path) {
    for (size_t start = 0; start < seg.asns.size(); start += 255) {
      const size_t n = std::min<size_t>(255, seg.asns.size() - start);
      w.u8(static_cast<uint8_t>(seg.type));
      w.u8(static_cast<uint8_t>(n));
      for (size_t i = start; i < start + n; ++i) {
        const uint32_t asn = seg.asns[i];
        if (four_octet) {
          w.u32(asn);
        } else {
          w.u16(static_cast<uint16_t>(asn > 0xffff ? kAsTrans : asn));
        }
      }
    }
  }
}

bool needs_as4(const AsPath& path) {
  return std::any_of(path.begin(), path.end(), [](const AsSegment& s) {
    return !is_confed(s.type) &&
           std::any_of(s.asns.begin(), s.asns.end(), [](uint32_t a) { return a > 0xffff; });
  });
}

AttributeFault between_new_speakers(const char* name) {
  return {0, false, std::string(name) + " between 4-octet AS speakers (RFC 6793 §4.1)",
          ErrorAction::attribute_discard};
}

// ---- AS_PATH -----------------------------------------------------------------------------------
std::optional<AttributeFault> decode_as_path(ByteView v, const DecodeOptions& o,
                                             PathAttributes& a) {
  AsPath path;
  if (auto why = parse_path(v, o.four_octet_as ? 4 : 2, path)) {
    return AttributeFault{update_subcode::kMalformedAsPath, false, "AS_PATH: " + *why, {}};
  }
  a.as_path = std::move(path);
  return std::nullopt;
}
bool has_as_path(const PathAttributes& a, const EncodeOptions&) { return a.as_path.has_value(); }
void encode_as_path(const PathAttributes& a, const EncodeOptions& o, Writer& w) {
  write_path(*a.as_path, o.four_octet_as, w);
}
void format_as_path(const PathAttributes& a, std::string& out) {
  out += "as_path=" + format(*a.as_path);
}

// ---- AS4_PATH ----------------------------------------------------------------------------------
std::optional<AttributeFault> decode_as4_path(ByteView v, const DecodeOptions& o,
                                              PathAttributes& a) {
  if (o.four_octet_as) return between_new_speakers("AS4_PATH");
  AsPath path;
  if (auto why = parse_path(v, 4, path)) {
    return AttributeFault{update_subcode::kOptionalAttribute, true, "AS4_PATH: " + *why, {}};
  }
  std::erase_if(path, [](const AsSegment& s) { return is_confed(s.type); });
  a.as4_path = std::move(path);
  return std::nullopt;
}
bool has_as4_path(const PathAttributes& a, const EncodeOptions& o) {
  return !o.four_octet_as && (a.as4_path || (a.as_path && needs_as4(*a.as_path)));
}
void encode_as4_path(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  if (a.as4_path) {
    write_path(*a.as4_path, true, w);
    return;
  }
  AsPath path = *a.as_path;
  std::erase_if(path, [](const AsSegment& s) { return is_confed(s.type); });
  write_path(path, true, w);
}
void format_as4_path(const PathAttributes& a, std::string& out) {
  out += "as4_path=" + format(*a.as4_path);
}

// ---- AGGREGATOR and AS4_AGGREGATOR -------------------------------------------------------------
void read_aggregator(ByteView v, bool four_octet, Aggregator& out) {
  Reader r(v);
  if (four_octet) {
    r.u32(out.asn);
  } else {
    uint16_t asn = 0;
    r.u16(asn);
    out.asn = asn;
  }
  uint32_t address = 0;
  r.u32(address);
  out.address = IpAddress::v4(address);
}
void write_aggregator(const Aggregator& g, bool four_octet, Writer& w) {
  if (four_octet) {
    w.u32(g.asn);
  } else {
    w.u16(static_cast<uint16_t>(g.asn > 0xffff ? kAsTrans : g.asn));
  }
  w.bytes(ByteView(g.address.bytes()).first(4));
}

std::optional<AttributeFault> decode_aggregator(ByteView v, const DecodeOptions& o,
                                                PathAttributes& a) {
  const size_t want = o.four_octet_as ? 8 : 6;
  if (v.size() != want) {
    return AttributeFault{update_subcode::kAttributeLength, true,
                          "AGGREGATOR length " + std::to_string(v.size()) + ", expected " +
                              std::to_string(want),
                          {}};
  }
  Aggregator g;
  read_aggregator(v, o.four_octet_as, g);
  a.aggregator = g;
  return std::nullopt;
}
bool has_aggregator(const PathAttributes& a, const EncodeOptions&) {
  return a.aggregator.has_value();
}
void encode_aggregator(const PathAttributes& a, const EncodeOptions& o, Writer& w) {
  write_aggregator(*a.aggregator, o.four_octet_as, w);
}
void format_aggregator(const PathAttributes& a, std::string& out) {
  out += "aggregator=" + std::to_string(a.aggregator->asn) + ":" +
         a.aggregator->address.to_string();
}

std::optional<AttributeFault> decode_as4_aggregator(ByteView v, const DecodeOptions& o,
                                                    PathAttributes& a) {
  if (o.four_octet_as) return between_new_speakers("AS4_AGGREGATOR");
  if (v.size() != 8) {
    return AttributeFault{update_subcode::kAttributeLength, true,
                          "AS4_AGGREGATOR length " + std::to_string(v.size()) + ", expected 8",
                          {}};
  }
  Aggregator g;
  read_aggregator(v, true, g);
  a.as4_aggregator = g;
  return std::nullopt;
}
bool has_as4_aggregator(const PathAttributes& a, const EncodeOptions& o) {
  return !o.four_octet_as && (a.as4_aggregator || (a.aggregator && a.aggregator->asn > 0xffff));
}
void encode_as4_aggregator(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  write_aggregator(a.as4_aggregator ? *a.as4_aggregator : *a.aggregator, true, w);
}
void format_as4_aggregator(const PathAttributes& a, std::string& out) {
  const Aggregator& g = *a.as4_aggregator;
  out += "as4_aggregator=" + std::to_string(g.asn) + ":" + g.address.to_string();
}

constexpr uint8_t kOptionalTransitive = kFlagOptional | kFlagTransitive;

}  // namespace

const AttributeDescriptor kAsPathDescriptor{
    attr::kAsPath, "AS_PATH", kFlagTransitive, ErrorAction::treat_as_withdraw, false,
    decode_as_path, has_as_path, encode_as_path, format_as_path};
const AttributeDescriptor kAs4PathDescriptor{
    attr::kAs4Path, "AS4_PATH", kOptionalTransitive, ErrorAction::attribute_discard, false,
    decode_as4_path, has_as4_path, encode_as4_path, format_as4_path};
const AttributeDescriptor kAggregatorDescriptor{
    attr::kAggregator, "AGGREGATOR", kOptionalTransitive, ErrorAction::attribute_discard, false,
    decode_aggregator, has_aggregator, encode_aggregator, format_aggregator};
const AttributeDescriptor kAs4AggregatorDescriptor{
    attr::kAs4Aggregator, "AS4_AGGREGATOR", kOptionalTransitive, ErrorAction::attribute_discard,
    false, decode_as4_aggregator, has_as4_aggregator, encode_as4_aggregator,
    format_as4_aggregator};

}  // namespace weft::bgp::detail
