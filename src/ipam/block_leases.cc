#include "ipam/block_leases.h"

#include <map>
#include <set>

#include "base/log.h"
#include "base/clock.h"
#include "model/keys.h"
#include "model/node.h"
#include "model/pool.h"
#include "store/optimistic_txn.h"

namespace weft::ipam {
namespace {

using store::Compare;
using store::KeyValue;
using store::Txn;
using store::TxnOp;

// What a claim decides from: the pool, its revision, and its current affinities.
struct PoolState {
  model::Pool pool;
  int64_t pool_revision = 0;
  std::vector<std::pair<KeyValue, model::BlockAffinity>> held;
  std::set<Prefix> taken;
};

// Reads "pool" (the pool key) and "blocks" (its affinities).
Result<PoolState> decode_state(std::string_view pool_name, const store::Snapshot& reads) {
  const KeyValue* pool_kv = reads.one("pool");
  if (pool_kv == nullptr) return fail(Errc::not_found, "pool ", pool_name, " does not exist");
  auto pool = model::decode_pool(pool_kv->value);
  if (!pool) return fail(Errc::corrupt, pool_kv->key, ": ", pool.error().message);
  if (pool->disabled) return fail(Errc::in_use, "pool ", pool_name, " is being deleted");
  PoolState state{*pool, pool_kv->mod_revision, {}, {}};
  for (const auto& kv : reads.all("blocks")) {
    auto affinity = model::decode_affinity(kv.key, kv.value);
    if (!affinity) {
      // The key exists, so its block is not free even if we cannot read who holds it.
      spdlog::warn("skipping unreadable block: {}", affinity.error().message);
      if (auto block = model::keys::block_from_key_segment(model::keys::last_segment(kv.key))) state.taken.insert(*block);
      continue;
    }
    state.taken.insert(affinity->block);
    state.held.emplace_back(kv, std::move(*affinity));
  }
  return state;
}

std::vector<store::Read> pool_reads(std::string_view pool) {
  return {store::Read::one("pool", model::keys::pool(pool)),
          store::Read::under("blocks", model::keys::pool_blocks_prefix(pool))};
}

Compare pool_unchanged(std::string_view pool, int64_t revision) {
  return Compare{model::keys::pool(pool), Compare::Target::mod_revision, Compare::Op::equal, revision, {}};
}

Compare absent(const std::string& key) {
  return Compare{key, Compare::Target::create_revision, Compare::Op::equal, 0, {}};
}

Compare unchanged(const KeyValue& kv) {
  return Compare{kv.key, Compare::Target::mod_revision, Compare::Op::equal, kv.mod_revision, {}};
}

}  // namespace

Result<Claim> claim_block(store::Store& store, const ClaimRequest& request) {
  int sent = 0;  // compare-and-swap transactions sent
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Claim> {
    auto state = decode_state(request.pool, reads);
    if (!state) return std::unexpected(state.error());
    if (!request.additional) {
      for (const auto& [kv, affinity] : state->held) {
        if (affinity.node != request.node) continue;
        if (affinity.reserved || kv.lease == request.lease) return Claim{affinity.block, true, sent};
        // Held under an older lease of ours (e.g. the liveness record was lost): move it to the
        // current lease so it lives and dies with the node again.
        ++sent;
        return store::Write<Claim>{{unchanged(kv)}, {TxnOp::put(kv.key, kv.value, request.lease)}, {},
                                   [&, block = affinity.block](const store::TxnResult&) -> Result<Claim> {
                                     return Claim{block, false, sent};
                                   }};
      }
    }
    auto target = model::choose_block(state->pool, state->taken, request.node, request.preferred);
    if (!target) {
      return fail(Errc::exhausted, "pool ", request.pool, " (", state->pool.cidr.to_string(),
                  ") has no free block: all ", std::to_string(state->pool.block_count()), " /",
                  std::to_string(state->pool.block_length), " blocks are held");
    }
    const std::string key = model::keys::block(request.pool, *target);
    model::BlockAffinity affinity{request.pool, *target, request.node, false, unix_now()};
    ++sent;
    return store::Write<Claim>{{pool_unchanged(request.pool, state->pool_revision), absent(key)},
                               {TxnOp::put(key, dump_json(encode(affinity)), request.lease)},
                               {},
                               [&, block = *target](const store::TxnResult&) -> Result<Claim> {
                                 return Claim{block, false, sent};
                               }};
  };
  return store::optimistic_txn<Claim>(store, {.what = "claiming a block of " + request.pool,
                                              .reads = pool_reads(request.pool),
                                              .decide = decide,
                                              .max_conflicts = request.max_attempts});
}

Result<void> reserve_block(store::Store& store, std::string_view pool_name, const Prefix& block,
                           std::string_view node) {
  if (!model::valid_node_name(node)) return fail(Errc::invalid_argument, "node name '", node, "' is not a host name");
  const std::string key = model::keys::block(pool_name, block);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<void> {
    const KeyValue* pool = reads.one("pool");
    if (pool == nullptr) return fail(Errc::not_found, "pool ", pool_name, " does not exist");
    auto decoded = model::decode_pool(pool->value);
    if (!decoded) return fail(Errc::corrupt, pool->key, ": ", decoded.error().message);
    if (block.length() != decoded->block_length || !decoded->cidr.contains(block)) {
      return fail(Errc::invalid_argument, block.to_string(), " is not a /",
                  std::to_string(decoded->block_length), " block of pool ", pool_name, " (",
                  decoded->cidr.to_string(), ")");
    }
    if (const KeyValue* held = reads.one("block")) {
      auto holder = model::decode_affinity(key, held->value);
      return fail(Errc::already_exists, "block ", block.to_string(), " is held by ",
                  holder ? holder->node : std::string("an unreadable record"));
    }
    model::BlockAffinity affinity{std::string(pool_name), block, std::string(node), true, unix_now()};
    return store::Write<void>{{pool_unchanged(pool_name, pool->mod_revision), absent(key)},
                              {TxnOp::put(key, dump_json(encode(affinity)))}, {}, {}};
  };
  return store::optimistic_txn<void>(
      store, {.what = "reserving block " + block.to_string(),
              .reads = {store::Read::one("pool", model::keys::pool(pool_name)), store::Read::one("block", key)},
              .decide = decide});
}

Result<void> release_block(store::Store& store, std::string_view pool, const Prefix& block,
                           std::string_view node) {
  const std::string key = model::keys::block(pool, block);
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<void> {
    const KeyValue* kv = reads.one("block");
    if (kv == nullptr) return Result<void>{};
    auto affinity = model::decode_affinity(key, kv->value);
    if (affinity && affinity->node != node) {
      return fail(Errc::conflict, "block ", block.to_string(), " is held by ", affinity->node, ", not ", node);
    }
    return store::Write<void>{{unchanged(*kv)}, {TxnOp::remove(key)}, {}, {}};
  };
  return store::optimistic_txn<void>(
      store, {.what = "releasing block " + block.to_string(), .reads = {store::Read::one("block", key)}, .decide = decide});
}

Result<Listing<BlockLease>> list_blocks(store::Store& store) {
  auto r = store.txn(Txn{{}, {TxnOp::get_prefix(model::keys::blocks_prefix()), TxnOp::get_prefix(model::keys::liveness_prefix())}, {}});
  if (!r) return wrap(r.error(), "listing blocks");
  std::map<store::LeaseId, int64_t> expiry_by_lease;
  Listing<BlockLease> out;
  out.revision = r->revision;
  for (const auto& kv : r->reads.at(1)) {
    auto liveness = model::decode_liveness(kv.value);
    if (!liveness) {
      out.skipped.push_back(Error{Errc::corrupt, kv.key + ": " + liveness.error().message});
      continue;
    }
    expiry_by_lease[kv.lease] = liveness->expires_at_unix();
  }
  for (const auto& kv : r->reads.at(0)) {
    auto affinity = model::decode_affinity(kv.key, kv.value);
    if (!affinity) {
      out.skipped.push_back(affinity.error());
      continue;
    }
    BlockLease lease{std::move(*affinity), kv.lease, std::nullopt};
    if (auto it = expiry_by_lease.find(kv.lease); kv.lease != 0 && it != expiry_by_lease.end()) {
      lease.expires_at_unix = it->second;
    }
    out.items.push_back(std::move(lease));
  }
  return out;
}

}  // namespace weft::ipam
