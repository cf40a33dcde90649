#include "ipam/consistency_repair.h"

#include <algorithm>
#include <optional>

#include "ipam/address_allocator.h"
#include "ipam/consistency_read.h"
#include "model/keys.h"
#include "store/optimistic_txn.h"

namespace weft::ipam::consistency {
namespace {

using store::Compare;
using store::TxnOp;

struct Step {
  Outcome outcome;
  std::string text;
};

Compare same_revision(const std::string& key, const store::KeyValue* kv) {
  return Compare{key, Compare::Target::mod_revision, Compare::Op::equal, kv != nullptr ? kv->mod_revision : 0, {}};
}

TxnOp write_record(const std::string& key, const BlockAllocations& r) {
  return r.addresses.empty() ? TxnOp::remove(key) : TxnOp::put(key, dump_json(encode(r)));
}

std::string addresses_text(const std::vector<IpAddress>& addresses) {
  std::string out;
  for (const auto& a : addresses) out += (out.empty() ? "" : ", ") + a.to_string();
  return out;
}

bool lists(const model::Endpoint& ep, const IpAddress& address) {
  return std::any_of(ep.addresses.begin(), ep.addresses.end(), [&](const auto& a) { return a.address == address; });
}

// Endpoint without veth: released as the sweeper releases (agent/ipam_service.h).
Result<Step> release_attachment(store::Store& store, kernel::KernelOps* kernel, const Finding& f,
                                const RepairOptions& options) {
  const Attachment& a = *f.attachment;
  const int64_t age = options.now_unix - f.endpoint_created_at_unix;
  if (age < options.veth_grace_seconds) {
    return Step{Outcome::spared, "spared " + a.to_string() + ": created " + std::to_string(age) + " s ago, within the grace of " +
                                     std::to_string(options.veth_grace_seconds) +
                                     " s (an ADD records its addresses before it creates the veth)"};
  }
  if (kernel != nullptr) {
    auto link = kernel->find_link(f.veth);
    if (link) return Step{Outcome::unchanged, a.to_string() + ": its veth " + f.veth + " is there now"};
    if (link.error().code != Errc::not_found) return wrap(link.error(), "looking for " + f.veth + " on " + f.node);
  }
  AddressAllocator allocator(store, a.node);
  auto released = allocator.release(a.container_id, a.ifname);
  if (!released) return std::unexpected(released.error());
  if (!*released) return Step{Outcome::unchanged, a.to_string() + " is gone already"};
  std::vector<IpAddress> addresses;
  for (const auto& ea : (*released)->addresses) addresses.push_back(ea.address);
  return Step{Outcome::done, "released " + a.to_string() + (addresses.empty() ? "" : " (" + addresses_text(addresses) + ")") +
                                 ": endpoint and allocations deleted, its veth " + f.veth + " is gone from " + f.node};
}

// Allocation without endpoint: the address leaves its record, if nothing changed meanwhile.
Result<Step> release_allocation(store::Store& store, const Finding& f) {
  const Attachment& a = *f.attachment;
  const IpAddress& address = f.addresses.at(0);
  const std::string key = model::keys::allocation(f.pool, *f.block);
  const std::string ep_key = model::keys::endpoint(a.node, a.container_id, a.ifname);
  const std::string what = address.to_string() + " in " + f.pool + " " + f.block->to_string();
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Step> {
    const store::KeyValue* kv = reads.one("allocations");
    if (kv == nullptr) return Step{Outcome::unchanged, what + " is released already"};
    auto record = decode_allocations(key, kv->value);
    if (!record) return std::unexpected(record.error());
    auto entry = record->addresses.find(address);
    if (entry == record->addresses.end() || Attachment{entry->second.node, entry->second.container_id, entry->second.ifname} != a) {
      return Step{Outcome::unchanged, what + " is no longer allocated to " + a.to_string()};
    }
    const store::KeyValue* ep_kv = reads.one("endpoint");
    if (ep_kv != nullptr) {
      auto ep = model::decode_endpoint(ep_key, ep_kv->value);
      if (!ep) return fail(Errc::corrupt, "not releasing ", what, ": its endpoint cannot be read (", ep.error().message, ")");
      if (lists(*ep, address)) return Step{Outcome::unchanged, what + ": the endpoint of " + a.to_string() + " lists it now"};
    }
    record->addresses.erase(entry);
    store::Write<Step> write;
    write.compare = {same_revision(key, kv), same_revision(ep_key, ep_kv)};
    write.ops = {write_record(key, *record)};
    write.done = [=](const store::TxnResult&) -> Result<Step> {
      return Step{Outcome::done, "released " + what + " (allocated to " + a.to_string() + ", which had no endpoint listing it)"};
    };
    return write;
  };
  return store::optimistic_txn<Step>(store, {.what = "releasing " + what,
                                             .reads = {store::Read::one("allocations", key), store::Read::one("endpoint", ep_key)},
                                             .decide = decide});
}

// Endpoint without allocation: allocated again what no one else holds; an empty one deleted.
Result<Step> restore_allocations(store::Store& store, const Finding& f) {
  const Attachment& a = *f.attachment;
  const std::string ep_key = model::keys::endpoint(a.node, a.container_id, a.ifname);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Step> {
    const store::KeyValue* ep_kv = reads.one(ep_key);
    if (ep_kv == nullptr) return Step{Outcome::unchanged, "the endpoint " + a.to_string() + " is gone"};
    auto ep = model::decode_endpoint(ep_key, ep_kv->value);
    if (!ep) return std::unexpected(ep.error());
    if (ep->addresses.empty()) {
      store::Write<Step> write;
      write.compare = {same_revision(ep_key, ep_kv)};
      write.ops = {TxnOp::remove(ep_key)};
      write.done = [=](const store::TxnResult&) -> Result<Step> {
        return Step{Outcome::done, "deleted the endpoint " + a.to_string() + ": it listed no address"};
      };
      return write;
    }
    store::More more;
    for (const auto& ea : ep->addresses) {
      const std::string key = model::keys::allocation(ea.pool, ea.block);
      if (!reads.has(key)) more.reads.push_back(store::Read::one(key, key));
    }
    if (!more.reads.empty()) return more;

    std::map<std::string, BlockAllocations> changed;
    std::vector<IpAddress> restored;
    std::vector<std::string> refused;
    for (const auto& ea : ep->addresses) {
      const std::string key = model::keys::allocation(ea.pool, ea.block);
      if (!ea.block.contains(ea.address)) {
        refused.push_back(ea.address.to_string() + " is not inside its block " + ea.block.to_string());
        continue;
      }
      auto it = changed.find(key);
      if (it == changed.end()) {
        BlockAllocations record{ea.pool, ea.block, {}};
        if (const store::KeyValue* kv = reads.one(key)) {
          auto decoded = decode_allocations(key, kv->value);
          if (!decoded) return std::unexpected(decoded.error());
          record = std::move(*decoded);
        }
        it = changed.emplace(key, std::move(record)).first;
      }
      auto held = it->second.addresses.find(ea.address);
      if (held == it->second.addresses.end()) {
        it->second.addresses[ea.address] = AllocationRecord{a.container_id, a.ifname, a.node, ep->created_at_unix};
        restored.push_back(ea.address);
      } else if (Attachment holder{held->second.node, held->second.container_id, held->second.ifname}; holder != a) {
        refused.push_back(ea.address.to_string() + " is allocated to " + holder.to_string());
      }
    }
    std::string not_done;
    for (const auto& r : refused) not_done += (not_done.empty() ? "" : "; ") + r;
    if (restored.empty()) {
      if (refused.empty()) return Step{Outcome::unchanged, a.to_string() + " has its allocations again"};
      return Step{Outcome::not_repairable, a.to_string() + ": " + not_done + " (decide which workload keeps it)"};
    }
    store::Write<Step> write;
    write.compare.push_back(same_revision(ep_key, ep_kv));
    for (const auto& [key, record] : changed) {
      write.compare.push_back(same_revision(key, reads.one(key)));
      write.ops.push_back(write_record(key, record));
    }
    write.done = [=](const store::TxnResult&) -> Result<Step> {
      return Step{refused.empty() ? Outcome::done : Outcome::not_repairable,
                  "allocated " + addresses_text(restored) + " to " + a.to_string() + " again, as its endpoint records" +
                      (refused.empty() ? "" : "; not " + not_done)};
    };
    return write;
  };
  return store::optimistic_txn<Step>(store, {.what = "restoring the allocations of " + a.to_string(),
                                             .reads = {store::Read::one(ep_key, ep_key)},
                                             .decide = decide});
}

// Stale route: deleted if a fresh read of the store still finds no live holder.
Result<Step> delete_route(const StoreState& fresh, kernel::KernelOps* kernel, const Finding& f) {
  const std::string what = f.node + ": " + f.route_text;
  auto why = stale_route_reason(fresh, *f.route);
  if (!why) return Step{Outcome::unchanged, what + ": its block is held now"};
  if (kernel == nullptr) return fail(Errc::internal, "no kernel of ", f.node, " to delete ", what, " from");
  auto deleted = kernel->delete_route(*f.route);
  if (!deleted && deleted.error().code == Errc::not_found) return Step{Outcome::unchanged, what + " is gone already"};
  if (!deleted) return wrap(deleted.error(), "deleting " + what);
  return Step{Outcome::done, "deleted " + what + " (" + *why + ")"};
}

std::string advice(const Finding& f) {
  switch (f.check) {
    case Check::duplicate_address:
      return "decide which workload keeps " + (f.addresses.empty() ? std::string("it") : f.addresses[0].to_string()) +
             " and delete the other pod (or `weft ipam release` an address no workload uses)";
    case Check::overlapping_blocks:
      return "move the workloads off one of the blocks and release it by hand";
    case Check::unreadable_record:
      return "fix or delete " + f.key + " by hand (etcdctl)";
    default:
      return "no repair for this";
  }
}

int order(Check check) {
  switch (check) {
    case Check::endpoint_without_veth: return 0;
    case Check::allocation_without_endpoint: return 1;
    case Check::endpoint_without_allocation: return 2;
    case Check::stale_route: return 3;
    default: return 4;
  }
}

kernel::KernelOps* kernel_of(const std::map<std::string, kernel::KernelOps*>& kernels, const std::string& node) {
  auto it = kernels.find(node);
  return it != kernels.end() ? it->second : nullptr;
}

}  // namespace

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::done: return "done";
    case Outcome::unchanged: return "unchanged";
    case Outcome::spared: return "spared";
    case Outcome::not_repairable: return "not-repairable";
    case Outcome::failed: return "failed";
  }
  return "?";
}

std::vector<RepairAction> repair(store::Store& store, const std::vector<Finding>& findings,
                                 const std::map<std::string, kernel::KernelOps*>& kernels,
                                 const RepairOptions& options) {
  std::vector<const Finding*> todo;
  for (const auto& f : findings) todo.push_back(&f);
  std::stable_sort(todo.begin(), todo.end(), [](const Finding* a, const Finding* b) { return order(a->check) < order(b->check); });

  std::optional<Result<StoreState>> fresh;  // read once, after the store repairs, for the routes
  std::vector<RepairAction> out;
  for (const Finding* f : todo) {
    Result<Step> step = Step{Outcome::not_repairable, advice(*f)};
    switch (f->check) {
      case Check::endpoint_without_veth:
        step = release_attachment(store, kernel_of(kernels, f->node), *f, options);
        break;
      case Check::allocation_without_endpoint:
        step = release_allocation(store, *f);
        break;
      case Check::endpoint_without_allocation:
        step = restore_allocations(store, *f);
        break;
      case Check::stale_route:
        if (!fresh) fresh = read_store_state(store);
        step = *fresh ? delete_route(**fresh, kernel_of(kernels, f->node), *f) : Result<Step>(std::unexpected(fresh->error()));
        break;
      default:
        break;
    }
    if (step) out.push_back({*f, step->outcome, std::move(step->text)});
    else out.push_back({*f, Outcome::failed, step.error().message});
  }
  return out;
}

}  // namespace weft::ipam::consistency
