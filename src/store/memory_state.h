// The data of a MemoryStore and the etcd v3 rules that change it: no locking, no threads, no
// files. memory_core.cc serialises access to a State; memory_file.cc saves and loads it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "store/store.h"

namespace weft::store::memory {

// Expiries are kept on the monotonic clock so a wall-clock step cannot expire or prolong a lease;
// the file stores them as wall-clock time (the monotonic clock restarts with the process).
using Clock = std::chrono::steady_clock;

// etcd's limits on a lease's TTL (its minimum depends on the cluster's election timeout; one
// second is what an etcd with a sub-second election timeout grants).
inline constexpr int64_t kMinLeaseTtl = 1;
inline constexpr int64_t kMaxLeaseTtl = 9'000'000'000;

struct LeaseRecord {
  int64_t ttl_seconds = 0;  // as granted; a renewal restores the full TTL
  Clock::time_point expiry;
  std::set<std::string, std::less<>> keys;  // the keys put with this lease
};

struct State {
  int64_t revision = 1;          // etcd starts at revision 1 with no keys
  int64_t compact_revision = 0;  // argument of the last compact(), 0 = never compacted
  LeaseId next_lease_id = 1;     // persisted so an id is never handed out twice
  std::map<std::string, KeyValue, std::less<>> keys;
  std::map<LeaseId, LeaseRecord> leases;
};

Result<void> check_key(std::string_view key);

// Exists and has not reached its expiry (the timer may not have revoked it yet).
bool lease_alive(const State& state, LeaseId id, Clock::time_point now);

std::optional<KeyValue> find_key(const State& state, std::string_view key);
// Every key starting with `prefix` (all keys for ""), sorted bytewise as etcd sorts them.
std::vector<KeyValue> range(const State& state, std::string_view prefix);

// Applies the writes of one request (a put, a remove, a transaction, a lease's revocation) at one
// new revision. As in etcd, a request that changes nothing leaves the revision alone.
class Writer {
 public:
  explicit Writer(State& state) : state_(state), revision_(state.revision + 1) {}

  // The lease must exist (checked by the caller); 0 detaches the key from any lease.
  void put(const std::string& key, const std::string& value, LeaseId lease);
  int64_t remove(std::string_view key);
  int64_t remove_prefix(std::string_view prefix);
  // Bumps the revision when anything changed; returns the changes as watch events, in the order
  // they were made (empty when nothing changed).
  std::vector<WatchEvent> finish();

 private:
  void erase(std::map<std::string, KeyValue, std::less<>>::iterator it);

  State& state_;
  int64_t revision_;  // the revision every change of this request carries
  std::vector<WatchEvent> events_;
};

// Revokes a lease: deletes it and its keys (one revision when it had any). Returns the events.
std::vector<WatchEvent> revoke(State& state, LeaseId id);

bool compare_holds(const State& state, const Compare& compare);

// Runs a transaction, etcd's way: requests that are malformed in either branch (an empty key, the
// same key written twice) fail with invalid_argument; a put with an unknown lease in the branch
// that runs fails with not_found; in both cases nothing is applied. Reads see the branch's earlier
// writes. `events` receives the changes.
Result<TxnResult> run_txn(State& state, const Txn& txn, Clock::time_point now,
                          std::vector<WatchEvent>& events);

}  // namespace weft::store::memory
