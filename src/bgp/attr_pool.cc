// Interning of attribute sets in wire form (see attr_pool.h). A set and its encoding share one
// allocation: the encoding follows the struct.
#include "bgp/attr_pool.h"

#include <cassert>
#include <cstring>
#include <new>

#include "bgp/as_path.h"
#include "bgp/codec.h"

namespace weft::bgp {
namespace {

constexpr size_t kUpdatePrefix = kHeaderSize + 4;  // header, withdrawn length, attribute length

size_t hash_bytes(ByteView b, const std::optional<IpAddress>& next_hop) {
  size_t h = next_hop ? std::hash<IpAddress>{}(*next_hop) : 0x51ed27;
  for (uint8_t c : b) h = (h ^ c) * 0x100000001b3ULL;  // FNV-1a
  return h;
}

}  // namespace

PathAttributes StoredAttrs::attributes() const {
  Bytes m(16, 0xff);
  const size_t length = kUpdatePrefix + wire_size;
  m.push_back(static_cast<uint8_t>(length >> 8));
  m.push_back(static_cast<uint8_t>(length));
  m.push_back(static_cast<uint8_t>(MessageType::update));
  m.insert(m.end(), {0, 0, static_cast<uint8_t>(wire_size >> 8), static_cast<uint8_t>(wire_size)});
  m.insert(m.end(), wire().begin(), wire().end());
  PathAttributes a;
  if (auto d = decode(m, DecodeOptions{.four_octet_as = true, .ebgp = false})) {
    a = std::move(std::get<Update>(*d).attributes);
  }
  a.next_hop = next_hop;
  return a;
}

AttrPool::~AttrPool() {
  for (auto& [h, a] : sets_) destroy(a);
}

void AttrPool::destroy(StoredAttrs* a) {
  a->~StoredAttrs();
  ::operator delete(static_cast<void*>(a));
}

StoredAttrs* AttrPool::intern(const PathAttributes& in) {
  PathAttributes a = in;
  const std::optional<IpAddress> next_hop = a.next_hop;
  a.next_hop.reset();
  a.mp_reach.reset();
  a.mp_unreach.reset();
  Update u;
  u.attributes = std::move(a);
  auto encoded = encode(Message(std::move(u)), EncodeOptions{.four_octet_as = true});
  if (!encoded) return nullptr;
  const ByteView wire = ByteView(*encoded).subspan(kUpdatePrefix);
  const size_t h = hash_bytes(wire, next_hop);
  auto [begin, end] = sets_.equal_range(h);
  for (auto it = begin; it != end; ++it) {
    const StoredAttrs* s = it->second;
    if (s->next_hop == next_hop && s->wire_size == wire.size() &&
        std::memcmp(s->wire().data(), wire.data(), wire.size()) == 0) {
      return it->second;
    }
  }
  void* mem = ::operator new(sizeof(StoredAttrs) + wire.size());
  auto* s = new (mem) StoredAttrs{};
  std::memcpy(s + 1, wire.data(), wire.size());
  s->wire_size = static_cast<uint16_t>(wire.size());
  s->hash = h;
  s->next_hop = next_hop;
  s->local_pref = in.local_pref.value_or(100);
  s->med = in.med.value_or(0);
  s->originator_id = in.originator_id;
  s->cluster_list_length = static_cast<uint8_t>(std::min<size_t>(in.cluster_list.size(), 255));
  if (in.as_path) {
    s->path_length = static_cast<uint32_t>(path_length(*in.as_path));
    for (const AsSegment& seg : *in.as_path) {
      // RFC 4271 §9.1.2.2 c: the neighbour AS is the first AS of the path; confederation
      // segments are skipped (RFC 5065 §5.3).
      if (seg.type == SegmentType::as_sequence && !seg.asns.empty()) {
        s->neighbor_as = seg.asns.front();
        break;
      }
      if (seg.type == SegmentType::as_set) break;
    }
  }
  s->origin = static_cast<uint8_t>(in.origin.value_or(Origin::incomplete));
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
  destroy(a);
}

}  // namespace weft::bgp
