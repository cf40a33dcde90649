#include "agent/store_worker.h"

namespace weft::agent {

StoreWorker::StoreWorker(asio::io_context& io, store::Store& store)
    : io_(io), store_(store), thread_([this] { run(); }) {}

StoreWorker::~StoreWorker() {
  std::deque<Task> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  // Released before the join, outside the lock: what the dropped jobs hold (the io_context's
  // work, a lease) need not wait for the store call in progress.
  dropped.clear();
  wake_.notify_all();
  thread_.join();
}

void StoreWorker::push(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;  // only during destruction: nobody would apply the result
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

bool StoreWorker::drain(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return idle_.wait_for(lock, timeout, [this] { return queue_.empty() && !busy_; });
}

size_t StoreWorker::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + (busy_ ? 1 : 0);
}

void StoreWorker::run() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    task();
    task = nullptr;  // its captures (a lease, the work guard) go before the worker says idle
    {
      std::lock_guard lock(mutex_);
      busy_ = false;
    }
    idle_.notify_all();
  }
}

}  // namespace weft::agent
