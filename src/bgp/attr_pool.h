// Interned path attributes: every distinct attribute set is stored once and shared by all the
// prefixes and peers that carry it, as BIRD's attribute cache (rta) does. A full table has a few
// hundred thousand distinct sets for a million prefixes, and a feed from one neighbour far fewer,
// so a path costs one pointer to its attributes instead of a copy of them.
//
// Contract:
// - intern() returns the one StoredAttrs equal to the given set, creating it with a reference
//   count of zero; ref()/unref() count holders, and the last unref() frees the set. A holder is
//   any stored path or Adj-RIB-Out entry; callers own their references explicitly so that a path
//   stays 16 bytes (see path_set.h).
// - The stored set is immutable and already normalized by the RIB (no NLRI, the effective
//   AS_PATH, the next hop of the family in next_hop), so equality is plain operator==.
// - The decision inputs (RFC 4271 §9.1.2.2) are computed once at intern time.
// - Not thread-safe: the speaker runs on one io_context thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "bgp/message.h"

namespace weft::bgp {

class AttrPool;

struct StoredAttrs {
  PathAttributes attrs;
  size_t hash = 0;
  uint32_t refs = 0;
  // Decision inputs (RFC 4271 §9.1.2.2, RFC 4456 §9).
  uint32_t local_pref = 100;  // absent: the default degree of preference
  uint32_t med = 0;           // absent: the lowest value (RFC 4271 §9.1.2.2 c)
  uint32_t neighbor_as = 0;   // first AS of the path; 0 when the path is empty
  uint32_t path_length = 0;
  uint8_t origin = 0;
};

class AttrPool {
 public:
  AttrPool() = default;
  AttrPool(const AttrPool&) = delete;
  AttrPool& operator=(const AttrPool&) = delete;
  ~AttrPool();

  // The shared copy of `attrs` (refs not incremented).
  StoredAttrs* intern(PathAttributes attrs);
  static void ref(StoredAttrs* a) { ++a->refs; }
  void unref(StoredAttrs* a);

  size_t size() const { return sets_.size(); }

 private:
  std::unordered_multimap<size_t, StoredAttrs*> sets_;
};

size_t hash_attributes(const PathAttributes& attrs);

}  // namespace weft::bgp
