#include "store/memory_watch.h"

namespace weft::store::memory {

void WatchFeed::offer(int64_t revision, const std::vector<WatchEvent>& events) {
  if (revision < first_revision_) return;
  WatchBatch batch;
  batch.revision = revision;
  for (const auto& event : events) {
    if (event.kv.key.starts_with(prefix_)) batch.events.push_back(event);
  }
  if (batch.events.empty()) return;
  std::lock_guard lock(mu_);
  if (closed_) return;
  queue_.push_back(std::move(batch));
  wake_.notify_one();
}

void WatchFeed::offer_resync(WatchBatch batch) {
  std::lock_guard lock(mu_);
  if (closed_) return;
  queue_.push_back(std::move(batch));
  wake_.notify_one();
}

void WatchFeed::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  queue_.clear();
  wake_.notify_one();
}

bool WatchFeed::closed() const {
  std::lock_guard lock(mu_);
  return closed_;
}

void WatchFeed::deliver() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [&] { return closed_ || !queue_.empty(); });
    if (closed_) return;
    WatchBatch batch = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    callback_(batch);
    lock.lock();
  }
}

MemoryWatch::MemoryWatch(std::shared_ptr<WatchFeed> feed)
    : feed_(std::move(feed)), thread_([feed = feed_] { feed->deliver(); }) {}

MemoryWatch::~MemoryWatch() {
  feed_->close();
  if (thread_.get_id() == std::this_thread::get_id()) {
    // Destroyed from inside its own callback: joining would wait for ourselves. The thread holds
    // its own reference to the feed and returns as soon as the callback does.
    thread_.detach();
  } else {
    thread_.join();
  }
}

}  // namespace weft::store::memory
