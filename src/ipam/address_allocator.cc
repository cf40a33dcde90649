// AddressAllocator: reading state and assigning (release, GC and status: address_release.cc).
#include "ipam/address_allocator.h"

#include "base/log.h"
#include "model/block.h"
#include "ipam/block_leases.h"
#include "base/clock.h"
#include "model/keys.h"
#include "store/optimistic_txn.h"

namespace weft::ipam {

using store::Compare;
using store::KeyValue;
using store::Txn;
using store::TxnOp;

namespace {

// etcd refuses transactions of more than --max-txn-ops (128 by default) operations.
constexpr size_t kReadsPerTxn = 64;

Compare equals(const std::string& key, Compare::Target target, int64_t number) {
  return Compare{key, target, Compare::Op::equal, number, {}};
}

}  // namespace

AddressAllocator::AddressAllocator(store::Store& store, std::string node, int max_attempts)
    : store_(store), node_(std::move(node)), max_attempts_(max_attempts) {}

AddressAllocator::Records& AddressAllocator::records(const std::string& key) { return records_[key]; }

void AddressAllocator::absorb(const std::string& key, const std::vector<KeyValue>& read) {
  Records& r = records_[key];
  if (read.empty()) {
    auto empty = decode_allocations(key, "{}");
    r.allocations = empty ? *empty : BlockAllocations{};
    r.mod_revision = 0;
    r.unreadable = false;
    return;
  }
  r.mod_revision = read.front().mod_revision;
  auto decoded = decode_allocations(key, read.front().value);
  if (!decoded) {
    spdlog::warn("ipam: {}", decoded.error().message);
    r.allocations = BlockAllocations{};
    r.unreadable = true;
    return;
  }
  r.unreadable = false;
  r.allocations = std::move(*decoded);
}

void AddressAllocator::absorb_affinity(const std::string& alloc_key, const std::vector<KeyValue>& read) {
  auto it = held_.find(alloc_key);
  if (it == held_.end()) return;
  bool ours = !read.empty() && read.front().create_revision == it->second.create_revision;
  if (ours) {
    auto affinity = model::decode_affinity(read.front().key, read.front().value);
    ours = affinity && affinity->node == node_;
  }
  if (!ours) {
    spdlog::warn("ipam: block {} of pool {} is no longer held by {}", it->second.block.to_string(), it->second.pool, node_);
    held_.erase(it);
  }
}

Result<void> AddressAllocator::load_records(const std::vector<std::string>& keys) {
  for (size_t start = 0; start < keys.size(); start += kReadsPerTxn) {
    Txn txn;
    const size_t end = std::min(keys.size(), start + kReadsPerTxn);
    for (size_t i = start; i < end; ++i) txn.success.push_back(TxnOp::get(keys[i]));
    auto r = store::with_retry([&] { return store_.txn(txn); });
    if (!r) return wrap(r.error(), "reading allocation records");
    for (size_t i = start; i < end; ++i) absorb(keys[i], r->reads.at(i - start));
  }
  return {};
}

Result<void> AddressAllocator::refresh() {
  auto r = store::with_retry([&] {
    return store_.txn(Txn{{}, {TxnOp::get_prefix(model::keys::pools_prefix()), TxnOp::get_prefix(model::keys::blocks_prefix())}, {}});
  });
  if (!r) return wrap(r.error(), "reading pools and blocks");
  pools_.clear();
  for (const auto& kv : r->reads.at(0)) {
    auto pool = model::decode_pool(kv.value);
    if (!pool) {
      spdlog::warn("ipam: skipping unreadable pool {}: {}", kv.key, pool.error().message);
      continue;
    }
    pools_[pool->name] = *pool;
  }
  std::map<std::string, HeldBlock> held;
  for (const auto& kv : r->reads.at(1)) {
    auto affinity = model::decode_affinity(kv.key, kv.value);
    if (!affinity || affinity->node != node_ || !pools_.contains(affinity->pool)) continue;
    const std::string key = model::keys::allocation(affinity->pool, affinity->block);
    auto previous = held_.find(key);
    held[key] = HeldBlock{affinity->pool, affinity->block, kv.key, kv.create_revision,
                          previous == held_.end() ? 1 : previous->second.cursor};
  }
  held_ = std::move(held);
  std::vector<std::string> keys;
  for (const auto& [key, h] : held_) keys.push_back(key);
  if (auto loaded = load_records(keys); !loaded) return loaded;
  loaded_ = true;
  return {};
}

const model::Pool* AddressAllocator::choose_pool(Family family, const std::vector<std::string>& filter) const {
  const model::Pool* first = nullptr;
  for (const auto& [name, pool] : pools_) {
    if (pool.disabled || pool.cidr.family() != family) continue;
    if (!filter.empty() && std::find(filter.begin(), filter.end(), name) == filter.end()) continue;
    for (const auto& [key, h] : held_) {
      if (h.pool == name) return &pool;  // prefer a pool the node already has blocks in
    }
    if (first == nullptr) first = &pool;
  }
  return first;
}

Result<void> AddressAllocator::track_claimed(const model::Pool& pool, const Prefix& block) {
  const std::string affinity_key = model::keys::block(pool.name, block);
  const std::string key = model::keys::allocation(pool.name, block);
  auto r = store::with_retry([&] { return store_.txn(Txn{{}, {TxnOp::get(affinity_key), TxnOp::get(key)}, {}}); });
  if (!r) return wrap(r.error(), "reading the claimed block");
  const auto& affinity = r->reads.at(0);
  if (affinity.empty()) return fail(Errc::conflict, "block ", block.to_string(), " vanished right after it was claimed");
  auto previous = held_.find(key);
  held_[key] = HeldBlock{pool.name, block, affinity_key, affinity.front().create_revision,
                         previous == held_.end() ? 1 : previous->second.cursor};
  absorb(key, r->reads.at(1));
  return {};
}

Result<AddressAllocator::Pick> AddressAllocator::pick_in_pool(const model::Pool& pool, store::LeaseId lease, int& claims) {
  // A claimed block can come back full (a reservation of ours, leftovers of an earlier holder):
  // then claim again, a bounded number of times.
  for (int round = 0; round < 8; ++round) {
    if (auto pick = pick_cached(pool)) return *pick;
    const bool holds_any = std::any_of(held_.begin(), held_.end(), [&](const auto& h) { return h.second.pool == pool.name; });
    auto claim = claim_block(store_, {.pool = pool.name, .node = node_, .lease = lease, .additional = holds_any});
    if (!claim) return std::unexpected(claim.error());
    ++claims;
    spdlog::info("ipam: pool {}: {} block {}", pool.name, claim->already_held ? "found held" : "claimed",
                 claim->block.to_string());
    if (auto tracked = track_claimed(pool, claim->block); !tracked) return std::unexpected(tracked.error());
  }
  return fail(Errc::exhausted, "pool ", pool.name, ": every block claimed for this node is full");
}

Result<AddressAllocator::Pick> AddressAllocator::pick_fixed(const IpAddress& address, std::string_view container_id,
                                                            std::string_view ifname) {
  for (const auto& [key, h] : held_) {
    if (!h.block.contains(address)) continue;
    const Records& r = records(key);
    if (r.unreadable) return fail(Errc::corrupt, key, " cannot be read; fix or delete it by hand");
    auto it = r.allocations.addresses.find(address);
    if (it != r.allocations.addresses.end() &&
        (it->second.container_id != container_id || it->second.ifname != ifname)) {
      return fail(Errc::conflict, address.to_string(), " is allocated to ", it->second.container_id, "/",
                  it->second.ifname, " on ", it->second.node);
    }
    return Pick{key, address};
  }
  return fail(Errc::conflict, address.to_string(), " is in no block ", node_, " holds now");
}

std::optional<AddressAllocator::Pick> AddressAllocator::pick_cached(const model::Pool& pool) {
  for (auto& [key, h] : held_) {
    if (h.pool != pool.name) continue;
    const Records& r = records(key);
    if (r.unreadable) continue;  // never allocate over a record we cannot read
    std::set<IpAddress> used;
    for (const auto& [address, record] : r.allocations.addresses) used.insert(address);
    if (auto address = pick_free_address(h.block, used, h.cursor)) return Pick{key, *address};
  }
  return std::nullopt;
}

Result<Assignment> AddressAllocator::assign_cached(const AssignRequest& request) {
  if (!loaded_) return fail(Errc::unavailable, "the store is unreachable and this node's blocks were never read");
  const model::Endpoint& wanted = request.endpoint;
  Assignment out{.endpoint = wanted};
  out.endpoint.node = node_;
  out.endpoint.created_at_unix = unix_now();
  out.endpoint.addresses.clear();
  // Addresses the cache gives this attachment already (a repeated ADD).
  for (const auto& [key, r] : records_) {
    auto held = held_.find(key);
    if (held == held_.end()) continue;
    for (const auto& [address, record] : r.allocations.addresses) {
      if (record.container_id == wanted.container_id && record.ifname == wanted.ifname) {
        out.endpoint.addresses.push_back({address, held->second.pool, held->second.block});
      }
    }
  }
  if (!out.endpoint.addresses.empty()) {
    out.existing = true;
    return out;
  }
  std::vector<Pick> picks;
  for (Family family : {Family::v4, Family::v6}) {
    const model::Pool* pool = choose_pool(family, request.pools);
    if (pool == nullptr) continue;
    auto pick = pick_cached(*pool);
    if (!pick) {
      return fail(Errc::exhausted, "pool ", pool->name,
                  ": no free address in the blocks this node holds, and the store is unreachable to claim another");
    }
    picks.push_back(*pick);
  }
  if (picks.empty()) return fail(Errc::not_found, "no pool to allocate from");
  for (const auto& pick : picks) {
    HeldBlock& h = held_.at(pick.key);
    records(pick.key).allocations.addresses[pick.address] =
        AllocationRecord{wanted.container_id, wanted.ifname, node_, out.endpoint.created_at_unix};
    h.cursor = offset_in_block(h.block, pick.address) + 1;
    out.endpoint.addresses.push_back({pick.address, h.pool, h.block});
  }
  return out;
}

void AddressAllocator::forget_cached(std::string_view container_id, std::string_view ifname) {
  for (auto& [key, r] : records_) {
    std::erase_if(r.allocations.addresses, [&](const auto& entry) {
      return entry.second.container_id == container_id && entry.second.ifname == ifname;
    });
  }
}

Result<Assignment> AddressAllocator::assign(const AssignRequest& request) {
  const model::Endpoint& wanted = request.endpoint;
  if (!loaded_) {
    if (auto r = refresh(); !r) return std::unexpected(r.error());
  }
  const std::string ep_key = model::keys::endpoint(node_, wanted.container_id, wanted.ifname);
  Assignment out;
  // Of the current attempt: its picks, and the endpoint and time it records.
  std::vector<Pick> picks;
  model::Endpoint ep;
  int64_t now = 0;
  // Decides from the cache (no read before the first attempt: one round trip with a warm cache);
  // a lost race re-reads the endpoint and the picked records and affinities by their keys.
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Assignment> {
    if (const KeyValue* existing = reads.one(ep_key)) {
      auto decoded = model::decode_endpoint(ep_key, existing->value);
      if (!decoded) return std::unexpected(decoded.error());
      out.endpoint = std::move(*decoded);
      out.existing = true;
      return out;
    }
    for (const auto& pick : picks) {
      if (reads.has(pick.key)) absorb(pick.key, reads.all(pick.key));
      auto held = held_.find(pick.key);
      if (held != held_.end() && reads.has(held->second.affinity_key)) {
        absorb_affinity(pick.key, reads.all(held->second.affinity_key));
      }
    }
    picks.clear();
    bool any_pool = !request.fixed.empty();
    for (const auto& address : request.fixed) {
      auto pick = pick_fixed(address, wanted.container_id, wanted.ifname);
      if (!pick) return std::unexpected(pick.error());
      picks.push_back(*pick);
    }
    for (Family family : {Family::v4, Family::v6}) {
      if (!request.fixed.empty()) break;
      const model::Pool* pool = choose_pool(family, request.pools);
      if (pool == nullptr) continue;
      any_pool = true;
      auto pick = pick_in_pool(*pool, request.lease, out.block_claims);
      if (!pick) {
        // A repeated ADD must still get its addresses when the pool has filled up since.
        auto existing = find(wanted.container_id, wanted.ifname);
        if (existing && *existing) return Assignment{**existing, true, out.attempts, out.block_claims};
        return wrap(pick.error(), "pool " + pool->name);
      }
      picks.push_back(*pick);
    }
    if (!any_pool) {
      return fail(Errc::not_found, request.pools.empty() ? "no pool to allocate from"
                                                          : "none of the requested pools exists");
    }

    now = unix_now();
    ep = wanted;
    ep.node = node_;
    ep.created_at_unix = now;
    ep.addresses.clear();
    store::Write<Assignment> write;
    write.compare.push_back(equals(ep_key, Compare::Target::create_revision, 0));
    write.reread.push_back(store::Read::one(ep_key, ep_key));
    for (const auto& pick : picks) {
      const HeldBlock& h = held_.at(pick.key);
      const Records& r = records(pick.key);
      ep.addresses.push_back({pick.address, h.pool, h.block});
      BlockAllocations next = r.allocations;
      next.addresses[pick.address] = AllocationRecord{wanted.container_id, wanted.ifname, node_, now};
      write.compare.push_back(equals(pick.key, Compare::Target::mod_revision, r.mod_revision));
      write.compare.push_back(equals(h.affinity_key, Compare::Target::create_revision, h.create_revision));
      write.ops.push_back(TxnOp::put(pick.key, dump_json(encode(next))));
      write.reread.push_back(store::Read::one(pick.key, pick.key));
      write.reread.push_back(store::Read::one(h.affinity_key, h.affinity_key));
    }
    write.ops.push_back(TxnOp::put(ep_key, dump_json(encode(ep))));
    write.done = [&](const store::TxnResult& r) -> Result<Assignment> {
      for (const auto& pick : picks) {
        Records& rec = records(pick.key);
        rec.allocations.addresses[pick.address] = AllocationRecord{wanted.container_id, wanted.ifname, node_, now};
        rec.mod_revision = r.revision;
        HeldBlock& h = held_.at(pick.key);
        h.cursor = offset_in_block(h.block, pick.address) + 1;
      }
      out.endpoint = std::move(ep);
      return out;
    };
    ++out.attempts;
    return write;
  };
  return store::optimistic_txn<Assignment>(
      store_, {.what = "recording the allocation for " + wanted.container_id, .reads = {}, .decide = decide,
               .max_conflicts = max_attempts_});
}

}  // namespace weft::ipam
