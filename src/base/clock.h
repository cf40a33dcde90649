#pragma once

#include <chrono>
#include <cstdint>

namespace weft {

// Wall-clock seconds since the epoch, as stored in records (claimedAt, renewedAt).
inline int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace weft
