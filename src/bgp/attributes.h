// The path attribute table (internal to the codec): one descriptor per recognized attribute with
// its expected flags, the RFC 7606 §7 action for a malformed instance, and decode, encode and
// format hooks. codec_update.cc walks the attributes of an UPDATE and calls into this table; it
// holds no per-attribute knowledge itself.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "bgp/codec.h"

namespace weft::bgp::detail {

// A malformed attribute value, as found by a decode hook.
struct AttributeFault {
  uint8_t subcode = 0;         // UPDATE Message Error subcode RFC 4271 §6.3 would use
  bool attribute_data = true;  // NOTIFICATION data: the attribute (flags, type, length, value)
  std::string detail;
  // Overrides the descriptor's `malformed` action (e.g. AS4_PATH between 4-octet speakers).
  std::optional<ErrorAction> action;
};

struct AttributeDescriptor {
  uint8_t type;
  const char* name;
  uint8_t flags;           // the Optional and Transitive bits the attribute must carry
  ErrorAction malformed;   // RFC 7606 §7 action for a malformed instance
  bool discard_from_ebgp;  // RFC 7606 §7.5, 7.9, 7.10: dropped whenever an external peer sends it
  // Parses `value` into `attrs`; nullopt on success.
  std::optional<AttributeFault> (*decode)(ByteView value, const DecodeOptions& options,
                                          PathAttributes& attrs);
  // Whether encode() has something to write for these attributes.
  bool (*present)(const PathAttributes& attrs, const EncodeOptions& options);
  // Writes the value only; the caller writes flags, type and length.
  void (*encode)(const PathAttributes& attrs, const EncodeOptions& options, Writer& w);
  // Appends "name=value" for logs; called only when the attribute's own field is set.
  void (*format)(const PathAttributes& attrs, std::string& out);
};

// Every recognized attribute in encoding order: MP_UNREACH_NLRI and MP_REACH_NLRI first
// (RFC 7606 §5.1), then ascending type codes (RFC 4271 §5).
std::span<const AttributeDescriptor* const> attribute_table();
const AttributeDescriptor* find_attribute(uint8_t type);

// Descriptors, one per file group; constant-initialized, so the table can point at them.
extern const AttributeDescriptor kOriginDescriptor;
extern const AttributeDescriptor kNextHopDescriptor;
extern const AttributeDescriptor kMedDescriptor;
extern const AttributeDescriptor kLocalPrefDescriptor;
extern const AttributeDescriptor kAtomicAggregateDescriptor;
extern const AttributeDescriptor kCommunitiesDescriptor;
extern const AttributeDescriptor kOriginatorIdDescriptor;
extern const AttributeDescriptor kClusterListDescriptor;
extern const AttributeDescriptor kAsPathDescriptor;
extern const AttributeDescriptor kAs4PathDescriptor;
extern const AttributeDescriptor kAggregatorDescriptor;
extern const AttributeDescriptor kAs4AggregatorDescriptor;
extern const AttributeDescriptor kMpReachDescriptor;
extern const AttributeDescriptor kMpUnreachDescriptor;

}  // namespace weft::bgp::detail
