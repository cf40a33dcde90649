// NodeLease: the store lease a node's block affinities hang on (flannel's subnet lease, improved).
//
// - One lease per node, not per block: renewing it keeps every block of the node.
// - Renewed with the store's lease keep-alive every ttl/3; the affinity keys are never re-put, so
//   watchers see no churn. Each renewal also rewrites the node's small liveness record (its
//   renewal time), which lets `list_blocks` report every block's expiry in one read.
// - acquire() after a restart finds the node's lease through its liveness record and keeps using
//   it while it is alive, so the node keeps its blocks; only a node gone longer than the TTL
//   loses them (the lease expires and the store deletes the affinities).
// - Every store call is retried on transient failures per store/retry.h (about 5 s), so a
//   loaded or briefly unreachable etcd does not fail an acquire or a renewal at once.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.h"
#include "store/retry.h"
#include "store/store.h"

namespace weft::ipam {

class NodeLease {
 public:
  struct Options {
    std::string node;
    int64_t ttl_seconds = 24 * 3600;
    bool renew_in_background = true;  // false: the caller calls renew() itself (tests, tools)
  };

  static Result<std::unique_ptr<NodeLease>> acquire(store::Store& store, Options options);
  // Stops renewing; does not revoke, so the node's blocks stay held for the TTL.
  ~NodeLease();
  NodeLease(const NodeLease&) = delete;
  NodeLease& operator=(const NodeLease&) = delete;

  store::LeaseId id() const { return id_; }
  const std::string& node() const { return options_.node; }
  int64_t ttl_seconds() const { return options_.ttl_seconds; }
  bool reused() const { return reused_; }  // acquire() found the node's live lease
  bool lost() const { return lost_; }      // the store reported the lease gone

  // One renewal and liveness update. not_found (and lost() true) when the lease has expired.
  Result<void> renew();
  // Revokes the lease: the node gives up every leased (not reserved) block at once.
  Result<void> release();

 private:
  NodeLease(store::Store& store, Options options, store::LeaseId id, bool reused);
  Result<void> renew(const store::RetryPolicy& retry);
  Result<void> write_liveness(const store::RetryPolicy& retry);
  void renew_loop();

  store::Store& store_;
  Options options_;
  store::LeaseId id_;
  bool reused_;
  std::atomic<bool> lost_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread renewer_;
};

}  // namespace weft::ipam
