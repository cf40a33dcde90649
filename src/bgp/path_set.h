// The paths known for one prefix: the Adj-RIB-In entries of every peer that announced it (and
// the local route, if the prefix is ours), ordered so that the Loc-RIB's multipath set comes
// first (RFC 4271 §3.2 keeps the Adj-RIBs-In and the Loc-RIB apart conceptually; as BIRD, weft
// stores them together, one list per prefix, which is what makes a path cheap).
//
// Memory (the point of this type): a single path, the common case, is stored inline in the
// 24-octet set; a prefix then costs one hash node (48 octets with malloc's header) plus a bucket
// pointer. Paths are 16 octets: an interned attribute pointer, the peer and flags.
//
// Contract: PathSet does not count references to the attributes; the RIB calls AttrPool::ref and
// unref as it adds and removes paths, and must call release() before discarding a set.
#pragma once

#include <cstdint>
#include <span>

#include "bgp/attr_pool.h"

namespace weft::bgp {

using PeerId = uint16_t;
inline constexpr PeerId kLocalPeer = 0;  // routes the speaker originates itself

struct Path {
  StoredAttrs* attrs = nullptr;
  PeerId peer = kLocalPeer;
  uint8_t flags = 0;
  static constexpr uint8_t kStale = 1;  // retained across a peer's graceful restart (RFC 4724)
  bool stale() const { return (flags & kStale) != 0; }
};
static_assert(sizeof(Path) == 16);

class PathSet {
 public:
  PathSet() : one_() {}
  PathSet(PathSet&& o) noexcept;
  PathSet& operator=(PathSet&& o) noexcept;
  PathSet(const PathSet&) = delete;
  PathSet& operator=(const PathSet&) = delete;
  ~PathSet();

  std::span<Path> paths() { return {data(), count_}; }
  std::span<const Path> paths() const { return {data(), count_}; }
  // The multipath set: the best path first, then those equal to it before the tie-breakers.
  std::span<const Path> best() const { return {data(), n_best_}; }
  bool empty() const { return count_ == 0; }

  Path* find(PeerId peer);
  // Adds or replaces the path of `path.peer`; returns the replaced attributes (or nullptr) for
  // the caller to unref.
  StoredAttrs* put(const Path& path);
  // Removes the path of `peer`; returns its attributes (or nullptr if there was none).
  StoredAttrs* remove(PeerId peer);
  void set_best_count(uint8_t n) { n_best_ = n; }

 private:
  Path* data() { return count_ <= 1 ? &one_ : many_; }
  const Path* data() const { return count_ <= 1 ? &one_ : many_; }

  union {
    Path one_;
    Path* many_;
  };
  uint8_t count_ = 0;
  uint8_t capacity_ = 0;  // of many_, when count_ > 1
  uint8_t n_best_ = 0;
};
static_assert(sizeof(PathSet) == 24);

}  // namespace weft::bgp
