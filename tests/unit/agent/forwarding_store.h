// ForwardingStore: a Store for tests that passes every call to another one. Test stores that
// change a few calls (GatedStore holds writes, RefusingStore fails them all) derive from it and
// override only those.
#pragma once

#include "store/store.h"

namespace weft::agent {

class ForwardingStore : public store::Store {
 public:
  explicit ForwardingStore(store::Store& inner) : inner_(inner) {}

  Result<std::optional<store::KeyValue>> get(const std::string& key) override { return inner_.get(key); }
  Result<store::RangeResult> list(const std::string& prefix) override { return inner_.list(prefix); }
  Result<int64_t> put(const std::string& key, const std::string& value, store::LeaseId lease = 0) override {
    return inner_.put(key, value, lease);
  }
  Result<int64_t> remove(const std::string& key) override { return inner_.remove(key); }
  Result<store::TxnResult> txn(const store::Txn& txn) override { return inner_.txn(txn); }
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
  store::Store& inner_;
};

}  // namespace weft::agent
