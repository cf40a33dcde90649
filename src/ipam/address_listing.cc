#include "ipam/address_listing.h"

#include <map>
#include <tuple>

#include "model/block.h"
#include "model/keys.h"
#include "model/pool.h"
#include "store/optimistic_txn.h"

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
  // Three dependent reads: the pools (which one contains the address), that block's allocation
  // record (who holds it), and the holder's endpoint. Each is read under its key as its name, so
  // that a pool changed between attempts leads to reading the record it now points at.
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<ReleasedAddress> {
    std::optional<model::Pool> pool;
    for (const auto& kv : reads.all("pools")) {
      auto p = model::decode_pool(kv.value);
      if (p && p->cidr.contains(address)) pool = *p;
    }
    if (!pool) return fail(Errc::not_found, "no pool contains ", address.to_string());
    const Prefix block(address, pool->block_length);
    const std::string key = model::keys::allocation(pool->name, block);
    if (!reads.has(key)) return store::More{{store::Read::one(key, key)}};
    const store::KeyValue* kv = reads.one(key);
    if (kv == nullptr) return fail(Errc::not_found, address.to_string(), " is not allocated");
    auto allocations = decode_allocations(key, kv->value);
    if (!allocations) return std::unexpected(allocations.error());
    auto entry = allocations->addresses.find(address);
    if (entry == allocations->addresses.end()) return fail(Errc::not_found, address.to_string(), " is not allocated");
    ReleasedAddress released{pool->name, block, entry->second};
    allocations->addresses.erase(entry);

    const std::string ep_key = model::keys::endpoint(released.record.node, released.record.container_id, released.record.ifname);
    if (!reads.has(ep_key)) return store::More{{store::Read::one(ep_key, ep_key)}};
    const store::KeyValue* ep_kv = reads.one(ep_key);
    store::Write<ReleasedAddress> write;
    write.compare.push_back(Compare{key, Compare::Target::mod_revision, Compare::Op::equal, kv->mod_revision, {}});
    write.compare.push_back(Compare{ep_key, Compare::Target::mod_revision, Compare::Op::equal,
                                    ep_kv != nullptr ? ep_kv->mod_revision : 0, {}});
    write.ops.push_back(allocations->addresses.empty() ? TxnOp::remove(key)
                                                       : TxnOp::put(key, dump_json(encode(*allocations))));
    if (ep_kv != nullptr) {
      auto ep = model::decode_endpoint(ep_key, ep_kv->value);
      if (ep) std::erase_if(ep->addresses, [&](const model::EndpointAddress& a) { return a.address == address; });
      // An endpoint left without addresses (or unreadable) no longer describes a workload.
      write.ops.push_back(!ep || ep->addresses.empty() ? TxnOp::remove(ep_key) : TxnOp::put(ep_key, dump_json(encode(*ep))));
    }
    write.done = [released](const store::TxnResult&) -> Result<ReleasedAddress> { return released; };
    return write;
  };
  return store::optimistic_txn<ReleasedAddress>(
      store, {.what = "releasing " + address.to_string(),
              .reads = {store::Read::under("pools", model::keys::pools_prefix())},
              .decide = decide});
}

}  // namespace weft::ipam
