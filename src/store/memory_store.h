// MemoryStore: the embedded, in-process Store, for unit tests and single-host use. Same contract
// and semantics as etcd v3 (see store.h); optionally persisted to one JSON file that every
// successful write replaces atomically (memory_file.h describes the format).
//
// Threads: one lease timer per store (only on the real clock, see below), one delivery thread per
// watch, one per keep-alive. Watch callbacks run with no store lock held.
//
// Time: lease expiries are kept on the Clock given to open() (system_clock() by default).
// - On system_clock(), a timer thread revokes each lease when it expires, as etcd does.
// - On any other clock (a FakeClock in tests) there is no timer: time moves only when the test
//   says so, and expired leases are revoked only by expire_due(). In between, an expired lease
//   already counts as gone for lease calls (renew_lease and lease_ttl answer not_found, a put
//   with it fails), but its keys are still there, as during etcd's short revocation lag:
//
//     FakeClock clock;
//     auto store = *MemoryStore::open("", clock);
//     auto lease = store->grant_lease(10);
//     store->put("/k", "v", lease->id);
//     clock.advance(11s);
//     store->expire_due();                 // "/k" is deleted now, watchers see the delete
//
//   Keep-alive handles still renew every ttl/3 of real time (at the clock's now); a test on a
//   FakeClock renews with renew_lease() instead.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "base/clock.h"
#include "store/store.h"

namespace weft::store {
namespace memory {
class MemoryCore;
}

class MemoryStore final : public Store {
 public:
  // `path` empty: not persisted. Otherwise the state is loaded from `path` when the file exists
  // (Errc::corrupt naming the path and the fault when it cannot be decoded; the file is left as
  // it is) or the file is created (Errc::io when that fails). `clock` must outlive the store.
  static Result<std::unique_ptr<MemoryStore>> open(std::string path, Clock& clock = system_clock());

  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // Revokes every lease whose expiry is at or before the clock's now (each in its own revision,
  // deleting its keys); returns how many. The timer thread does this by itself on the real clock.
  size_t expire_due();

  Result<std::optional<KeyValue>> get(const std::string& key) override;
  Result<RangeResult> list(const std::string& prefix) override;
  Result<int64_t> put(const std::string& key, const std::string& value, LeaseId lease = 0) override;
  Result<int64_t> remove(const std::string& key) override;
  Result<TxnResult> txn(const Txn& txn) override;
  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t from_revision,
                                       WatchCallback callback) override;
  Result<Lease> grant_lease(int64_t ttl_seconds) override;
  Result<int64_t> renew_lease(LeaseId id) override;
  Result<std::unique_ptr<KeepAlive>> keep_alive(LeaseId id) override;
  Result<void> revoke_lease(LeaseId id) override;
  Result<int64_t> lease_ttl(LeaseId id) override;
  Result<void> compact(int64_t revision) override;

 private:
  MemoryStore(std::shared_ptr<memory::MemoryCore> core, bool timer);

  std::shared_ptr<memory::MemoryCore> core_;
  std::jthread expiry_;  // the lease timer; last, so it stops before core_ is released
};

}  // namespace weft::store
