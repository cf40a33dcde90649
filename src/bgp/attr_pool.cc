// Interning of attribute sets (see attr_pool.h). The hash is computed over the fields by hand
// rather than over an encoding: it runs once per received UPDATE and once per exported set.
#include "bgp/attr_pool.h"

#include <cassert>

#include "bgp/as_path.h"

namespace weft::bgp {
namespace {

void mix(size_t& h, uint64_t v) { h ^= std::hash<uint64_t>{}(v) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2); }

void mix(size_t& h, const IpAddress& a) { mix(h, std::hash<IpAddress>{}(a)); }

}  // namespace

size_t hash_attributes(const PathAttributes& a) {
  size_t h = 0;
  mix(h, a.origin ? static_cast<uint64_t>(*a.origin) + 1 : 0);
  if (a.as_path) {
    for (const AsSegment& s : *a.as_path) {
      mix(h, static_cast<uint64_t>(s.type) << 32 | s.asns.size());
      for (uint32_t asn : s.asns) mix(h, asn);
    }
  }
  if (a.next_hop) mix(h, *a.next_hop);
  mix(h, a.med ? uint64_t{*a.med} + 1 : 0);
  mix(h, a.local_pref ? uint64_t{*a.local_pref} + 1 : 0);
  mix(h, a.atomic_aggregate);
  if (a.aggregator) mix(h, a.aggregator->asn);
  for (uint32_t c : a.communities) mix(h, c);
  mix(h, a.originator_id ? uint64_t{*a.originator_id} + 1 : 0);
  for (uint32_t c : a.cluster_list) mix(h, c);
  for (const RawAttribute& r : a.unknown) {
    mix(h, r.type);
    for (uint8_t b : r.value) mix(h, b);
  }
  if (a.mp_reach) mix(h, a.mp_reach->next_hop);
  return h;
}

AttrPool::~AttrPool() {
  for (auto& [h, a] : sets_) delete a;
}

StoredAttrs* AttrPool::intern(PathAttributes attrs) {
  const size_t h = hash_attributes(attrs);
  auto [begin, end] = sets_.equal_range(h);
  for (auto it = begin; it != end; ++it) {
    if (it->second->attrs == attrs) return it->second;
  }
  auto* s = new StoredAttrs{.attrs = std::move(attrs), .hash = h};
  const PathAttributes& a = s->attrs;
  s->local_pref = a.local_pref.value_or(100);
  s->med = a.med.value_or(0);
  if (a.as_path) {
    s->path_length = static_cast<uint32_t>(path_length(*a.as_path));
    for (const AsSegment& seg : *a.as_path) {
      // RFC 4271 §9.1.2.2 c: the neighbour AS is the first AS of the first AS_SEQUENCE;
      // confederation segments are skipped (RFC 5065 §5.3).
      if (seg.type == SegmentType::as_sequence && !seg.asns.empty()) {
        s->neighbor_as = seg.asns.front();
        break;
      }
      if (seg.type == SegmentType::as_set) break;
    }
  }
  s->origin = static_cast<uint8_t>(a.origin.value_or(Origin::incomplete));
  sets_.emplace(h, s);
  return s;
}

void AttrPool::unref(StoredAttrs* a) {
  assert(a->refs > 0);
  if (--a->refs > 0) return;
  auto [begin, end] = sets_.equal_range(a->hash);
  for (auto it = begin; it != end; ++it) {
    if (it->second == a) {
      sets_.erase(it);
      break;
    }
  }
  delete a;
}

}  // namespace weft::bgp
