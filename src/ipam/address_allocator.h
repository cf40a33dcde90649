// AddressAllocator: one node's workload IPAM against the store (issue 4).
//
// - assign(): one address per IP family from the node's own blocks (a block's first address is
//   never handed out, see address_block.h). When every block the node holds in a pool is full,
//   another block is claimed (claim_block with additional = true). Borrowing from another node's
//   block is not implemented: a node whose pool has no free block gets Errc::exhausted.
// - Every change is ONE transaction that compares the mod revision of each allocation record it
//   rewrites, the create revision of each block affinity it allocates from (the block is still
//   the one this node claimed), and the absence of the endpoint record, and then writes the
//   allocation records and the endpoint together: the store holds the allocation before anyone
//   is told about it, and allocations and endpoints never disagree.
// - Idempotent by (container id, ifname): the endpoint record is the handle. A repeated assign
//   for an attachment that has one returns its addresses (Assignment::existing); release of an
//   attachment that has none succeeds and returns nullopt.
// - Records are cached between calls (the node is their only regular writer), so an assign with
//   a warm cache costs one store round trip; a lost compare-and-swap (another writer: `weft ipam
//   release`, a second agent) refreshes the records that changed from the failure branch of the
//   same transaction and retries.
//
// Not thread-safe: one caller at a time (weftd runs it on one worker thread, which is also what
// serializes allocations). Errors: not_found (no pool of a wanted family), exhausted,
// unavailable (store), conflict (lost max_attempts races), corrupt (an unreadable record in the
// way), invalid_argument.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "ipam/address_block.h"
#include "model/endpoint.h"
#include "ipam/ipam_protocol.h"
#include "model/pool.h"
#include "store/store.h"

namespace weft::ipam {

struct AssignRequest {
  model::Endpoint endpoint;               // identity and metadata; node, addresses, createdAt are set here
  std::vector<std::string> pools;  // only these pools (empty: every pool)
  store::LeaseId lease = 0;        // the node's lease, for block claims
  // Exactly these addresses instead of free ones: the write of an assignment made from the cache
  // while the store was unreachable (assign_cached). Errc::conflict when one of them is now
  // allocated to another attachment or its block is no longer this node's.
  std::vector<IpAddress> fixed;
};

struct Assignment {
  model::Endpoint endpoint;      // as stored
  bool existing = false;  // the attachment had its addresses already
  int attempts = 0;       // transactions sent
  int block_claims = 0;   // blocks claimed for this request
};

struct GcResult {
  std::vector<protocol::Attachment> released;
  size_t spared = 0;                // stale but younger than the grace period
  std::vector<std::string> errors;  // attachments that could not be released (kept for next time)
};

struct AllocatorStatus {
  size_t pools = 0;
  size_t blocks = 0;  // held by this node
  size_t used = 0;    // addresses allocated in them
};

class AddressAllocator {
 public:
  AddressAllocator(store::Store& store, std::string node, int max_attempts = 16);

  Result<Assignment> assign(const AssignRequest& request);
  // With the store unreachable (issue 13): an address per family from the blocks this node held
  // when it last read them, with no store call and no block claim. The addresses are marked used
  // in the cache only; the caller keeps the endpoint and writes it later with assign() and
  // `fixed`. An attachment that has addresses in the cache gets them again (existing). Errc::
  // unavailable when the blocks were never read, exhausted when they have no free address.
  Result<Assignment> assign_cached(const AssignRequest& request);
  // Undoes assign_cached's marks for an attachment whose write was dropped (deleted before it).
  void forget_cached(std::string_view container_id, std::string_view ifname);
  Result<std::optional<model::Endpoint>> release(std::string_view container_id, std::string_view ifname);
  Result<std::optional<model::Endpoint>> find(std::string_view container_id, std::string_view ifname);
  Result<std::vector<model::Endpoint>> endpoints();

  // Releases every attachment of this node (endpoint or allocation) that is not in `valid` and is
  // at least `grace_seconds` old at `now_unix`.
  Result<GcResult> collect_garbage(const std::set<protocol::Attachment>& valid, int64_t grace_seconds,
                                   int64_t now_unix);

  // Re-reads pools, the node's blocks and their allocations (also a store health check).
  Result<AllocatorStatus> status();

 private:
  struct Records {
    BlockAllocations allocations;
    int64_t mod_revision = 0;  // 0: no record in the store
    bool unreadable = false;   // corrupt value: nothing is allocated from or released in it
  };
  struct HeldBlock {
    std::string pool;
    Prefix block;
    std::string affinity_key;
    int64_t create_revision = 0;
    uint64_t cursor = 1;  // where the next pick starts
  };
  struct Pick {
    std::string key;  // allocation key
    IpAddress address;
  };

  Result<void> refresh();
  Result<void> load_records(const std::vector<std::string>& keys);
  void absorb(const std::string& key, const std::vector<store::KeyValue>& read);
  void absorb_affinity(const std::string& alloc_key, const std::vector<store::KeyValue>& read);
  const model::Pool* choose_pool(Family family, const std::vector<std::string>& filter) const;
  Result<Pick> pick_in_pool(const model::Pool& pool, store::LeaseId lease, int& claims);
  std::optional<Pick> pick_cached(const model::Pool& pool);
  Result<Pick> pick_fixed(const IpAddress& address, std::string_view container_id, std::string_view ifname);
  Result<void> track_claimed(const model::Pool& pool, const Prefix& block);
  Records& records(const std::string& key);

  store::Store& store_;
  std::string node_;
  int max_attempts_;
  bool loaded_ = false;
  std::map<std::string, model::Pool> pools_;
  std::map<std::string, HeldBlock> held_;  // by allocation key
  std::map<std::string, Records> records_;  // by allocation key; held blocks and any read since
};

}  // namespace weft::ipam
