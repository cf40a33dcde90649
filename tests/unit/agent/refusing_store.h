// RefusingStore: a Store for tests that forwards to another one until it is taken down; then every
// call fails as etcd's client fails when no member answers (Errc::unavailable), and the store's
// reachability says so, as the etcd client reports it. Watches and leases created before keep
// working: the test changes what the agent's calls see, not its background threads.
#pragma once

#include <atomic>

#include "forwarding_store.h"

namespace weft::agent {

class RefusingStore : public ForwardingStore {
 public:
  explicit RefusingStore(store::Store& inner) : ForwardingStore(inner) {}

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
    return ForwardingStore::get(key);
  }
  Result<store::RangeResult> list(const std::string& prefix) override {
    if (down_) return refused();
    return ForwardingStore::list(prefix);
  }
  Result<int64_t> put(const std::string& key, const std::string& value, store::LeaseId lease = 0) override {
    if (down_) return refused();
    return ForwardingStore::put(key, value, lease);
  }
  Result<int64_t> remove(const std::string& key) override {
    if (down_) return refused();
    return ForwardingStore::remove(key);
  }
  Result<store::TxnResult> txn(const store::Txn& txn) override {
    if (down_) return refused();
    return ForwardingStore::txn(txn);
  }

 private:
  std::unexpected<Error> refused() {
    counters().reachability.unanswered("test: the store is down");
    return std::unexpected(Error{Errc::unavailable, "test: the store is down"});
  }

  std::atomic<bool> down_{false};
};

}  // namespace weft::agent
