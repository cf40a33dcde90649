// Readable GoogleTest failure messages for store values (gtest finds PrintTo by
// argument-dependent lookup, so these live in the values' namespaces).
#pragma once

#include <gtest/gtest.h>

#include <ostream>

#include "base/result.h"
#include "store/store.h"

namespace weft {

inline void PrintTo(Errc code, std::ostream* os) { *os << to_string(code); }

namespace store {

inline void PrintTo(const KeyValue& kv, std::ostream* os) {
  *os << "{" << ::testing::PrintToString(kv.key) << " = " << ::testing::PrintToString(kv.value)
      << ", create " << kv.create_revision << ", mod " << kv.mod_revision << ", version "
      << kv.version << ", lease " << kv.lease << "}";
}

}  // namespace store
}  // namespace weft
