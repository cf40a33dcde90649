// Cluster-wide views of workload addresses for operators (`weft ipam show`, `weft endpoint list`)
// and the manual release of one address (`weft ipam release IP`).
//
// Contract: list_* read everything in one store round trip; unreadable records are reported in
// Listing::skipped, never fatal. release_address() removes one address from its block's record
// and from the endpoint that holds it (deleting the endpoint when it has no address left) in one
// compare-and-swap transaction, retried on a lost race; not_found when no pool contains the
// address or it is not allocated. A running weftd notices at its next compare-and-swap on that
// block and re-reads it (address_allocator.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/result.h"
#include "ipam/address_block.h"
#include "model/endpoint.h"
#include "ipam/listing.h"
#include "store/store.h"

namespace weft::ipam {

struct BlockUsage {
  std::string pool;
  Prefix block;
  std::string node;       // "" when no node holds the block (allocations outlived their holder)
  bool reserved = false;
  uint64_t usable = 0;    // addresses a workload may get (all but the first)
  uint64_t used = 0;
  uint64_t free() const { return used >= usable ? 0 : usable - used; }
};

// Every held block and every block with allocations, sorted by pool and block; `node` non-empty
// keeps only that node's blocks.
Result<Listing<BlockUsage>> list_block_usage(store::Store& store, std::string_view node = {});

// Every endpoint (of `node` when non-empty), in key order.
Result<Listing<model::Endpoint>> list_endpoints(store::Store& store, std::string_view node = {});

struct ReleasedAddress {
  std::string pool;
  Prefix block;
  AllocationRecord record;  // who held it
};
Result<ReleasedAddress> release_address(store::Store& store, const IpAddress& address);

}  // namespace weft::ipam
