// PathSet storage: inline for one path, a heap array from two on (see path_set.h).
#include "bgp/path_set.h"

#include <algorithm>
#include <cstring>

namespace weft::bgp {

PathSet::PathSet(PathSet&& o) noexcept : one_(), count_(o.count_), capacity_(o.capacity_), n_best_(o.n_best_) {
  if (o.count_ <= 1) {
    one_ = o.one_;
  } else {
    many_ = o.many_;
  }
  o.count_ = 0;
  o.capacity_ = 0;
  o.n_best_ = 0;
}

PathSet& PathSet::operator=(PathSet&& o) noexcept {
  if (this != &o) {
    this->~PathSet();
    new (this) PathSet(std::move(o));
  }
  return *this;
}

PathSet::~PathSet() {
  if (count_ > 1) delete[] many_;
}

Path* PathSet::find(PeerId peer) {
  for (Path& p : paths()) {
    if (p.peer == peer) return &p;
  }
  return nullptr;
}

StoredAttrs* PathSet::put(const Path& path) {
  if (Path* p = find(path.peer)) {
    StoredAttrs* old = p->attrs;
    *p = path;
    return old;
  }
  if (count_ == 0) {
    one_ = path;
  } else if (count_ == 1) {
    Path first = one_;
    many_ = new Path[4];
    capacity_ = 4;
    many_[0] = first;
    many_[1] = path;
  } else {
    if (count_ == capacity_) {
      const uint8_t cap = static_cast<uint8_t>(std::min(255, capacity_ * 2));
      Path* grown = new Path[cap];
      std::copy(many_, many_ + count_, grown);
      delete[] many_;
      many_ = grown;
      capacity_ = cap;
    }
    many_[count_] = path;
  }
  ++count_;
  return nullptr;
}

StoredAttrs* PathSet::remove(PeerId peer) {
  Path* p = find(peer);
  if (p == nullptr) return nullptr;
  StoredAttrs* old = p->attrs;
  Path* d = data();
  const size_t i = static_cast<size_t>(p - d);
  if (count_ > 1) std::copy(d + i + 1, d + count_, d + i);
  --count_;
  if (count_ == 1) {
    Path last = many_[0];
    delete[] many_;
    one_ = last;
    capacity_ = 0;
  }
  n_best_ = 0;  // the caller re-runs the decision process
  return old;
}

}  // namespace weft::bgp
