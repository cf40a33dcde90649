// GatedStore: a Store for tests that forwards to another one, but holds every write (put, remove,
// txn) while its gate is closed — a hung etcd, as the agent sees it, without timing. Reads,
// watches and leases pass through, so the test can change the store behind the gate.
//
// waiting() counts the writes being held, so a test waits for the one it expects instead of
// sleeping. open() lets them through; the destructor opens too (a held thread must not outlive it).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "forwarding_store.h"

namespace weft::agent {

class GatedStore : public ForwardingStore {
 public:
  explicit GatedStore(store::Store& inner) : ForwardingStore(inner) {}
  ~GatedStore() override { open(); }

  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      closed_ = false;
    }
    opened_.notify_all();
  }
  int waiting() const {
    std::lock_guard lock(mutex_);
    return waiting_;
  }
  // For tests without a loop to drive: waits until `n` writes are held (false after `timeout`).
  bool await_waiting(int n, std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    return held_.wait_for(lock, timeout, [&] { return waiting_ >= n; });
  }

  Result<int64_t> put(const std::string& key, const std::string& value, store::LeaseId lease = 0) override {
    pass();
    return ForwardingStore::put(key, value, lease);
  }
  Result<int64_t> remove(const std::string& key) override {
    pass();
    return ForwardingStore::remove(key);
  }
  Result<store::TxnResult> txn(const store::Txn& txn) override {
    pass();
    return ForwardingStore::txn(txn);
  }

 private:
  void pass() {
    std::unique_lock lock(mutex_);
    ++waiting_;
    held_.notify_all();
    opened_.wait(lock, [this] { return !closed_; });
    --waiting_;
  }

  mutable std::mutex mutex_;
  std::condition_variable opened_;
  std::condition_variable held_;
  bool closed_ = false;
  int waiting_ = 0;
};

}  // namespace weft::agent
