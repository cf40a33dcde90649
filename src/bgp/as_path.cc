// AS path length and the AS_PATH/AS4_PATH merge (RFC 4271 §9.1.2.2, RFC 5065 §5.3,
// RFC 6793 §4.2.3). See as_path.h.
#include "bgp/as_path.h"

#include <algorithm>

namespace weft::bgp {
namespace {

bool is_confed(const AsSegment& s) {
  return s.type == SegmentType::confed_sequence || s.type == SegmentType::confed_set;
}

}  // namespace

size_t path_length(const AsPath& path) {
  size_t n = 0;
  for (const AsSegment& s : path) {
    if (s.type == SegmentType::as_sequence) n += s.asns.size();
    if (s.type == SegmentType::as_set && !s.asns.empty()) n += 1;
  }
  return n;
}

AsPath effective_as_path(const PathAttributes& attrs) {
  if (!attrs.as_path) return {};
  const AsPath& path = *attrs.as_path;
  if (!attrs.as4_path) return path;
  if (attrs.aggregator && attrs.aggregator->asn != kAsTrans) return path;
  const AsPath& as4 = *attrs.as4_path;
  const size_t n = path_length(path);
  const size_t n4 = path_length(as4);
  if (n < n4) return path;

  size_t keep = n - n4;  // AS numbers to take from the front of AS_PATH
  AsPath out;
  size_t i = 0;
  bool whole = true;  // the last segment taken was taken whole (so the next one is adjacent)
  for (; i < path.size() && keep > 0; ++i) {
    const AsSegment& s = path[i];
    if (is_confed(s)) {
      out.push_back(s);
    } else if (s.type == SegmentType::as_set) {
      out.push_back(s);
      keep -= s.asns.empty() ? 0 : 1;
    } else {
      const size_t take = std::min(keep, s.asns.size());
      out.push_back({s.type, {s.asns.begin(), s.asns.begin() + static_cast<ptrdiff_t>(take)}});
      keep -= take;
      whole = take == s.asns.size();
    }
  }
  // "a valid AS_CONFED_SEQUENCE or AS_CONFED_SET path segment SHALL be prepended if it is either
  // the leading path segment or is adjacent to a path segment that is prepended."
  for (; whole && i < path.size() && is_confed(path[i]); ++i) out.push_back(path[i]);

  for (const AsSegment& s : as4) {
    if (!out.empty() && out.back().type == SegmentType::as_sequence &&
        s.type == SegmentType::as_sequence) {
      out.back().asns.insert(out.back().asns.end(), s.asns.begin(), s.asns.end());
    } else {
      out.push_back(s);
    }
  }
  return out;
}

std::optional<Aggregator> effective_aggregator(const PathAttributes& attrs) {
  if (!attrs.aggregator) return std::nullopt;
  if (attrs.aggregator->asn == kAsTrans && attrs.as4_aggregator) return attrs.as4_aggregator;
  return attrs.aggregator;
}

}  // namespace weft::bgp
