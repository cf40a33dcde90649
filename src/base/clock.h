// Time, injectable: code that decides by time (lease expiries, timers' deadlines, records'
// timestamps, retry pauses) asks a Clock, so that tests move time with a FakeClock instead of
// sleeping.
//
// Contract: now() is monotonic (never goes back; unrelated to the wall clock); unix_seconds() and
// unix_millis() are wall-clock time since the epoch, as stored in records (claimedAt, renewedAt,
// a saved lease's expiry). sleep_for() pauses the caller for `d` of this clock's time. The real
// clock is system_clock(); a FakeClock starts at an arbitrary fixed point and moves only by
// advance() or sleep_for() (which advances it and returns at once, so code that pauses between
// retries runs instantly and deterministically in tests). Thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace weft {

class Clock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
  virtual int64_t unix_seconds() const = 0;
  virtual int64_t unix_millis() const = 0;
  virtual void sleep_for(std::chrono::nanoseconds d) = 0;
};

// The process's real clock (steady_clock and system_clock).
Clock& system_clock();

class FakeClock final : public Clock {
 public:
  TimePoint now() const override { return TimePoint(std::chrono::nanoseconds(ns_.load())); }
  int64_t unix_seconds() const override { return kEpochStart + ns_.load() / 1'000'000'000; }
  int64_t unix_millis() const override { return kEpochStart * 1000 + ns_.load() / 1'000'000; }
  void sleep_for(std::chrono::nanoseconds d) override { advance(d); }
  void advance(std::chrono::nanoseconds d) { ns_ += d.count(); }

 private:
  static constexpr int64_t kEpochStart = 1'800'000'000;  // 2027-01-15: any fixed wall time
  std::atomic<int64_t> ns_{1'000'000'000'000};           // far from zero: "time_point{}" means unset
};

// Wall-clock seconds since the epoch from the real clock (system_clock().unix_seconds()).
int64_t unix_now();

}  // namespace weft
