#include "ipam/block_leases.h"

#include <map>
#include <set>

#include "base/log.h"
#include "base/clock.h"
#include "model/keys.h"
#include "model/node.h"
#include "model/pool.h"

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

// reads[0]: the pool key; reads[1]: its blocks.
Result<PoolState> decode_state(std::string_view pool_name, const std::vector<std::vector<KeyValue>>& reads) {
  if (reads.size() < 2 || reads[0].empty()) return fail(Errc::not_found, "pool ", pool_name, " does not exist");
  auto pool = model::decode_pool(reads[0].front().value);
  if (!pool) return fail(Errc::corrupt, reads[0].front().key, ": ", pool.error().message);
  if (pool->disabled) return fail(Errc::in_use, "pool ", pool_name, " is being deleted");
  PoolState state{*pool, reads[0].front().mod_revision, {}, {}};
  for (const auto& kv : reads[1]) {
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

std::vector<TxnOp> read_ops(std::string_view pool) {
  return {TxnOp::get(model::keys::pool(pool)), TxnOp::get_prefix(model::keys::pool_blocks_prefix(pool))};
}

Compare pool_unchanged(std::string_view pool, int64_t revision) {
  return Compare{model::keys::pool(pool), Compare::Target::mod_revision, Compare::Op::equal, revision, {}};
}

Compare absent(const std::string& key) {
  return Compare{key, Compare::Target::create_revision, Compare::Op::equal, 0, {}};
}

}  // namespace

Result<Claim> claim_block(store::Store& store, const ClaimRequest& request) {
  auto first = store.txn(Txn{{}, read_ops(request.pool), {}});
  if (!first) return wrap(first.error(), "reading pool " + request.pool);
  auto state = decode_state(request.pool, first->reads);

  for (int attempt = 1; attempt <= request.max_attempts; ++attempt) {
    if (!state) return std::unexpected(state.error());
    std::optional<Prefix> target;
    Txn txn;
    if (!request.additional) {
      for (const auto& [kv, affinity] : state->held) {
        if (affinity.node != request.node) continue;
        if (affinity.reserved || kv.lease == request.lease) return Claim{affinity.block, true, attempt - 1};
        // Held under an older lease of ours (e.g. the liveness record was lost): move it to the
        // current lease so it lives and dies with the node again.
        target = affinity.block;
        txn.compare = {Compare{kv.key, Compare::Target::mod_revision, Compare::Op::equal, kv.mod_revision, {}}};
        txn.success = {TxnOp::put(kv.key, kv.value, request.lease)};
        break;
      }
    }
    if (!target) {
      target = model::choose_block(state->pool, state->taken, request.node, request.preferred);
      if (!target) {
        return fail(Errc::exhausted, "pool ", request.pool, " (", state->pool.cidr.to_string(),
                    ") has no free block: all ", std::to_string(state->pool.block_count()), " /",
                    std::to_string(state->pool.block_length), " blocks are held");
      }
      const std::string key = model::keys::block(request.pool, *target);
      model::BlockAffinity affinity{request.pool, *target, request.node, false, unix_now()};
      txn.compare = {pool_unchanged(request.pool, state->pool_revision), absent(key)};
      txn.success = {TxnOp::put(key, dump_json(encode(affinity)), request.lease)};
    }
    txn.failure = read_ops(request.pool);
    auto r = store.txn(txn);
    if (!r) return wrap(r.error(), "claiming a block of " + request.pool);
    if (r->succeeded) return Claim{*target, false, attempt};
    state = decode_state(request.pool, r->reads);
  }
  return fail(Errc::conflict, "lost ", std::to_string(request.max_attempts),
              " races for a block of pool ", request.pool);
}

Result<void> reserve_block(store::Store& store, std::string_view pool_name, const Prefix& block,
                           std::string_view node) {
  if (!model::valid_node_name(node)) return fail(Errc::invalid_argument, "node name '", node, "' is not a host name");
  auto pool = store.get(model::keys::pool(pool_name));
  if (!pool) return wrap(pool.error(), "reading pool");
  if (!*pool) return fail(Errc::not_found, "pool ", pool_name, " does not exist");
  auto decoded = model::decode_pool((*pool)->value);
  if (!decoded) return fail(Errc::corrupt, (*pool)->key, ": ", decoded.error().message);
  if (block.length() != decoded->block_length || !decoded->cidr.contains(block)) {
    return fail(Errc::invalid_argument, block.to_string(), " is not a /",
                std::to_string(decoded->block_length), " block of pool ", pool_name, " (",
                decoded->cidr.to_string(), ")");
  }
  const std::string key = model::keys::block(pool_name, block);
  model::BlockAffinity affinity{std::string(pool_name), block, std::string(node), true, unix_now()};
  auto r = store.txn(Txn{{pool_unchanged(pool_name, (*pool)->mod_revision), absent(key)},
                         {TxnOp::put(key, dump_json(encode(affinity)))},
                         {TxnOp::get(key)}});
  if (!r) return wrap(r.error(), "reserving block");
  if (!r->succeeded) {
    if (!r->reads.empty() && !r->reads[0].empty()) {
      auto holder = model::decode_affinity(key, r->reads[0].front().value);
      return fail(Errc::already_exists, "block ", block.to_string(), " is held by ",
                  holder ? holder->node : std::string("an unreadable record"));
    }
    return fail(Errc::conflict, "pool ", pool_name, " changed while reserving; retry");
  }
  return {};
}

Result<void> release_block(store::Store& store, std::string_view pool, const Prefix& block,
                           std::string_view node) {
  const std::string key = model::keys::block(pool, block);
  auto kv = store.get(key);
  if (!kv) return wrap(kv.error(), "reading block");
  if (!*kv) return {};
  auto affinity = model::decode_affinity(key, (*kv)->value);
  if (affinity && affinity->node != node) {
    return fail(Errc::conflict, "block ", block.to_string(), " is held by ", affinity->node, ", not ", node);
  }
  auto r = store.txn(Txn{{Compare{key, Compare::Target::mod_revision, Compare::Op::equal, (*kv)->mod_revision, {}}},
                         {TxnOp::remove(key)},
                         {}});
  if (!r) return wrap(r.error(), "releasing block");
  if (!r->succeeded) return fail(Errc::conflict, "block ", block.to_string(), " changed while releasing; retry");
  return {};
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
