// BlockAffinity: the record that a node holds a block of a pool. Its key is keys::block(); it is
// attached to the node's lease (it vanishes when the node has been gone longer than the TTL)
// unless it is a reservation, which pins the block to the node with no TTL.
//
// choose_block() is the pure part of claiming: which block a node should try next.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/json.h"
#include "base/result.h"
#include "model/pool.h"

namespace weft::model {

struct BlockAffinity {
  std::string pool;
  Prefix block;
  std::string node;
  bool reserved = false;
  int64_t claimed_at_unix = 0;
  friend bool operator==(const BlockAffinity&, const BlockAffinity&) = default;
};

Json encode(const BlockAffinity& affinity);
// `key` is the store key the value was read from; the block and pool come from it, so a value
// copied under another key cannot claim a different block.
Result<BlockAffinity> decode_affinity(std::string_view key, std::string_view json_text);

// The block a node should try to claim from `pool`, given the blocks already taken:
// `preferred` (the node's previous block) when it is free and inside the pool, otherwise the
// first free block scanning from a start point derived from `node` (so that concurrent claimants
// spread over the pool instead of all racing for the first free block). nullopt when every block
// is taken.
std::optional<Prefix> choose_block(const Pool& pool, const std::set<Prefix>& taken,
                                   std::string_view node,
                                   const std::optional<Prefix>& preferred = std::nullopt);

}  // namespace weft::model
