// A MemoryStore watch: a queue the store fills under its mutex and a thread of the watch's own
// that empties it into the callback without any store lock held, so a callback may call back
// into the store, and a slow callback delays only its own watch.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"

namespace weft::store::memory {

class WatchFeed {
 public:
  // Batches below `first_revision` are never queued (a watch from a future revision).
  WatchFeed(std::string prefix, int64_t first_revision, WatchCallback callback)
      : prefix_(std::move(prefix)),
        first_revision_(first_revision),
        callback_(std::move(callback)) {}

  // Called by the store, under its mutex, once per revision in revision order: queues the events
  // under the prefix as one batch (nothing when none matches).
  void offer(int64_t revision, const std::vector<WatchEvent>& events);
  void offer_resync(WatchBatch batch);

  // Stops delivery: once close() returned, the callback starts no more (one running finishes).
  void close();
  bool closed() const;

  // The delivery loop, on the watch's thread: until closed, one batch at a time.
  void deliver();

 private:
  const std::string prefix_;
  const int64_t first_revision_;
  WatchCallback callback_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<WatchBatch> queue_;
  bool closed_ = false;
};

// The handle: owns the delivery thread; the feed is shared with the store, which drops closed
// feeds lazily, so the handle needs no reference to the store and may outlive it.
class MemoryWatch final : public Watch {
 public:
  explicit MemoryWatch(std::shared_ptr<WatchFeed> feed);
  ~MemoryWatch() override;
  MemoryWatch(const MemoryWatch&) = delete;
  MemoryWatch& operator=(const MemoryWatch&) = delete;

 private:
  std::shared_ptr<WatchFeed> feed_;
  std::thread thread_;
};

}  // namespace weft::store::memory
