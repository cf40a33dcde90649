// StoreWorker: runs weftd's store calls off the event loop (issue 9), on ONE thread, in the
// order they were posted, and hands each result back to the loop.
//
// Why: a store call is a network round trip (with retries, up to seconds when etcd is slow or
// unreachable); made on the loop, it would stall BGP keepalives, the IPAM socket and /metrics
// for as long. Why one thread and a FIFO: the agent's writes (node record, block claims, lease,
// BGP status) stay in the order the loop decided them, so a later write of a key always wins.
//
// Contract:
// - post(job, on_done): `job` runs on the worker thread with the store; it must capture values
//   (or things it shares ownership of), never agent state. `on_done` then runs on the loop
//   (asio::post to the io_context) with job's Result. While a job is queued or running the
//   io_context does not run out of work.
// - The destructor finishes the job in progress (store calls are bounded by the store's request
//   timeout), discards the queued ones — their on_done never runs — and joins the thread. What
//   was dropped is rewritten by the next agent's start (the store state converges, it is not a log).
// - drain() waits until every job posted so far has run and its on_done has been posted: tests
//   use it, followed by running the loop, to apply store results deterministically.
// - All members may be called from any thread.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

#include "base/result.h"
#include "store/store.h"

namespace weft::agent {

class StoreWorker {
 public:
  StoreWorker(asio::io_context& io, store::Store& store);
  ~StoreWorker();
  StoreWorker(const StoreWorker&) = delete;
  StoreWorker& operator=(const StoreWorker&) = delete;

  // Job: Result<T>(store::Store&); Done: void(Result<T>).
  template <class Job, class Done>
  void post(Job job, Done on_done) {
    push([this, job = std::move(job), on_done = std::move(on_done),
          work = asio::make_work_guard(io_)]() mutable {
      auto result = job(store_);
      asio::post(io_, [on_done = std::move(on_done), result = std::move(result)]() mutable {
        on_done(std::move(result));
      });
    });
  }

  // False if the jobs did not finish within `timeout` (a hung store).
  bool drain(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Jobs queued or running: /metrics shows it, a growing number means a slow store.
  size_t pending() const;
  store::Store& store() { return store_; }

 private:
  using Task = std::move_only_function<void()>;
  void push(Task task);
  void run();

  asio::io_context& io_;
  store::Store& store_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // the worker: a task or stop
  std::condition_variable idle_;  // drain(): the queue ran empty
  std::deque<Task> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace weft::agent
