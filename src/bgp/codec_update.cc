// UPDATE message (RFC 4271 §4.3) with the revised error handling of RFC 7606.
//
// Decoding walks the three fields. What cannot be located reliably is a session reset: lengths
// that overrun the message (RFC 4271 §6.3, Malformed Attribute List), withdrawn routes or NLRI
// that do not parse (RFC 7606 §3 i, §5.3, Invalid Network Field), a repeated MP_REACH_NLRI or
// MP_UNREACH_NLRI (§3 g), an unrecognized well-known attribute (RFC 4271 §6.3). Everything else
// is collected per attribute through the table in attributes.h:
// - attribute lengths that overrun the attributes field: treat-as-withdraw, and the NLRI is found
//   through the Total Path Attribute Length (§4);
// - Optional/Transitive flags in conflict with the type: treat-as-withdraw (§3 c);
// - a repeated attribute: all but the first discarded (§3 g);
// - a malformed value: the action of the attribute's descriptor (§7);
// - a missing ORIGIN, AS_PATH, or NEXT_HOP with IPv4 NLRI, when there are routes: treat-as-
//   withdraw (§3 d).
// The strongest action wins (§3 h); treat-as-withdraw in an UPDATE with attributes but no
// reachable NLRI becomes a session reset (§5.2), since its routes cannot be trusted to be found.
#include <algorithm>
#include <bitset>

#include "bgp/attributes.h"
#include "bgp/codec_internal.h"

namespace weft::bgp::detail {
namespace {

constexpr uint8_t kKnownFlags = kFlagOptional | kFlagTransitive | kFlagPartial;

DecodeError update_error(ErrorAction action, std::optional<uint8_t> type, uint8_t subcode,
                         Bytes data, std::string detail) {
  Notification n;
  if (subcode != 0) n = Notification{code::kUpdate, subcode, std::move(data)};
  return DecodeError{action, type, std::move(n), std::move(detail), {}};
}

std::string name_of(uint8_t type) {
  const AttributeDescriptor* d = find_attribute(type);
  return d ? d->name : "attribute " + std::to_string(type);
}

struct AttributeWalk {
  const DecodeOptions& options;
  PathAttributes attrs;
  std::vector<DecodeError> issues;  // attribute discard and treat-as-withdraw, in order found
  std::bitset<256> seen;
  bool other_than_unreach = false;

  // A session-reset error, or nullopt to go on.
  std::optional<DecodeError> add(uint8_t flags, uint8_t type, ByteView value, ByteView raw) {
    const Bytes raw_bytes(raw.begin(), raw.end());
    if (seen.test(type)) {
      if (type == attr::kMpReach || type == attr::kMpUnreach) {
        return update_error(ErrorAction::session_reset, type,
                            update_subcode::kMalformedAttributeList, {},
                            name_of(type) + " appears twice (RFC 7606 §3 g)");
      }
      issues.push_back(update_error(ErrorAction::attribute_discard, type,
                                    update_subcode::kMalformedAttributeList, {},
                                    "repeated " + name_of(type) + " discarded (RFC 7606 §3 g)"));
      return std::nullopt;
    }
    seen.set(type);
    if (type != attr::kMpUnreach) other_than_unreach = true;

    const AttributeDescriptor* d = find_attribute(type);
    if (d == nullptr) {
      if ((flags & kFlagOptional) == 0) {
        return update_error(ErrorAction::session_reset, type,
                            update_subcode::kUnrecognizedWellKnown, raw_bytes,
                            "unrecognized well-known attribute " + std::to_string(type));
      }
      if ((flags & kFlagTransitive) != 0) {
        attrs.unknown.push_back(
            RawAttribute{static_cast<uint8_t>((flags & kKnownFlags) | kFlagPartial), type,
                         Bytes(value.begin(), value.end())});
      }
      return std::nullopt;
    }
    if (options.ebgp && d->discard_from_ebgp) {
      issues.push_back(update_error(ErrorAction::attribute_discard, type, 0, {},
                                    std::string(d->name) +
                                        " from an external peer discarded (RFC 7606 §7)"));
      return std::nullopt;
    }
    std::optional<DecodeError> flag_issue;
    if ((flags & (kFlagOptional | kFlagTransitive)) != d->flags) {
      flag_issue = update_error(ErrorAction::treat_as_withdraw, type,
                                update_subcode::kAttributeFlags, raw_bytes,
                                std::string(d->name) + " has conflicting flags (RFC 7606 §3 c)");
      // The MP attributes are still parsed: treat-as-withdraw needs their routes.
      if (type != attr::kMpReach && type != attr::kMpUnreach) {
        issues.push_back(std::move(*flag_issue));
        return std::nullopt;
      }
    }
    if (auto fault = d->decode(value, options, attrs)) {
      const ErrorAction action = fault->action.value_or(d->malformed);
      DecodeError e = update_error(action, type, fault->subcode,
                                   fault->attribute_data ? raw_bytes : Bytes{},
                                   std::move(fault->detail));
      if (action == ErrorAction::session_reset) return e;
      issues.push_back(std::move(e));
    }
    if (flag_issue) issues.push_back(std::move(*flag_issue));
    return std::nullopt;
  }

  // RFC 7606 §4: an attribute header or value running past the Total Path Attribute Length.
  void overrun(std::optional<uint8_t> type, std::string detail) {
    other_than_unreach = true;
    issues.push_back(update_error(ErrorAction::treat_as_withdraw, type,
                                  update_subcode::kMalformedAttributeList, {},
                                  std::move(detail) + " (RFC 7606 §4)"));
  }
};

void append(std::vector<Prefix>& to, const std::vector<Prefix>& from) {
  to.insert(to.end(), from.begin(), from.end());
}

}  // namespace

std::expected<Update, DecodeError> decode_update(ByteView body, const DecodeOptions& options) {
  Reader r(body);
  uint16_t withdrawn_length = 0;
  uint16_t attributes_length = 0;
  ByteView withdrawn_field;
  ByteView attributes_field;
  if (!r.u16(withdrawn_length) || !r.take(withdrawn_length, withdrawn_field) ||
      !r.u16(attributes_length)) {
    return std::unexpected(update_error(ErrorAction::session_reset, std::nullopt,
                                        update_subcode::kMalformedAttributeList, {},
                                        "withdrawn routes length exceeds the message"));
  }
  if (!r.take(attributes_length, attributes_field)) {
    return std::unexpected(update_error(ErrorAction::session_reset, std::nullopt,
                                        update_subcode::kMalformedAttributeList, {},
                                        "total path attribute length exceeds the message"));
  }
  auto withdrawn = decode_prefixes(withdrawn_field, Family::v4);
  auto nlri = decode_prefixes(r.rest(), Family::v4);
  if (!withdrawn || !nlri) {
    return std::unexpected(update_error(
        ErrorAction::session_reset, std::nullopt, update_subcode::kInvalidNetworkField, {},
        std::string(withdrawn ? "NLRI" : "withdrawn routes") + " field cannot be parsed"));
  }

  AttributeWalk walk{options, {}, {}, {}, false};
  Reader ar(attributes_field);
  while (!ar.empty()) {
    const size_t start = attributes_field.size() - ar.remaining();
    uint8_t flags = 0;
    uint8_t type = 0;
    uint16_t length = 0;
    if (!ar.u8(flags) || !ar.u8(type)) {
      walk.overrun(std::nullopt, "attribute header truncated");
      break;
    }
    bool header_ok = true;
    if (flags & kFlagExtendedLength) {
      header_ok = ar.u16(length);
    } else {
      uint8_t short_length = 0;
      header_ok = ar.u8(short_length);
      length = short_length;
    }
    ByteView value;
    if (!header_ok || !ar.take(length, value)) {
      walk.overrun(type, name_of(type) + " overruns the path attributes");
      break;
    }
    const size_t end = attributes_field.size() - ar.remaining();
    auto fatal = walk.add(flags, type, value, attributes_field.subspan(start, end - start));
    if (fatal) return std::unexpected(std::move(*fatal));
  }

  // Unknown attributes in type order, as the encoder sends them, so that values compare equal
  // whatever order a peer used. Types are unique (repeats were discarded).
  std::sort(walk.attrs.unknown.begin(), walk.attrs.unknown.end(),
            [](const RawAttribute& a, const RawAttribute& b) { return a.type < b.type; });

  // RFC 4271 §5 / RFC 7606 §3 d: the well-known mandatory attributes, needed only with routes.
  const bool reachable = !nlri->empty() || walk.seen.test(attr::kMpReach);
  if (reachable) {
    for (uint8_t type : {attr::kOrigin, attr::kAsPath, attr::kNextHop}) {
      if (walk.seen.test(type) || (type == attr::kNextHop && nlri->empty())) continue;
      walk.issues.push_back(update_error(ErrorAction::treat_as_withdraw, type,
                                         update_subcode::kMissingWellKnown, {type},
                                         "missing well-known attribute " + name_of(type)));
    }
  }

  auto worst = std::find_if(walk.issues.begin(), walk.issues.end(), [](const DecodeError& e) {
    return e.action == ErrorAction::treat_as_withdraw;
  });
  if (worst != walk.issues.end()) {
    DecodeError e = std::move(*worst);
    if (!reachable && walk.other_than_unreach) {
      e.action = ErrorAction::session_reset;
      e.detail += "; the UPDATE has attributes but no reachable NLRI (RFC 7606 §5.2)";
      return std::unexpected(std::move(e));
    }
    append(e.withdrawn, *withdrawn);
    append(e.withdrawn, *nlri);
    if (walk.attrs.mp_reach) append(e.withdrawn, walk.attrs.mp_reach->nlri);
    if (walk.attrs.mp_unreach) append(e.withdrawn, walk.attrs.mp_unreach->withdrawn);
    return std::unexpected(std::move(e));
  }
  return Update{std::move(*withdrawn), std::move(walk.attrs), std::move(*nlri),
                std::move(walk.issues)};
}

namespace {

void write_attribute(uint8_t flags, uint8_t type, const Bytes& value, Writer& w) {
  flags &= kKnownFlags;
  if (value.size() > 255) {
    w.u8(flags | kFlagExtendedLength);
    w.u8(type);
    w.u16(static_cast<uint16_t>(value.size()));  // a larger value fails the message size check
  } else {
    w.u8(flags);
    w.u8(type);
    w.u8(static_cast<uint8_t>(value.size()));
  }
  w.bytes(value);
}

}  // namespace

void encode_update(const Update& update, const EncodeOptions& options, Writer& w) {
  const size_t withdrawn_at = w.size();
  w.u16(0);
  encode_prefixes(update.withdrawn, w);
  w.patch_u16(withdrawn_at, static_cast<uint16_t>(w.size() - withdrawn_at - 2));

  const size_t attributes_at = w.size();
  w.u16(0);
  // Unknown attributes go between the known ones in type order; a type the table knows, or a
  // repeat, can only come from a value built by hand and is skipped.
  std::vector<const RawAttribute*> unknown;
  for (const RawAttribute& raw : update.attributes.unknown) {
    const bool repeat = std::any_of(unknown.begin(), unknown.end(),
                                    [&](const RawAttribute* u) { return u->type == raw.type; });
    if (!repeat && find_attribute(raw.type) == nullptr) unknown.push_back(&raw);
  }
  // Types are unique by now, so a plain sort is stable enough.
  std::sort(unknown.begin(), unknown.end(),
            [](const RawAttribute* a, const RawAttribute* b) { return a->type < b->type; });
  auto next_unknown = unknown.begin();
  auto flush_unknown_below = [&](int type) {
    for (; next_unknown != unknown.end() && (*next_unknown)->type < type; ++next_unknown) {
      const RawAttribute& raw = **next_unknown;
      const bool optional_transitive =
          (raw.flags & (kFlagOptional | kFlagTransitive)) == (kFlagOptional | kFlagTransitive);
      write_attribute(optional_transitive ? raw.flags | kFlagPartial : raw.flags, raw.type,
                      raw.value, w);
    }
  };
  for (const AttributeDescriptor* d : attribute_table()) {
    if (!d->present(update.attributes, options)) continue;
    if (d->type != attr::kMpReach && d->type != attr::kMpUnreach) flush_unknown_below(d->type);
    Bytes value;
    Writer vw(value);
    d->encode(update.attributes, options, vw);
    write_attribute(d->flags, d->type, value, w);
  }
  flush_unknown_below(256);
  w.patch_u16(attributes_at, static_cast<uint16_t>(w.size() - attributes_at - 2));

  encode_prefixes(update.nlri, w);
}

}  // namespace weft::bgp::detail
