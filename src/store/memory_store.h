// MemoryStore: the embedded, in-process Store, for unit tests and single-host use. Same contract
// and semantics as etcd v3 (see store.h); optionally persisted to one JSON file that every
// successful write replaces atomically (memory_file.h describes the format).
//
// Threads: one lease timer per store, one delivery thread per watch, one per keep-alive. Watch
// callbacks run with no store lock held.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "store/store.h"

namespace weft::store {
namespace memory {
class MemoryCore;
}

class MemoryStore final : public Store {
 public:
  // `path` empty: not persisted. Otherwise the state is loaded from `path` when the file exists
  // (Errc::corrupt naming the path and the fault when it cannot be decoded; the file is left as
  // it is) or the file is created (Errc::io when that fails).
  static Result<std::unique_ptr<Store>> open(std::string path);

  ~MemoryStore() override;
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

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
  explicit MemoryStore(std::shared_ptr<memory::MemoryCore> core);

  std::shared_ptr<memory::MemoryCore> core_;
  std::jthread expiry_;  // the lease timer; last, so it stops before core_ is released
};

}  // namespace weft::store
