#include "ipam/address_listing.h"

#include <map>
#include <tuple>

#include "model/block.h"
#include "model/keys.h"
#include "model/pool.h"

namespace weft::ipam {

using store::Compare;
using store::Txn;
using store::TxnOp;

Result<Listing<BlockUsage>> list_block_usage(store::Store& store, std::string_view node) {
  auto r = store.txn(Txn{{}, {TxnOp::get_prefix(model::keys::blocks_prefix()), TxnOp::get_prefix(model::keys::allocations_prefix())}, {}});
  if (!r) return wrap(r.error(), "listing blocks and allocations");
  std::map<std::tuple<std::string, Prefix>, BlockUsage> usage;
  Listing<BlockUsage> out;
  out.revision = r->revision;
  for (const auto& kv : r->reads.at(0)) {
    auto affinity = model::decode_affinity(kv.key, kv.value);
    if (!affinity) {
      out.skipped.push_back(affinity.error());
      continue;
    }
    usage[{affinity->pool, affinity->block}] =
        BlockUsage{affinity->pool, affinity->block, affinity->node, affinity->reserved, usable_addresses(affinity->block), 0};
  }
  for (const auto& kv : r->reads.at(1)) {
    auto allocations = decode_allocations(kv.key, kv.value);
    if (!allocations) {
      out.skipped.push_back(allocations.error());
      continue;
    }
    auto [it, inserted] = usage.try_emplace({allocations->pool, allocations->block});
    if (inserted) it->second = BlockUsage{allocations->pool, allocations->block, "", false, usable_addresses(allocations->block), 0};
    it->second.used = allocations->addresses.size();
  }
  for (auto& [k, u] : usage) {
    if (node.empty() || u.node == node) out.items.push_back(std::move(u));
  }
  return out;
}

Result<Listing<model::Endpoint>> list_endpoints(store::Store& store, std::string_view node) {
  auto r = store.list(node.empty() ? model::keys::endpoints_prefix() : model::keys::node_endpoints_prefix(node));
  if (!r) return wrap(r.error(), "listing endpoints");
  Listing<model::Endpoint> out;
  out.revision = r->revision;
  for (const auto& kv : r->kvs) {
    auto ep = model::decode_endpoint(kv.key, kv.value);
    if (!ep) out.skipped.push_back(ep.error());
    else out.items.push_back(std::move(*ep));
  }
  return out;
}

Result<ReleasedAddress> release_address(store::Store& store, const IpAddress& address) {
  for (int attempt = 0; attempt < 16; ++attempt) {
    auto pools = store.list(model::keys::pools_prefix());
    if (!pools) return wrap(pools.error(), "listing pools");
    std::optional<model::Pool> pool;
    for (const auto& kv : pools->kvs) {
      auto p = model::decode_pool(kv.value);
      if (p && p->cidr.contains(address)) pool = *p;
    }
    if (!pool) return fail(Errc::not_found, "no pool contains ", address.to_string());
    const Prefix block(address, pool->block_length);
    const std::string key = model::keys::allocation(pool->name, block);
    auto kv = store.get(key);
    if (!kv) return wrap(kv.error(), "reading allocations");
    if (!*kv) return fail(Errc::not_found, address.to_string(), " is not allocated");
    auto allocations = decode_allocations(key, (*kv)->value);
    if (!allocations) return std::unexpected(allocations.error());
    auto entry = allocations->addresses.find(address);
    if (entry == allocations->addresses.end()) return fail(Errc::not_found, address.to_string(), " is not allocated");
    ReleasedAddress released{pool->name, block, entry->second};
    allocations->addresses.erase(entry);

    const std::string ep_key = model::keys::endpoint(released.record.node, released.record.container_id, released.record.ifname);
    auto ep_kv = store.get(ep_key);
    if (!ep_kv) return wrap(ep_kv.error(), "reading endpoint");
    Txn txn;
    txn.compare.push_back(Compare{key, Compare::Target::mod_revision, Compare::Op::equal, (*kv)->mod_revision, {}});
    txn.compare.push_back(Compare{ep_key, Compare::Target::mod_revision, Compare::Op::equal,
                                  *ep_kv ? (*ep_kv)->mod_revision : 0, {}});
    txn.success.push_back(allocations->addresses.empty() ? TxnOp::remove(key)
                                                         : TxnOp::put(key, dump_json(encode(*allocations))));
    if (*ep_kv) {
      auto ep = model::decode_endpoint(ep_key, (*ep_kv)->value);
      if (ep) std::erase_if(ep->addresses, [&](const model::EndpointAddress& a) { return a.address == address; });
      // An endpoint left without addresses (or unreadable) no longer describes a workload.
      txn.success.push_back(!ep || ep->addresses.empty() ? TxnOp::remove(ep_key) : TxnOp::put(ep_key, dump_json(encode(*ep))));
    }
    auto r = store.txn(txn);
    if (!r) return wrap(r.error(), "releasing address");
    if (r->succeeded) return released;
  }
  return fail(Errc::conflict, "lost 16 races releasing ", address.to_string());
}

}  // namespace weft::ipam
