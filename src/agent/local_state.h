// What weftd keeps on the node's disk (state dir), so that a restart finds the same VTEP MAC and
// prefers the same blocks even when the store has forgotten the node (gone past its TTL).
#pragma once

#include <map>
#include <string>

#include "base/ip.h"
#include "base/result.h"
#include "kernel/mac.h"

namespace weft::agent {

struct LocalState {
  kernel::MacAddress vtep_mac;
  std::map<std::string, Prefix> blocks;  // pool -> the block last held in it
};

// A missing file gives a fresh state with a new random, locally administered MAC; a corrupt file
// is an error (Errc::corrupt, naming the file) and is left as it is.
Result<LocalState> load_local_state(const std::string& dir);
// Atomically (temp file + rename).
Result<void> save_local_state(const std::string& dir, const LocalState& state);

}  // namespace weft::agent
