// A hash map from prefix to V, lean for IPv4: an IPv4 prefix is packed into a 64-bit key
// (address << 8 | length), which hashes as fast as an integer and keeps a node at 16 octets plus
// the value, against 32 for a weft::Prefix key with its cached hash. IPv6 prefixes use Prefix.
//
// Contract: the usual map operations; for_each visits every entry once in no particular order,
// and erase_if removes the entries its predicate selects while visiting. References returned by
// find() and at() are invalidated by any insertion or erasure.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "base/ip.h"

namespace weft::bgp {

template <class V>
class PrefixMap {
 public:
  V* find(const Prefix& p) {
    if (p.family() == Family::v4) {
      auto it = v4_.find(key(p));
      return it == v4_.end() ? nullptr : &it->second;
    }
    auto it = v6_.find(p);
    return it == v6_.end() ? nullptr : &it->second;
  }
  const V* find(const Prefix& p) const { return const_cast<PrefixMap*>(this)->find(p); }

  // The value for `p`, default-constructed if absent.
  V& at(const Prefix& p) { return p.family() == Family::v4 ? v4_[key(p)] : v6_[p]; }

  bool erase(const Prefix& p) {
    return p.family() == Family::v4 ? v4_.erase(key(p)) > 0 : v6_.erase(p) > 0;
  }

  size_t size() const { return v4_.size() + v6_.size(); }
  size_t size(Family f) const { return f == Family::v4 ? v4_.size() : v6_.size(); }
  void reserve(size_t v4) { v4_.reserve(v4); }

  template <class F>  // f(const Prefix&, V&)
  void for_each(F&& f) {
    for (auto& [k, v] : v4_) f(unkey(k), v);
    for (auto& [k, v] : v6_) f(k, v);
  }

  template <class F>  // bool f(const Prefix&, V&): true erases the entry
  void erase_if(F&& f) {
    for (auto it = v4_.begin(); it != v4_.end();) {
      it = f(unkey(it->first), it->second) ? v4_.erase(it) : std::next(it);
    }
    for (auto it = v6_.begin(); it != v6_.end();) {
      it = f(it->first, it->second) ? v6_.erase(it) : std::next(it);
    }
  }

 private:
  static uint64_t key(const Prefix& p) {
    return uint64_t{p.address().v4_host_order()} << 8 | static_cast<uint64_t>(p.length());
  }
  static Prefix unkey(uint64_t k) {
    return Prefix(IpAddress::v4(static_cast<uint32_t>(k >> 8)), static_cast<int>(k & 0xff));
  }

  std::unordered_map<uint64_t, V> v4_;
  std::unordered_map<Prefix, V> v6_;
};

}  // namespace weft::bgp
