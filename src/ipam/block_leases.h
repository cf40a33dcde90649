// Claiming, reserving, releasing and listing blocks.
//
// claim_block: the node's block in a pool, with flannel's lease semantics:
// - if the node already holds a block of the pool (it restarted within the TTL, or it holds a
//   reservation), that block is returned and nothing is written (re-attached to the node's
//   current lease if it hung on an older one);
// - otherwise it picks a free block (its previous one first, when given) and takes it with ONE
//   compare-and-swap transaction: "create this key only if it does not exist, and only if the
//   pool is unchanged". A lost race's failure branch returns fresh state in the same round trip,
//   so a claim costs 1 read + 1 transaction per attempt (store/optimistic_txn.h).
// Every function here retries transient store failures per store/retry.h (about 5 s) before
// returning Errc::unavailable. reserve_block and release_block retry lost races too.
// Errors: not_found (no such pool), in_use (pool being deleted), exhausted (naming the pool),
// unavailable (store), conflict (lost more races than max_attempts).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "model/block.h"
#include "ipam/listing.h"
#include "store/store.h"

namespace weft::ipam {

struct ClaimRequest {
  std::string pool;
  std::string node;
  store::LeaseId lease = 0;            // the node's lease (NodeLease::id())
  std::optional<Prefix> preferred;     // the block the node recorded locally, if any
  bool additional = false;             // true: claim another block even if one is held
  int max_attempts = 64;
};

struct Claim {
  Prefix block;
  bool already_held = false;  // the node held it before this call
  int attempts = 0;           // compare-and-swap transactions sent
};

Result<Claim> claim_block(store::Store& store, const ClaimRequest& request);

// Pins `block` of `pool` to `node` with no lease (never expires). already_exists if held.
Result<void> reserve_block(store::Store& store, std::string_view pool, const Prefix& block,
                           std::string_view node);
// Releases a block held by `node` (conflict if another node holds it; ok if nobody does).
Result<void> release_block(store::Store& store, std::string_view pool, const Prefix& block,
                           std::string_view node);

struct BlockLease {
  model::BlockAffinity affinity;
  store::LeaseId lease = 0;                // 0 for a reservation
  std::optional<int64_t> expires_at_unix;  // from the holder's liveness record; none if reserved
};

// Every block of every pool with its holder and expiry, in one store round trip.
Result<Listing<BlockLease>> list_blocks(store::Store& store);

}  // namespace weft::ipam
