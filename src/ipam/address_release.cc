// AddressAllocator: releasing, finding, garbage collection and status (see address_allocator.h).
#include "base/log.h"
#include "ipam/address_allocator.h"
#include "model/keys.h"
#include "store/optimistic_txn.h"

namespace weft::ipam {

using store::Compare;
using store::KeyValue;
using store::Txn;
using store::TxnOp;

namespace {

bool same_attachment(const AllocationRecord& r, std::string_view container_id, std::string_view ifname) {
  return r.container_id == container_id && r.ifname == ifname;
}

}  // namespace

Result<std::optional<model::Endpoint>> AddressAllocator::find(std::string_view container_id, std::string_view ifname) {
  const std::string key = model::keys::endpoint(node_, container_id, ifname);
  auto kv = store::with_retry([&] { return store_.get(key); });
  if (!kv) return wrap(kv.error(), "reading endpoint");
  if (!*kv) return std::optional<model::Endpoint>{};
  auto ep = model::decode_endpoint(key, (*kv)->value);
  if (!ep) return std::unexpected(ep.error());
  return std::optional<model::Endpoint>{std::move(*ep)};
}

Result<std::vector<model::Endpoint>> AddressAllocator::endpoints() {
  auto listing = store::with_retry([&] { return store_.list(model::keys::node_endpoints_prefix(node_)); });
  if (!listing) return wrap(listing.error(), "listing endpoints");
  std::vector<model::Endpoint> out;
  for (const auto& kv : listing->kvs) {
    auto ep = model::decode_endpoint(kv.key, kv.value);
    if (!ep) {
      spdlog::warn("ipam: {}", ep.error().message);
      continue;
    }
    out.push_back(std::move(*ep));
  }
  return out;
}

Result<std::optional<model::Endpoint>> AddressAllocator::release(std::string_view container_id, std::string_view ifname) {
  using Released = std::optional<model::Endpoint>;
  const std::string ep_key = model::keys::endpoint(node_, container_id, ifname);
  std::set<std::string> asked;  // allocation records read through the snapshot (named by key)
  std::vector<std::pair<std::string, BlockAllocations>> next;  // the records the write rewrites
  model::Endpoint released;
  auto decide = [&](const store::Snapshot& reads) -> store::Decision<Released> {
    for (const auto& key : asked) {
      if (reads.has(key)) absorb(key, reads.all(key));
    }
    const KeyValue* kv = reads.one(ep_key);
    std::optional<model::Endpoint> ep;
    int64_t ep_revision = 0;
    if (kv != nullptr) {
      ep_revision = kv->mod_revision;
      auto decoded = model::decode_endpoint(ep_key, kv->value);
      // An unreadable endpoint is still deleted; its allocations are found by the scan below.
      if (decoded) ep = std::move(*decoded);
      else spdlog::warn("ipam: deleting unreadable {}", decoded.error().message);
    }
    // The records to rewrite: those the endpoint names, and any cached one that holds an
    // address of this attachment without an endpoint saying so (a half-done manual cleanup).
    std::set<std::string> keys;
    if (ep) {
      for (const auto& a : ep->addresses) keys.insert(model::keys::allocation(a.pool, a.block));
    }
    for (const auto& [key, r] : records_) {
      for (const auto& [address, record] : r.allocations.addresses) {
        if (record.node == node_ && same_attachment(record, container_id, ifname)) keys.insert(key);
      }
    }
    if (kv == nullptr && keys.empty()) return Released{};
    store::More missing;
    for (const auto& key : keys) {
      if (records_.contains(key)) continue;
      missing.reads.push_back(store::Read::one(key, key));
      asked.insert(key);
    }
    if (!missing.reads.empty()) return missing;

    released = ep.value_or(model::Endpoint{node_, std::string(container_id), std::string(ifname)});
    if (!ep) released.addresses.clear();
    store::Write<Released> write;
    write.compare.push_back(Compare{ep_key, Compare::Target::mod_revision, Compare::Op::equal, ep_revision, {}});
    write.reread.push_back(store::Read::one(ep_key, ep_key));
    if (kv != nullptr) write.ops.push_back(TxnOp::remove(ep_key));
    next.clear();
    for (const auto& key : keys) {
      const Records& r = records_.at(key);
      if (r.unreadable) return fail(Errc::corrupt, key, " cannot be read; fix or delete it by hand");
      BlockAllocations n = r.allocations;
      std::erase_if(n.addresses, [&](const auto& entry) {
        const auto& [address, record] = entry;
        if (!same_attachment(record, container_id, ifname)) return false;
        if (!ep) released.addresses.push_back({address, n.pool, n.block});
        return true;
      });
      if (n.addresses.size() == r.allocations.addresses.size()) continue;  // nothing of ours there
      write.compare.push_back(Compare{key, Compare::Target::mod_revision, Compare::Op::equal, r.mod_revision, {}});
      write.ops.push_back(n.addresses.empty() ? TxnOp::remove(key) : TxnOp::put(key, dump_json(encode(n))));
      write.reread.push_back(store::Read::one(key, key));
      asked.insert(key);
      next.emplace_back(key, std::move(n));
    }
    if (write.ops.empty()) return Released{};
    write.done = [&](const store::TxnResult& r) -> Result<Released> {
      for (auto& [key, n] : next) {
        Records& rec = records_[key];
        rec.allocations = std::move(n);
        rec.mod_revision = rec.allocations.addresses.empty() ? 0 : r.revision;
      }
      return Released{std::move(released)};
    };
    return write;
  };
  return store::optimistic_txn<Released>(
      store_, {.what = "releasing " + std::string(container_id),
               .reads = {store::Read::one(ep_key, ep_key)},
               .decide = decide,
               .max_conflicts = max_attempts_});
}

Result<GcResult> AddressAllocator::collect_garbage(const std::set<protocol::Attachment>& valid,
                                                   int64_t grace_seconds, int64_t now_unix) {
  if (auto r = refresh(); !r) return std::unexpected(r.error());
  auto eps = endpoints();
  if (!eps) return std::unexpected(eps.error());
  std::set<protocol::Attachment> stale, seen;
  GcResult out;
  auto consider = [&](const std::string& id, const std::string& ifname, int64_t since) {
    protocol::Attachment a{id, ifname};
    if (valid.contains(a) || !seen.insert(a).second) return;  // an endpoint and its records count once
    if (now_unix - since < grace_seconds) {
      ++out.spared;
      return;
    }
    stale.insert(std::move(a));
  };
  for (const auto& ep : *eps) consider(ep.container_id, ep.ifname, ep.created_at_unix);
  for (const auto& [key, h] : held_) {
    for (const auto& [address, record] : records_[key].allocations.addresses) {
      if (record.node == node_) consider(record.container_id, record.ifname, record.allocated_at_unix);
    }
  }
  for (const auto& a : stale) {
    auto released = release(a.container_id, a.ifname);
    if (!released) {
      out.errors.push_back(a.container_id + "/" + a.ifname + ": " + released.error().message);
      continue;
    }
    if (*released) out.released.push_back(a);
  }
  return out;
}

Result<AllocatorStatus> AddressAllocator::status() {
  if (auto r = refresh(); !r) return std::unexpected(r.error());
  AllocatorStatus s;
  for (const auto& [name, pool] : pools_) s.pools += pool.disabled ? 0 : 1;
  s.blocks = held_.size();
  for (const auto& [key, h] : held_) s.used += records_[key].allocations.addresses.size();
  return s;
}

}  // namespace weft::ipam
