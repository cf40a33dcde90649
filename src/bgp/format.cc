// One-line text forms of BGP messages for logs. Path attributes are rendered through the format
// hooks of the attribute table (attributes.h), so a new attribute brings its own text.
#include "bgp/attributes.h"
#include "bgp/codec.h"

namespace weft::bgp {
namespace {

std::string prefixes(const std::vector<Prefix>& list) {
  std::string out = "[";
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ' ';
    out += list[i].to_string();
  }
  return out + "]";
}

std::string capability(const Capability& c) {
  return std::visit(
      [](const auto& cap) -> std::string {
        using T = std::decay_t<decltype(cap)>;
        if constexpr (std::is_same_v<T, MultiprotocolCapability>) {
          return "mp " + format(cap.family);
        } else if constexpr (std::is_same_v<T, RouteRefreshCapability>) {
          return "route-refresh";
        } else if constexpr (std::is_same_v<T, GracefulRestartCapability>) {
          std::string out = "graceful-restart time=" + std::to_string(cap.restart_time);
          if (cap.restarting()) out += " restarting";
          if (cap.flags & GracefulRestartCapability::kNotification) out += " notification";
          for (const auto& f : cap.families) {
            out += " " + format(f.family) + (f.forwarding_preserved ? "(F)" : "");
          }
          return out;
        } else if constexpr (std::is_same_v<T, FourOctetAsCapability>) {
          return "as4 " + std::to_string(cap.asn);
        } else {
          return "capability " + std::to_string(cap.code) + " [" + hex(cap.value) + "]";
        }
      },
      c);
}

}  // namespace

std::string format(const AfiSafi& family) {
  if (family == kIpv4Unicast) return "ipv4-unicast";
  if (family == kIpv6Unicast) return "ipv6-unicast";
  return "afi " + std::to_string(family.afi) + " safi " + std::to_string(family.safi);
}

std::string format(const AsPath& path) {
  std::string out;
  for (const AsSegment& seg : path) {
    if (!out.empty()) out += ' ';
    const char* open = "";
    const char* close = "";
    switch (seg.type) {
      case SegmentType::as_set: open = "{"; close = "}"; break;
      case SegmentType::as_sequence: break;
      case SegmentType::confed_sequence: open = "("; close = ")"; break;
      case SegmentType::confed_set: open = "["; close = "]"; break;
    }
    out += open;
    for (size_t i = 0; i < seg.asns.size(); ++i) {
      if (i > 0) out += ' ';
      out += std::to_string(seg.asns[i]);
    }
    out += close;
  }
  return out.empty() ? "(empty)" : out;
}

std::string format(const Open& open) {
  std::string out = "OPEN as=" + std::to_string(open.peer_as()) +
                    " hold=" + std::to_string(open.hold_time) +
                    " id=" + IpAddress::v4(open.bgp_id).to_string() + " caps=[";
  for (size_t i = 0; i < open.capabilities.size(); ++i) {
    if (i > 0) out += ", ";
    out += capability(open.capabilities[i]);
  }
  return out + "]";
}

std::string format(const Update& update) {
  if (auto eor = end_of_rib(update)) return "UPDATE end-of-rib " + format(*eor);
  std::string out = "UPDATE";
  if (!update.withdrawn.empty()) out += " withdrawn=" + prefixes(update.withdrawn);
  for (const detail::AttributeDescriptor* d : detail::attribute_table()) {
    // 2-octet options so that AS4_* show when set; they are not derived here.
    const PathAttributes& a = update.attributes;
    if (!d->present(a, EncodeOptions{.four_octet_as = false})) continue;
    if (d->type == attr::kAs4Path && !a.as4_path) continue;
    if (d->type == attr::kAs4Aggregator && !a.as4_aggregator) continue;
    out += ' ';
    d->format(update.attributes, out);
  }
  for (const RawAttribute& raw : update.attributes.unknown) {
    out += " attr" + std::to_string(raw.type) + "=[" + hex(raw.value, 16) + "]";
  }
  if (!update.nlri.empty()) out += " nlri=" + prefixes(update.nlri);
  for (const DecodeError& e : update.discarded) out += " (discarded: " + e.detail + ")";
  return out;
}

std::string format(const Message& message) {
  return std::visit(
      [](const auto& m) -> std::string {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Open>) {
          return format(m);
        } else if constexpr (std::is_same_v<T, Update>) {
          return format(m);
        } else if constexpr (std::is_same_v<T, Notification>) {
          return "NOTIFICATION " + format(m);
        } else if constexpr (std::is_same_v<T, Keepalive>) {
          return "KEEPALIVE";
        } else {
          return "ROUTE-REFRESH " + format(m.family) +
                 (m.subtype ? " subtype " + std::to_string(m.subtype) : "");
        }
      },
      message);
}

}  // namespace weft::bgp
