// Retrying transient store failures: one policy for every store operation weft depends on (block
// claims, node leases, node registration, address allocation and release).
//
// Transient means Errc::unavailable: the store could not be reached or did not answer in time
// (EtcdStore maps gRPC UNAVAILABLE, DEADLINE_EXCEEDED and CANCELLED to it). Nothing else is
// retried here: a conflict is a lost race whose caller must re-read and decide again
// (optimistic_txn.h does that), and not_found, corrupt, invalid_argument... will not change by
// asking again.
//
// The policy: pause 50 ms, doubling up to 1 s, between attempts; new attempts start while less
// than `budget` (5 s) has passed since the first one began, and there are always at least
// `min_attempts` (2), so that an attempt which used up the whole budget on its own (an etcd call
// that waited out its 5 s request timeout under load) still gets a second chance. An operation that
// keeps failing transiently therefore returns its last error, unchanged, at most
// max(budget, one request timeout) + one request timeout after it started (10 s with etcd's
// default 5 s timeout).
//
// Only operations that are safe to repeat go through with_retry: reads, puts of a whole value,
// lease renewals and revocations, and grants (a repeated grant may leave an unused lease behind,
// which expires on its own). A compare-and-swap that failed transiently may or may not have been
// applied; it is retried by optimistic_txn, which re-reads and decides again rather than resending.
#pragma once

#include <algorithm>
#include <chrono>
#include <type_traits>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"

namespace weft::store {

struct RetryPolicy {
  std::chrono::milliseconds first_pause{50};
  std::chrono::milliseconds max_pause{1000};
  std::chrono::milliseconds budget{5000};
  int min_attempts = 2;
  Clock* clock = nullptr;  // nullptr: system_clock(); tests pass a FakeClock (its pauses are instant)
};

inline bool transient(const Error& error) { return error.code == Errc::unavailable; }

// The pauses of one operation: next() says whether another attempt may start, and pauses first.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy)
      : policy_(policy),
        clock_(policy.clock != nullptr ? *policy.clock : system_clock()),
        start_(clock_.now()),
        pause_(policy.first_pause) {}

  // Call after a transient failure, `cause`. False when the budget is spent (the caller gives up
  // with that failure); otherwise logs the cause (an operator wants to know the store is
  // struggling even when the retry succeeds), pauses and returns true.
  bool next(const Error& cause) {
    ++attempts_;
    if (attempts_ >= policy_.min_attempts && clock_.now() - start_ + pause_ >= policy_.budget) {
      return false;
    }
    spdlog::warn("store: {}; retrying in {} ms", cause.describe(), pause_.count());
    clock_.sleep_for(pause_);
    pause_ = std::min(pause_ * 2, policy_.max_pause);
    return true;
  }
  int retries() const { return attempts_; }

 private:
  RetryPolicy policy_;
  Clock& clock_;
  Clock::TimePoint start_;
  std::chrono::milliseconds pause_;
  int attempts_ = 0;  // attempts that failed transiently so far
};

// Runs `attempt()` (returning a Result) until it succeeds, fails for good, or the policy's budget
// is spent; returns its last result.
template <class Attempt>
auto with_retry(Attempt&& attempt, const RetryPolicy& policy = {}) -> std::invoke_result_t<Attempt&> {
  Backoff backoff(policy);
  for (;;) {
    auto result = attempt();
    if (result || !transient(result.error()) || !backoff.next(result.error())) return result;
  }
}

}  // namespace weft::store
