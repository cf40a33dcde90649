// Store: the key-value datastore weft keeps its cluster state in, with etcd v3 semantics.
//
// Two implementations share this contract and one conformance suite
// (tests/integration/store_conformance_test.cc): EtcdStore (etcd v3 over gRPC, for clusters) and
// MemoryStore (in-process, optionally persisted to a file, for unit tests and single hosts).
//
// Semantics (those of etcd v3):
// - Every successful write increments the store's revision by one (a transaction counts once).
//   A key carries create_revision, mod_revision and version (number of writes since creation;
//   a deleted key has version 0 and reads as absent).
// - A key put with a lease vanishes, as a delete event, when the lease expires or is revoked.
// - watch(prefix, from) delivers, in revision order, every change with revision >= from. If
//   `from` was compacted away, the watch re-lists the prefix and delivers it as a Resync batch
//   (the gap is reported, never silently skipped), then continues.
// - All calls are thread-safe. Failures are Result errors: Errc::unavailable when the store
//   cannot be reached (safe to retry), Errc::compacted, Errc::not_found for an unknown lease,
//   Errc::invalid_argument for a malformed request.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace weft::store {

using LeaseId = int64_t;  // 0 = no lease

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
  LeaseId lease = 0;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

struct RangeResult {
  std::vector<KeyValue> kvs;  // sorted by key
  int64_t revision = 0;       // the store revision the read was served at
};

// One condition of a transaction, compared against a single key. An absent key has version,
// create_revision and mod_revision 0; every VALUE compare on an absent key fails, not_equal
// included (etcd's rule).
struct Compare {
  enum class Target { version, create_revision, mod_revision, value, lease };
  enum class Op { equal, not_equal, greater, less };
  std::string key;
  Target target = Target::mod_revision;
  Op op = Op::equal;
  int64_t number = 0;  // for every target but value
  std::string value;   // for Target::value
};

struct TxnOp {
  enum class Kind { put, remove, get, get_prefix, remove_prefix };
  Kind kind = Kind::get;
  std::string key;  // the key, or the prefix for *_prefix
  std::string value;
  LeaseId lease = 0;

  static TxnOp put(std::string key, std::string value, LeaseId lease = 0);
  static TxnOp remove(std::string key);
  static TxnOp get(std::string key);
  static TxnOp get_prefix(std::string prefix);
  static TxnOp remove_prefix(std::string prefix);
};

struct Txn {
  std::vector<Compare> compare;  // all must hold
  std::vector<TxnOp> success;    // run when they do
  std::vector<TxnOp> failure;    // run otherwise
};

struct TxnResult {
  bool succeeded = false;
  int64_t revision = 0;
  // One entry per op of the branch that ran: the keys read (get, get_prefix) or, for writes,
  // empty. A remove reports nothing here; deleted counts are not part of the contract.
  std::vector<std::vector<KeyValue>> reads;
};

struct WatchEvent {
  enum class Type { put, remove };
  Type type = Type::put;
  KeyValue kv;  // for remove: key and mod_revision (the deletion's revision) only
};

struct WatchBatch {
  // Resync: the requested revision was compacted; `events` holds the prefix's full contents as
  // puts at `revision`, and the consumer must treat keys not listed as deleted.
  bool resync = false;
  std::vector<WatchEvent> events;
  int64_t revision = 0;  // the revision this batch brings the watcher up to
};

// Called on a store-owned thread, one batch at a time, in revision order.
using WatchCallback = std::function<void(const WatchBatch&)>;

// A running watch; destroying it cancels the watch (and joins its thread when it has one).
class Watch {
 public:
  virtual ~Watch() = default;
};

// A running lease keep-alive; destroying it stops renewing (the lease then expires on its own).
class KeepAlive {
 public:
  virtual ~KeepAlive() = default;
  // False once the store said the lease is gone (expired or revoked).
  virtual bool alive() const = 0;
};

struct Lease {
  LeaseId id = 0;
  int64_t ttl_seconds = 0;
};

// Whether the store answers, as its own calls find it, with no request of its own: a call that
// got an answer (an error from etcd included) marks it reachable, a call that found no endpoint,
// timed out or lost its connection marks it unreachable, with that call's reason. weftd's
// /healthz reports it (issue 13: not ready while etcd is unreachable, and why).
class StoreReachability {
 public:
  struct View {
    bool reachable = true;
    std::chrono::steady_clock::time_point since{};  // when it last changed (epoch: never)
    std::string why;                                // the failure that made it unreachable
  };
  void answered() {
    std::lock_guard lock(mutex_);
    if (!view_.reachable) view_ = View{true, std::chrono::steady_clock::now(), {}};
  }
  void unanswered(std::string why) {
    std::lock_guard lock(mutex_);
    if (view_.reachable) view_.since = std::chrono::steady_clock::now();
    view_.reachable = false;
    view_.why = std::move(why);
  }
  View view() const {
    std::lock_guard lock(mutex_);
    return view_;
  }

 private:
  mutable std::mutex mutex_;
  View view_;
};

// Counters a caller (benchmarks, metrics) can read; round_trips counts requests that went to the
// store, including failed ones.
struct StoreCounters {
  std::atomic<uint64_t> round_trips{0};
  StoreReachability reachability;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual Result<std::optional<KeyValue>> get(const std::string& key) = 0;
  virtual Result<RangeResult> list(const std::string& prefix) = 0;
  // Returns the revision of the write.
  virtual Result<int64_t> put(const std::string& key, const std::string& value,
                              LeaseId lease = 0) = 0;
  // Returns the number of keys deleted (0 for an absent key is not an error).
  virtual Result<int64_t> remove(const std::string& key) = 0;
  virtual Result<TxnResult> txn(const Txn& txn) = 0;

  virtual Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t from_revision,
                                               WatchCallback callback) = 0;

  virtual Result<Lease> grant_lease(int64_t ttl_seconds) = 0;
  // Renews once; returns the new TTL, or not_found when the lease has expired or never existed.
  virtual Result<int64_t> renew_lease(LeaseId id) = 0;
  // Keeps renewing every ttl/3 until the handle is destroyed.
  virtual Result<std::unique_ptr<KeepAlive>> keep_alive(LeaseId id) = 0;
  virtual Result<void> revoke_lease(LeaseId id) = 0;
  // Remaining TTL in seconds; not_found when the lease is gone.
  virtual Result<int64_t> lease_ttl(LeaseId id) = 0;

  // Discards history before `revision` (watches from earlier revisions then resync).
  virtual Result<void> compact(int64_t revision) = 0;

  StoreCounters& counters() { return counters_; }

 protected:
  StoreCounters counters_;
};

// Opens a store from a URL: "etcd://HOST:PORT[,HOST:PORT...]" (optionally with TLS settings
// from EtcdOptions) or "file:PATH" (MemoryStore persisted to PATH) or "memory:" (not persisted).
struct StoreOptions {
  std::string url;
  std::string tls_ca_file;    // etcd: enables TLS when set
  std::string tls_cert_file;  // etcd: client certificate (with tls_key_file)
  std::string tls_key_file;
  std::chrono::milliseconds request_timeout{5000};
};
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);

}  // namespace weft::store
