// Repairs of what the consistency checks found (`weft ipam check --repair`), with the same
// compare-and-swap transactions the rest of IPAM uses (store/optimistic_txn.h). Every repair looks
// again before it writes — the finding may be stale by then — and does nothing when what it
// found is no longer so (Outcome::unchanged).
//
// What each finding gets:
// - endpoint without veth: the attachment is released as weftd's sweeper would (its endpoint and
//   its allocations, AddressAllocator::release), unless the endpoint is younger than the grace
//   (an ADD records its addresses before it creates the veth: Outcome::spared) or the veth is
//   there again;
// - allocation without endpoint: the address is removed from its record, if it is still given to
//   the same attachment and no endpoint lists it (an unreadable endpoint stops it: it may);
// - endpoint without allocation: an endpoint listing no address is deleted; otherwise each
//   address no record holds is allocated to it again, as recorded in the endpoint — the workload
//   has it configured, and a free address would be handed to the next pod. An address another
//   attachment holds is not taken from it (Outcome::not_repairable, a duplicate to decide);
// - stale route: deleted from the host's kernel if it is still stale on a fresh read of the store;
// - duplicate addresses, overlapping blocks, unreadable records: not repaired (which workload
//   keeps an address, which block goes, what a corrupt value meant are an operator's decisions);
//   each says what to do.
// Repairs run in that order, so that releasing an attachment first spares the others work.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "ipam/consistency.h"
#include "kernel/kernel_ops.h"
#include "store/store.h"

namespace weft::ipam::consistency {

enum class Outcome { done, unchanged, spared, not_repairable, failed };
std::string_view to_string(Outcome outcome);  // "done", "unchanged", "spared", "not-repairable", "failed"

struct RepairAction {
  Finding finding;
  Outcome outcome = Outcome::done;
  std::string text;  // what was done, or why nothing was
};

struct RepairOptions {
  int64_t now_unix = 0;
  int64_t veth_grace_seconds = 60;  // endpoints without veth younger than this are spared
};

// `kernels`: the hosts' kernels the findings were read from, by node.
std::vector<RepairAction> repair(store::Store& store, const std::vector<Finding>& findings,
                                 const std::map<std::string, kernel::KernelOps*>& kernels,
                                 const RepairOptions& options);

}  // namespace weft::ipam::consistency
