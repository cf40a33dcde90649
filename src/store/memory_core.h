// The thread-safe heart of a MemoryStore: the State behind one mutex, the event history that
// lets a watch start in the past, the running watches, persistence and lease expiry.
//
// Every write follows the same steps under the mutex: check, apply to the State (keeping a copy
// when persisted), save the file (restoring the copy if that fails, so an error means nothing
// happened), then log the events and queue them to the watches. Callbacks never run here.
//
// MemoryStore owns the core; keep-alive handles hold a weak reference so they may outlive it.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/result.h"
#include "store/memory_state.h"
#include "store/memory_watch.h"
#include "store/store.h"

namespace weft::store::memory {

// The events of recent revisions, one entry per revision, for watches that start in the past.
class History {
 public:
  // Bounded so a long-running store does not grow without limit; a watch from before the
  // retained window resyncs, as it would after a compaction.
  static constexpr size_t kMaxEvents = 100'000;

  explicit History(int64_t start) : start_(start) {}

  // The oldest revision a watch can start from and still be replayed every change.
  int64_t start() const { return start_; }
  void append(int64_t revision, std::vector<WatchEvent> events);
  void compact(int64_t revision);  // forgets revisions below `revision`
  void replay(int64_t from, WatchFeed& feed) const;

 private:
  struct Entry {
    int64_t revision;
    std::vector<WatchEvent> events;
  };
  std::deque<Entry> entries_;
  size_t events_ = 0;
  int64_t start_;
};

class MemoryCore : public std::enable_shared_from_this<MemoryCore> {
 public:
  // Loads `path` (or creates it with an empty state); "" for a store that is not persisted.
  // Lease expiries are kept on `clock`, which must outlive the core.
  static Result<std::shared_ptr<MemoryCore>> open(std::string path, weft::Clock& clock);
  MemoryCore(std::string path, State state, int64_t history_start, weft::Clock& clock);

  Result<std::optional<KeyValue>> get(const std::string& key);
  Result<RangeResult> list(const std::string& prefix);
  Result<int64_t> put(const std::string& key, const std::string& value, LeaseId lease);
  Result<int64_t> remove(const std::string& key);
  Result<TxnResult> txn(const Txn& txn);
  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t from_revision,
                                       WatchCallback callback);
  Result<Lease> grant_lease(int64_t ttl_seconds);
  Result<int64_t> renew_lease(LeaseId id);
  Result<std::unique_ptr<KeepAlive>> keep_alive(LeaseId id);
  Result<void> revoke_lease(LeaseId id);
  Result<int64_t> lease_ttl(LeaseId id);
  Result<void> compact(int64_t revision);

  // The lease timer: revokes each lease when it expires, until `stop` is requested.
  void run_expiry(std::stop_token stop);
  // Revokes every lease whose expiry is at or before the clock's now; returns how many.
  size_t expire_now();

 private:
  std::optional<State> backup() const;
  // Saves the state when persisted; on failure restores `before` and returns the error.
  Result<void> save(std::optional<State>& before);
  // Logs the events of the write that just reached state_.revision and queues them to watches.
  void publish(std::vector<WatchEvent> events);
  size_t expire_due(Clock::time_point now);

  const std::string path_;
  weft::Clock& clock_;
  std::mutex mu_;
  std::condition_variable_any expiry_changed_;  // a lease was granted: the timer recomputes
  bool new_lease_ = false;
  State state_;
  History history_;
  std::vector<std::shared_ptr<WatchFeed>> feeds_;
};

}  // namespace weft::store::memory
