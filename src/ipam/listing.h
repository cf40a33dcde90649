// Listing<T>: what a read of many store objects returns. Objects whose value cannot be decoded are
// not fatal: they are reported in `skipped` (each error names the key) and left out of `items`,
// so one corrupt key never hides the rest of the cluster's state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace weft::ipam {

template <class T>
struct Listing {
  std::vector<T> items;
  std::vector<Error> skipped;
  int64_t revision = 0;
};

// Lists every key under `prefix` and decodes each value with `decode` (string_view -> Result<T>);
// what fails is skipped with its key. `what` names the objects in errors ("nodes").
template <class T, class Decode>
Result<Listing<T>> list_decoded(store::Store& store, const std::string& prefix, Decode decode, std::string_view what) {
  auto r = store.list(prefix);
  if (!r) return wrap(r.error(), "listing " + std::string(what));
  Listing<T> out;
  out.revision = r->revision;
  for (const auto& kv : r->kvs) {
    auto item = decode(kv.value);
    if (item) {
      out.items.push_back(std::move(*item));
    } else {
      out.skipped.push_back(Error{Errc::corrupt, kv.key + ": " + item.error().message});
    }
  }
  return out;
}

}  // namespace weft::ipam
