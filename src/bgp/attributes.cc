// The path attribute table, and the simple fixed-form attributes: ORIGIN, NEXT_HOP,
// MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE (RFC 4271 §4.3, §5.1), COMMUNITIES (RFC 1997),
// ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 §8).
//
// Error handling per RFC 7606 §7: a malformed ORIGIN (7.1), NEXT_HOP (7.3), MULTI_EXIT_DISC
// (7.4), LOCAL_PREF from an internal peer (7.5), COMMUNITIES (7.8), ORIGINATOR_ID (7.9) or
// CLUSTER_LIST (7.10) from an internal peer is treat-as-withdraw; a malformed ATOMIC_AGGREGATE
// (7.6) is attribute discard; LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from an external peer
// are discarded whatever they hold. The subcodes are the ones RFC 4271 §6.3 names (Attribute
// Length Error for a length the type forbids), kept for logs and for a session reset when
// RFC 7606 §5.2 escalates.
#include "bgp/attributes.h"

#include <array>

namespace weft::bgp::detail {
namespace {

AttributeFault length_fault(const char* name, size_t got, const char* want) {
  return {update_subcode::kAttributeLength, true,
          std::string(name) + " length " + std::to_string(got) + ", expected " + want, {}};
}

uint32_t be32(ByteView v, size_t at = 0) {
  return uint32_t{v[at]} << 24 | uint32_t{v[at + 1]} << 16 | uint32_t{v[at + 2]} << 8 | v[at + 3];
}

std::string dotted(uint32_t id) { return IpAddress::v4(id).to_string(); }

bool list_of_u32(ByteView v, std::vector<uint32_t>& out) {
  if (v.empty() || v.size() % 4 != 0) return false;  // "a non-zero multiple of 4"
  out.clear();
  for (size_t i = 0; i < v.size(); i += 4) out.push_back(be32(v, i));
  return true;
}

// ---- ORIGIN ------------------------------------------------------------------------------------
std::optional<AttributeFault> decode_origin(ByteView v, const DecodeOptions&, PathAttributes& a) {
  if (v.size() != 1) return length_fault("ORIGIN", v.size(), "1");
  if (v[0] > 2) {
    return AttributeFault{update_subcode::kInvalidOrigin, true,
                          "ORIGIN value " + std::to_string(v[0]) + " is undefined", {}};
  }
  a.origin = static_cast<Origin>(v[0]);
  return std::nullopt;
}
bool has_origin(const PathAttributes& a, const EncodeOptions&) { return a.origin.has_value(); }
void encode_origin(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  w.u8(static_cast<uint8_t>(*a.origin));
}
void format_origin(const PathAttributes& a, std::string& out) {
  static constexpr std::array<const char*, 3> names = {"igp", "egp", "incomplete"};
  out += "origin=";
  out += names[static_cast<size_t>(*a.origin)];
}

// ---- NEXT_HOP ----------------------------------------------------------------------------------
std::optional<AttributeFault> decode_next_hop(ByteView v, const DecodeOptions&,
                                              PathAttributes& a) {
  if (v.size() != 4) return length_fault("NEXT_HOP", v.size(), "4");
  a.next_hop = IpAddress::v4(be32(v));
  return std::nullopt;
}
bool has_next_hop(const PathAttributes& a, const EncodeOptions&) {
  return a.next_hop.has_value() && a.next_hop->is_v4();
}
void encode_next_hop(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  w.u32(a.next_hop->v4_host_order());
}
void format_next_hop(const PathAttributes& a, std::string& out) {
  out += "next_hop=" + a.next_hop->to_string();
}

// ---- MULTI_EXIT_DISC, LOCAL_PREF, ORIGINATOR_ID: one 4-octet value -----------------------------
template <std::optional<uint32_t> PathAttributes::*Field, const char* Name>
std::optional<AttributeFault> decode_u32(ByteView v, const DecodeOptions&, PathAttributes& a) {
  if (v.size() != 4) return length_fault(Name, v.size(), "4");
  a.*Field = be32(v);
  return std::nullopt;
}
template <std::optional<uint32_t> PathAttributes::*Field>
bool has_u32(const PathAttributes& a, const EncodeOptions&) {
  return (a.*Field).has_value();
}
template <std::optional<uint32_t> PathAttributes::*Field>
void encode_u32(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  w.u32(*(a.*Field));
}
void format_med(const PathAttributes& a, std::string& out) {
  out += "med=" + std::to_string(*a.med);
}
void format_local_pref(const PathAttributes& a, std::string& out) {
  out += "local_pref=" + std::to_string(*a.local_pref);
}
void format_originator_id(const PathAttributes& a, std::string& out) {
  out += "originator_id=" + dotted(*a.originator_id);
}
constexpr char kMedName[] = "MULTI_EXIT_DISC";
constexpr char kLocalPrefName[] = "LOCAL_PREF";
constexpr char kOriginatorIdName[] = "ORIGINATOR_ID";

// ---- ATOMIC_AGGREGATE --------------------------------------------------------------------------
std::optional<AttributeFault> decode_atomic(ByteView v, const DecodeOptions&, PathAttributes& a) {
  if (!v.empty()) return length_fault("ATOMIC_AGGREGATE", v.size(), "0");
  a.atomic_aggregate = true;
  return std::nullopt;
}
bool has_atomic(const PathAttributes& a, const EncodeOptions&) { return a.atomic_aggregate; }
void encode_nothing(const PathAttributes&, const EncodeOptions&, Writer&) {}
void format_atomic(const PathAttributes&, std::string& out) { out += "atomic_aggregate"; }

// ---- COMMUNITIES, CLUSTER_LIST: lists of 4-octet values ----------------------------------------
std::optional<AttributeFault> decode_communities(ByteView v, const DecodeOptions&,
                                                 PathAttributes& a) {
  if (!list_of_u32(v, a.communities)) {
    return length_fault("COMMUNITIES", v.size(), "a non-zero multiple of 4");
  }
  return std::nullopt;
}
std::optional<AttributeFault> decode_cluster_list(ByteView v, const DecodeOptions&,
                                                  PathAttributes& a) {
  if (!list_of_u32(v, a.cluster_list)) {
    return length_fault("CLUSTER_LIST", v.size(), "a non-zero multiple of 4");
  }
  return std::nullopt;
}
template <std::vector<uint32_t> PathAttributes::*Field>
bool has_list(const PathAttributes& a, const EncodeOptions&) {
  return !(a.*Field).empty();
}
template <std::vector<uint32_t> PathAttributes::*Field>
void encode_list(const PathAttributes& a, const EncodeOptions&, Writer& w) {
  for (uint32_t x : a.*Field) w.u32(x);
}
void format_communities(const PathAttributes& a, std::string& out) {
  out += "communities=[";
  for (size_t i = 0; i < a.communities.size(); ++i) {
    const uint32_t c = a.communities[i];
    if (i > 0) out += ' ';
    // The well-known communities of RFC 1997 §2.
    if (c == 0xFFFFFF01) {
      out += "no-export";
    } else if (c == 0xFFFFFF02) {
      out += "no-advertise";
    } else if (c == 0xFFFFFF03) {
      out += "no-export-subconfed";
    } else {
      out += std::to_string(c >> 16) + ":" + std::to_string(c & 0xffff);
    }
  }
  out += ']';
}
void format_cluster_list(const PathAttributes& a, std::string& out) {
  out += "cluster_list=[";
  for (size_t i = 0; i < a.cluster_list.size(); ++i) {
    if (i > 0) out += ' ';
    out += dotted(a.cluster_list[i]);
  }
  out += ']';
}

constexpr uint8_t kWellKnown = kFlagTransitive;  // well-known attributes are transitive
constexpr uint8_t kOptional = kFlagOptional;
constexpr uint8_t kOptionalTransitive = kFlagOptional | kFlagTransitive;
constexpr auto kWithdraw = ErrorAction::treat_as_withdraw;
constexpr auto kDiscard = ErrorAction::attribute_discard;

}  // namespace

const AttributeDescriptor kOriginDescriptor{
    attr::kOrigin, "ORIGIN", kWellKnown, kWithdraw, false,
    decode_origin, has_origin, encode_origin, format_origin};
const AttributeDescriptor kNextHopDescriptor{
    attr::kNextHop, "NEXT_HOP", kWellKnown, kWithdraw, false,
    decode_next_hop, has_next_hop, encode_next_hop, format_next_hop};
const AttributeDescriptor kMedDescriptor{
    attr::kMed, kMedName, kOptional, kWithdraw, false,
    decode_u32<&PathAttributes::med, kMedName>, has_u32<&PathAttributes::med>,
    encode_u32<&PathAttributes::med>, format_med};
const AttributeDescriptor kLocalPrefDescriptor{
    attr::kLocalPref, kLocalPrefName, kWellKnown, kWithdraw, true,
    decode_u32<&PathAttributes::local_pref, kLocalPrefName>, has_u32<&PathAttributes::local_pref>,
    encode_u32<&PathAttributes::local_pref>, format_local_pref};
const AttributeDescriptor kAtomicAggregateDescriptor{
    attr::kAtomicAggregate, "ATOMIC_AGGREGATE", kWellKnown, kDiscard, false,
    decode_atomic, has_atomic, encode_nothing, format_atomic};
const AttributeDescriptor kCommunitiesDescriptor{
    attr::kCommunities, "COMMUNITIES", kOptionalTransitive, kWithdraw, false,
    decode_communities, has_list<&PathAttributes::communities>,
    encode_list<&PathAttributes::communities>, format_communities};
const AttributeDescriptor kOriginatorIdDescriptor{
    attr::kOriginatorId, kOriginatorIdName, kOptional, kWithdraw, true,
    decode_u32<&PathAttributes::originator_id, kOriginatorIdName>,
    has_u32<&PathAttributes::originator_id>, encode_u32<&PathAttributes::originator_id>,
    format_originator_id};
const AttributeDescriptor kClusterListDescriptor{
    attr::kClusterList, "CLUSTER_LIST", kOptional, kWithdraw, true,
    decode_cluster_list, has_list<&PathAttributes::cluster_list>,
    encode_list<&PathAttributes::cluster_list>, format_cluster_list};

std::span<const AttributeDescriptor* const> attribute_table() {
  static const AttributeDescriptor* const table[] = {
      &kMpUnreachDescriptor, &kMpReachDescriptor,       &kOriginDescriptor,
      &kAsPathDescriptor,    &kNextHopDescriptor,       &kMedDescriptor,
      &kLocalPrefDescriptor, &kAtomicAggregateDescriptor, &kAggregatorDescriptor,
      &kCommunitiesDescriptor, &kOriginatorIdDescriptor, &kClusterListDescriptor,
      &kAs4PathDescriptor,   &kAs4AggregatorDescriptor,
  };
  return table;
}

const AttributeDescriptor* find_attribute(uint8_t type) {
  for (const AttributeDescriptor* d : attribute_table()) {
    if (d->type == type) return d;
  }
  return nullptr;
}

}  // namespace weft::bgp::detail
