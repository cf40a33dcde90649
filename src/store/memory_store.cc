#include "store/memory_store.h"

#include "store/memory_core.h"

namespace weft::store {

Result<std::unique_ptr<MemoryStore>> MemoryStore::open(std::string path, Clock& clock) {
  auto core = memory::MemoryCore::open(std::move(path), clock);
  if (!core) return std::unexpected(core.error());
  // The timer sleeps on the real clock; on any other clock expiries wait for expire_due().
  return std::unique_ptr<MemoryStore>(new MemoryStore(std::move(*core), &clock == &system_clock()));
}

MemoryStore::MemoryStore(std::shared_ptr<memory::MemoryCore> core, bool timer) : core_(std::move(core)) {
  if (timer) expiry_ = std::jthread([core = core_.get()](std::stop_token stop) { core->run_expiry(stop); });
}

MemoryStore::~MemoryStore() = default;

size_t MemoryStore::expire_due() { return core_->expire_now(); }

// Each call is one request to the store, counted as one round trip as an EtcdStore counts its
// RPCs (keep-alive renewals run in the background and are not counted by either).

Result<std::optional<KeyValue>> MemoryStore::get(const std::string& key) {
  ++counters_.round_trips;
  return core_->get(key);
}

Result<RangeResult> MemoryStore::list(const std::string& prefix) {
  ++counters_.round_trips;
  return core_->list(prefix);
}

Result<int64_t> MemoryStore::put(const std::string& key, const std::string& value, LeaseId lease) {
  ++counters_.round_trips;
  return core_->put(key, value, lease);
}

Result<int64_t> MemoryStore::remove(const std::string& key) {
  ++counters_.round_trips;
  return core_->remove(key);
}

Result<TxnResult> MemoryStore::txn(const Txn& txn) {
  ++counters_.round_trips;
  return core_->txn(txn);
}

Result<std::unique_ptr<Watch>> MemoryStore::watch(const std::string& prefix, int64_t from_revision,
                                                  WatchCallback callback) {
  ++counters_.round_trips;
  return core_->watch(prefix, from_revision, std::move(callback));
}

Result<Lease> MemoryStore::grant_lease(int64_t ttl_seconds) {
  ++counters_.round_trips;
  return core_->grant_lease(ttl_seconds);
}

Result<int64_t> MemoryStore::renew_lease(LeaseId id) {
  ++counters_.round_trips;
  return core_->renew_lease(id);
}

Result<std::unique_ptr<KeepAlive>> MemoryStore::keep_alive(LeaseId id) {
  ++counters_.round_trips;
  return core_->keep_alive(id);
}

Result<void> MemoryStore::revoke_lease(LeaseId id) {
  ++counters_.round_trips;
  return core_->revoke_lease(id);
}

Result<int64_t> MemoryStore::lease_ttl(LeaseId id) {
  ++counters_.round_trips;
  return core_->lease_ttl(id);
}

Result<void> MemoryStore::compact(int64_t revision) {
  ++counters_.round_trips;
  return core_->compact(revision);
}

}  // namespace weft::store
