// Workload address allocations, one store record per block (Calico's layout, with flannel's
// block-per-node affinity kept separately in /weft/v1/blocks/):
//
//   /weft/v1/allocations/<pool>/<addr>-<len>   {"198.19.1.5": {"containerId": "c1",
//                                                "ifname": "eth0", "node": "h1",
//                                                "allocatedAt": 1700000000}, ...}
//
// The record has no lease: an allocation must survive its agent until it is released or
// collected. It is rewritten with a compare-and-swap on its mod revision for every change, and
// deleted when its last address is released, so an idle cluster holds no allocation keys.
//
// The first address of every block is never handed out: it is the node's VTEP address (see
// dataplane/desired_state.h), and keeping it free in every block makes that rule independent of
// which block the data plane picks.
//
// Pure values, codec and address picking; no store access (address_allocator.h does that).
// decode_allocations returns Errc::corrupt naming the key and what is wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/ip.h"
#include "base/json.h"
#include "base/result.h"

namespace weft::ipam {

struct AllocationRecord {
  std::string container_id;
  std::string ifname;
  std::string node;
  int64_t allocated_at_unix = 0;
  friend bool operator==(const AllocationRecord&, const AllocationRecord&) = default;
};

struct BlockAllocations {
  std::string pool;
  Prefix block;
  std::map<IpAddress, AllocationRecord> addresses;
  friend bool operator==(const BlockAllocations&, const BlockAllocations&) = default;
};


Json encode(const BlockAllocations& allocations);
// The pool and block come from `key`; every address must lie inside the block.
Result<BlockAllocations> decode_allocations(std::string_view key, std::string_view json_text);

// Addresses of `block` a workload may get: all but the first (saturated at 2^63 - 1).
uint64_t usable_addresses(const Prefix& block);

// A free address of `block`: the first one not in `used`, scanning upwards from the address at
// `start_offset` (wrapping around, never the block's first address, offset 0). Starting after the
// previous pick spreads reuse of released addresses over time (stale ARP and conntrack entries
// for a just-released address do not hit its next owner). nullopt when every usable address is
// used.
std::optional<IpAddress> pick_free_address(const Prefix& block, const std::set<IpAddress>& used,
                                           uint64_t start_offset = 1);

// The offset of `address` inside `block` (the caller checks containment).
uint64_t offset_in_block(const Prefix& block, const IpAddress& address);

}  // namespace weft::ipam
