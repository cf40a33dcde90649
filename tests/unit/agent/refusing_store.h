// RefusingStore: a Store for tests that forwards to another one until it is taken down; then every
// call fails as etcd's client fails when no member answers (Errc::unavailable), and the store's
// reachability says so, as the etcd client reports it. Watches and leases created before keep
// working: the test changes what the agent's calls see, not its background threads.
#pragma once

#include <atomic>

#include "store/store.h"

namespace weft::agent {

class RefusingStore : public store::Store {
 public:
  explicit RefusingStore(store::Store& inner) : inner_(inner) {}

  void down() {
    down_ = true;
    counters().reachability.unanswered("test: the store is down");  // as the agent's watch finds it
  }
  void up() {
    down_ = false;
    counters().reachability.answered();  // as the agent's watch finds it when etcd is back
  }

  Result<std::optional<store::KeyValue>> get(const std::string& key) override {
    if (down_) return refused();
    return inner_.get(key);
  }
  Result<store::RangeResult> list(const std::string& prefix) override {
    if (down_) return refused();
    return inner_.list(prefix);
  }
  Result<int64_t> put(const std::string& key, const std::string& value, store::LeaseId lease = 0) override {
    if (down_) return refused();
    return inner_.put(key, value, lease);
  }
  Result<int64_t> remove(const std::string& key) override {
    if (down_) return refused();
    return inner_.remove(key);
  }
  Result<store::TxnResult> txn(const store::Txn& txn) override {
    if (down_) return refused();
    return inner_.txn(txn);
  }
  Result<std::unique_ptr<store::Watch>> watch(const std::string& prefix, int64_t from_revision,
                                              store::WatchCallback callback) override {
    return inner_.watch(prefix, from_revision, std::move(callback));
  }
  Result<store::Lease> grant_lease(int64_t ttl_seconds) override { return inner_.grant_lease(ttl_seconds); }
  Result<int64_t> renew_lease(store::LeaseId id) override { return inner_.renew_lease(id); }
  Result<std::unique_ptr<store::KeepAlive>> keep_alive(store::LeaseId id) override { return inner_.keep_alive(id); }
  Result<void> revoke_lease(store::LeaseId id) override { return inner_.revoke_lease(id); }
  Result<int64_t> lease_ttl(store::LeaseId id) override { return inner_.lease_ttl(id); }
  Result<void> compact(int64_t revision) override { return inner_.compact(revision); }

 private:
  std::unexpected<Error> refused() {
    counters().reachability.unanswered("test: the store is down");
    return std::unexpected(Error{Errc::unavailable, "test: the store is down"});
  }

  store::Store& inner_;
  std::atomic<bool> down_{false};
};

}  // namespace weft::agent
