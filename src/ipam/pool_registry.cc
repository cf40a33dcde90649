#include "ipam/pool_registry.h"

#include <chrono>

#include "base/log.h"
#include "model/block.h"
#include "model/keys.h"
#include "store/optimistic_txn.h"

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

std::vector<store::Read> pool_set_reads() {
  return {store::Read::under("pools", model::keys::pools_prefix()),
          store::Read::one("guard", model::keys::pools_guard())};
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
  const std::string key = model::keys::pool(pool.name);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<void> {
    auto pools = decode_pools(reads.all("pools"));
    // Our own earlier attempt, applied though its answer was lost.
    if (reads.after_unknown_outcome()) {
      for (const auto& kv : reads.all("pools")) {
        if (kv.key == key && kv.value == dump_json(encode(pool))) return Result<void>{};
      }
    }
    if (auto ok = model::validate_against(pool, pools.items); !ok) return ok;
    for (const auto& skipped : pools.skipped) spdlog::warn("skipping unreadable pool: {}", skipped.message);
    const store::KeyValue* guard = reads.one("guard");
    return store::Write<void>{{guard_unchanged(guard == nullptr ? 0 : guard->mod_revision),
                               Compare{key, Compare::Target::create_revision, Compare::Op::equal, 0, {}}},
                              {TxnOp::put(key, dump_json(encode(pool))), bump_guard()},
                              {},
                              {}};
  };
  return store::optimistic_txn<void>(
      store, {.what = "adding pool " + pool.name, .reads = pool_set_reads(), .decide = decide, .max_conflicts = max_attempts});
}

Result<void> delete_pool(store::Store& store, std::string_view name) {
  // Two steps, so that no block can be claimed between the check and the delete: first mark the
  // pool disabled (claims compare the pool's mod revision and stop), then delete it only if no
  // block is held; otherwise re-enable it.
  const std::string key = model::keys::pool(name);
  struct Marked {
    int64_t revision = 0;
    std::string original;  // the enabled pool, to restore
    std::vector<store::KeyValue> blocks;
  };
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Marked> {
    const store::KeyValue* kv = reads.one("pool");
    if (kv == nullptr) return fail(Errc::not_found, "pool ", name, " does not exist");
    auto pool = model::decode_pool(kv->value);
    // A pool whose value is corrupt can still be deleted, as long as no block is held in it.
    // The value to restore is the enabled pool, not what was read: after a transient failure
    // the mark may have been applied already and the re-read shows it disabled.
    std::string disabled_value = kv->value, enabled_value = kv->value;
    if (pool) {
      pool->disabled = false;
      enabled_value = dump_json(encode(*pool));
      pool->disabled = true;
      disabled_value = dump_json(encode(*pool));
    }
    return store::Write<Marked>{
        {Compare{key, Compare::Target::mod_revision, Compare::Op::equal, kv->mod_revision, {}}},
        {TxnOp::put(key, disabled_value), TxnOp::get_prefix(model::keys::pool_blocks_prefix(name))},
        {},
        [original = enabled_value](const store::TxnResult& r) -> Result<Marked> {
          return Marked{r.revision, original, r.reads.at(1)};
        }};
  };
  auto mark = store::optimistic_txn<Marked>(
      store, {.what = "disabling pool " + std::string(name), .reads = {store::Read::one("pool", key)}, .decide = decide});
  if (!mark) return std::unexpected(mark.error());
  const auto& blocks = mark->blocks;
  if (!blocks.empty()) {
    auto restore = store::with_retry([&] {
      return store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal, mark->revision, {}}},
                           {TxnOp::put(key, mark->original)},
                           {}});
    });
    if (!restore) spdlog::warn("could not re-enable pool {}: {}", name, restore.error().describe());
    auto first = model::decode_affinity(blocks.front().key, blocks.front().value);
    return fail(Errc::in_use, "pool ", name, " is in use: ", std::to_string(blocks.size()),
                " block(s) held", first ? " (" + first->block.to_string() + " by " + first->node + ")" : "");
  }
  // Compared with the mark's revision, so repeating it after a transient failure is harmless.
  auto r = store::with_retry([&] {
    return store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal, mark->revision, {}}},
                         {TxnOp::remove(key), bump_guard()},
                         {}});
  });
  if (!r) return wrap(r.error(), "deleting pool");
  if (!r->succeeded) {
    // Gone already: a first try that was applied before its answer was lost, or another deleter.
    auto now = store::with_retry([&] { return store.get(key); });
    if (now && !*now) return {};
    return fail(Errc::conflict, "pool ", name, " changed while deleting it; retry");
  }
  return {};
}

}  // namespace weft::ipam
