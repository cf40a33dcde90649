// Listing<T>: what a read of many store objects returns. Objects whose value cannot be decoded are
// not fatal: they are reported in `skipped` (each error names the key) and left out of `items`,
// so one corrupt key never hides the rest of the cluster's state.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"

namespace weft::ipam {

template <class T>
struct Listing {
  std::vector<T> items;
  std::vector<Error> skipped;
  int64_t revision = 0;
};

}  // namespace weft::ipam
