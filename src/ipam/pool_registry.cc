#include "ipam/pool_registry.h"

#include <chrono>

#include "base/log.h"
#include "model/block.h"
#include "model/keys.h"

namespace weft::ipam {
namespace {

using store::Compare;
using store::Txn;
using store::TxnOp;

constexpr int max_attempts = 16;

Listing<model::Pool> decode_pools(const std::vector<store::KeyValue>& kvs) {
  Listing<model::Pool> out;
  for (const auto& kv : kvs) {
    auto pool = model::decode_pool(kv.value);
    if (pool) {
      out.items.push_back(std::move(*pool));
    } else {
      out.skipped.push_back(Error{Errc::corrupt, kv.key + ": " + pool.error().message});
    }
  }
  return out;
}

// The guard compare: the pool set is unchanged since `guard_revision` (0 = never written).
Compare guard_unchanged(int64_t guard_revision) {
  return Compare{model::keys::pools_guard(), Compare::Target::mod_revision, Compare::Op::equal,
                 guard_revision, {}};
}

TxnOp bump_guard() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return TxnOp::put(model::keys::pools_guard(),
                    dump_json({{"changedAt", std::chrono::duration_cast<std::chrono::seconds>(now).count()}}));
}

// Reads the pools and the guard's revision in one round trip.
struct PoolSet {
  Listing<model::Pool> pools;
  int64_t guard_revision = 0;
};

Result<PoolSet> read_pool_set(store::Store& store) {
  auto r = store.txn(Txn{{}, {TxnOp::get_prefix(model::keys::pools_prefix()), TxnOp::get(model::keys::pools_guard())}, {}});
  if (!r) return std::unexpected(r.error());
  PoolSet set;
  set.pools = decode_pools(r->reads.at(0));
  set.pools.revision = r->revision;
  if (!r->reads.at(1).empty()) set.guard_revision = r->reads.at(1).front().mod_revision;
  return set;
}

}  // namespace

Result<Listing<model::Pool>> list_pools(store::Store& store) {
  auto r = store.list(model::keys::pools_prefix());
  if (!r) return wrap(r.error(), "listing pools");
  auto out = decode_pools(r->kvs);
  out.revision = r->revision;
  return out;
}

Result<model::Pool> get_pool(store::Store& store, std::string_view name) {
  auto kv = store.get(model::keys::pool(name));
  if (!kv) return wrap(kv.error(), "reading pool");
  if (!*kv) return fail(Errc::not_found, "pool ", name, " does not exist");
  auto pool = model::decode_pool((*kv)->value);
  if (!pool) return fail(Errc::corrupt, model::keys::pool(name), ": ", pool.error().message);
  return pool;
}

Result<void> add_pool(store::Store& store, const model::Pool& pool) {
  if (auto ok = validate(pool); !ok) return ok;
  for (int attempt = 0; attempt < max_attempts; ++attempt) {
    auto set = read_pool_set(store);
    if (!set) return wrap(set.error(), "reading pools");
    if (auto ok = model::validate_against(pool, set->pools.items); !ok) return ok;
    for (const auto& skipped : set->pools.skipped) {
      spdlog::warn("skipping unreadable pool: {}", skipped.message);
    }
    const std::string key = model::keys::pool(pool.name);
    auto r = store.txn(Txn{
        {guard_unchanged(set->guard_revision),
         Compare{key, Compare::Target::create_revision, Compare::Op::equal, 0, {}}},
        {TxnOp::put(key, dump_json(encode(pool))), bump_guard()},
        {}});
    if (!r) return wrap(r.error(), "storing pool");
    if (r->succeeded) return {};
  }
  return fail(Errc::conflict, "pool set kept changing while adding pool ", pool.name);
}

Result<void> delete_pool(store::Store& store, std::string_view name) {
  // Two steps, so that no block can be claimed between the check and the delete: first mark the
  // pool disabled (claims compare the pool's mod revision and stop), then delete it only if no
  // block is held; otherwise re-enable it.
  const std::string key = model::keys::pool(name);
  auto kv = store.get(key);
  if (!kv) return wrap(kv.error(), "reading pool");
  if (!*kv) return fail(Errc::not_found, "pool ", name, " does not exist");
  auto pool = model::decode_pool((*kv)->value);
  // A pool whose value is corrupt can still be deleted, as long as no block is held in it.
  std::string disabled_value = (*kv)->value;
  if (pool) {
    pool->disabled = true;
    disabled_value = dump_json(encode(*pool));
  }

  auto mark = store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal,
                                     (*kv)->mod_revision, {}}},
                            {TxnOp::put(key, disabled_value), TxnOp::get_prefix(model::keys::pool_blocks_prefix(name))},
                            {}});
  if (!mark) return wrap(mark.error(), "disabling pool");
  if (!mark->succeeded) return fail(Errc::conflict, "pool ", name, " changed while deleting it; retry");
  const auto& blocks = mark->reads.at(1);
  if (!blocks.empty()) {
    auto restore = store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal,
                                          mark->revision, {}}},
                                 {TxnOp::put(key, (*kv)->value)},
                                 {}});
    if (!restore) spdlog::warn("could not re-enable pool {}: {}", name, restore.error().describe());
    auto first = model::decode_affinity(blocks.front().key, blocks.front().value);
    return fail(Errc::in_use, "pool ", name, " is in use: ", std::to_string(blocks.size()),
                " block(s) held", first ? " (" + first->block.to_string() + " by " + first->node + ")" : "");
  }
  auto r = store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal, mark->revision, {}}},
                         {TxnOp::remove(key), bump_guard()},
                         {}});
  if (!r) return wrap(r.error(), "deleting pool");
  if (!r->succeeded) return fail(Errc::conflict, "pool ", name, " changed while deleting it; retry");
  return {};
}

}  // namespace weft::ipam
