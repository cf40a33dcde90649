// optimistic_txn and with_retry (src/store/optimistic_txn.h, retry.h) against the embedded store:
// lost races injected by a concurrent write inside decide, transient failures injected by a
// wrapper, pauses measured on a FakeClock (so no test sleeps).
#include "store/optimistic_txn.h"

#include <gtest/gtest.h>

#include <string>

#include "base/clock.h"
#include "store/memory_store.h"
#include "store/retry.h"
#include "store_printers.h"

namespace weft::store {
namespace {

using namespace std::chrono_literals;

// Forwards to a real store, failing calls as unavailable on demand: `fail_next` calls fail
// without reaching the store; with `apply_then_fail`, the next writing transaction is applied and
// then reported unavailable (an answer lost on the way back).
class FlakyStore final : public Store {
 public:
  explicit FlakyStore(Store& inner) : inner_(inner) {}
  int fail_next = 0;
  bool apply_then_fail = false;
  int calls = 0;

  Result<std::optional<KeyValue>> get(const std::string& key) override {
    if (auto e = flake()) return std::unexpected(*e);
    return inner_.get(key);
  }
  Result<RangeResult> list(const std::string& prefix) override {
    if (auto e = flake()) return std::unexpected(*e);
    return inner_.list(prefix);
  }
  Result<int64_t> put(const std::string& key, const std::string& value, LeaseId lease = 0) override {
    if (auto e = flake()) return std::unexpected(*e);
    return inner_.put(key, value, lease);
  }
  Result<int64_t> remove(const std::string& key) override {
    if (auto e = flake()) return std::unexpected(*e);
    return inner_.remove(key);
  }
  Result<TxnResult> txn(const Txn& txn) override {
    if (auto e = flake()) return std::unexpected(*e);
    auto r = inner_.txn(txn);
    if (apply_then_fail && !txn.success.empty() && txn.success.front().kind == TxnOp::Kind::put) {
      apply_then_fail = false;
      return std::unexpected(Error{Errc::unavailable, "answer lost"});
    }
    return r;
  }
  Result<std::unique_ptr<Watch>> watch(const std::string& prefix, int64_t from, WatchCallback cb) override {
    return inner_.watch(prefix, from, std::move(cb));
  }
  Result<Lease> grant_lease(int64_t ttl) override { return inner_.grant_lease(ttl); }
  Result<int64_t> renew_lease(LeaseId id) override { return inner_.renew_lease(id); }
  Result<std::unique_ptr<KeepAlive>> keep_alive(LeaseId id) override { return inner_.keep_alive(id); }
  Result<void> revoke_lease(LeaseId id) override { return inner_.revoke_lease(id); }
  Result<int64_t> lease_ttl(LeaseId id) override { return inner_.lease_ttl(id); }
  Result<void> compact(int64_t revision) override { return inner_.compact(revision); }

 private:
  std::optional<Error> flake() {
    ++calls;
    if (fail_next == 0) return std::nullopt;
    --fail_next;
    return Error{Errc::unavailable, "injected"};
  }
  Store& inner_;
};

std::unique_ptr<MemoryStore> memory() {
  auto s = MemoryStore::open("");
  EXPECT_TRUE(s);
  return std::move(*s);
}

// The counter transaction every test below runs: read "/n", write n + 1 if "/n" is unchanged.
Write<int> increment(const KeyValue& kv) {
  const int next = std::stoi(kv.value) + 1;
  return Write<int>{{Compare{kv.key, Compare::Target::mod_revision, Compare::Op::equal, kv.mod_revision, {}}},
                    {TxnOp::put(kv.key, std::to_string(next))},
                    {},
                    [next](const TxnResult&) -> Result<int> { return next; }};
}

TEST(OptimisticTxn, AConcurrentWriteInsideDecideIsALostRaceRetriedOnTheFailureBranchReads) {
  auto store = memory();
  ASSERT_TRUE(store->put("/n", "1"));
  int decisions = 0;
  const uint64_t trips_before = store->counters().round_trips.load();
  auto r = optimistic_txn<int>(*store, {.what = "incrementing",
                                        .reads = {Read::one("n", "/n")},
                                        .decide = [&](const Snapshot& reads) -> Decision<int> {
                                          ++decisions;
                                          const KeyValue* kv = reads.one("n");
                                          if (kv == nullptr) return fail(Errc::not_found, "no /n");
                                          // Another writer gets in between this read and our write.
                                          if (decisions == 1) {
                                            EXPECT_TRUE(store->put("/n", "10"));
                                          }
                                          return increment(*kv);
                                        }});
  // read, the other writer's put, lost transaction (its failure branch re-read "/n"),
  // transaction: no separate read after the lost race.
  EXPECT_EQ(store->counters().round_trips.load() - trips_before, 4u);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, 11) << "decided on the concurrent writer's value, not on the stale one";
  EXPECT_EQ(decisions, 2);
  EXPECT_EQ(store->get("/n").value()->value, "11");
}

TEST(OptimisticTxn, GivesUpAfterMaxConflictsWithConflictAndWritesNothing) {
  auto store = memory();
  ASSERT_TRUE(store->put("/n", "1"));
  int decisions = 0;
  auto r = optimistic_txn<int>(*store, {.what = "incrementing",
                                        .reads = {Read::one("n", "/n")},
                                        .decide = [&](const Snapshot& reads) -> Decision<int> {
                                          ++decisions;
                                          EXPECT_TRUE(store->put("/n", "100"));  // always first
                                          return increment(*reads.one("n"));
                                        },
                                        .max_conflicts = 3});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::conflict);
  EXPECT_NE(r.error().message.find("incrementing"), std::string::npos) << r.error().message;
  EXPECT_EQ(decisions, 3);
  EXPECT_EQ(store->get("/n").value()->value, "100");
}

TEST(OptimisticTxn, AFinalAnswerOfDecideEndsWithoutATransaction) {
  auto store = memory();
  const uint64_t trips_before = store->counters().round_trips.load();
  auto r = optimistic_txn<int>(*store, {.what = "incrementing",
                                        .reads = {Read::one("n", "/n")},
                                        .decide = [&](const Snapshot& reads) -> Decision<int> {
                                          if (reads.one("n") == nullptr) return fail(Errc::exhausted, "nothing");
                                          return 7;
                                        }});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::exhausted);
  EXPECT_EQ(store->counters().round_trips.load() - trips_before, 1u);
}

TEST(OptimisticTxn, MoreReadsFollowWhatWasReadAndAreRereadAfterALostRace) {
  auto store = memory();
  ASSERT_TRUE(store->put("/ptr", "/a"));
  ASSERT_TRUE(store->put("/a", "1"));
  ASSERT_TRUE(store->put("/b", "5"));
  int decisions = 0;
  auto r = optimistic_txn<int>(*store, {.what = "incrementing the target",
                                        .reads = {Read::one("ptr", "/ptr")},
                                        .decide = [&](const Snapshot& reads) -> Decision<int> {
                                          ++decisions;
                                          const std::string target = reads.one("ptr")->value;
                                          if (!reads.has(target)) return More{{Read::one(target, target)}};
                                          // Once: the pointer moves between our reads and our write.
                                          if (target == "/a") {
                                            EXPECT_TRUE(store->put("/ptr", "/b"));
                                          }
                                          Write<int> w = increment(*reads.one(target));
                                          w.compare.push_back(Compare{"/ptr", Compare::Target::mod_revision,
                                                                      Compare::Op::equal,
                                                                      reads.one("ptr")->mod_revision, {}});
                                          return w;
                                        }});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, 6);
  EXPECT_EQ(store->get("/a").value()->value, "1");
  EXPECT_EQ(store->get("/b").value()->value, "6");
  EXPECT_EQ(decisions, 4);  // /a asked, lost race, /b asked, written
}

TEST(OptimisticTxn, TransientFailuresPauseOnTheClockThenStartOverFromTheReads) {
  auto memory_store = memory();
  ASSERT_TRUE(memory_store->put("/n", "1"));
  FlakyStore flaky(*memory_store);
  flaky.fail_next = 2;  // the first read, then its retry
  FakeClock clock;
  const auto start = clock.now();
  auto r = optimistic_txn<int>(flaky, {.what = "incrementing",
                                       .reads = {Read::one("n", "/n")},
                                       .decide = [&](const Snapshot& reads) -> Decision<int> {
                                         return increment(*reads.one("n"));
                                       },
                                       .retry = {.clock = &clock}});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, 2);
  EXPECT_EQ(clock.now() - start, 150ms);  // 50 ms, then 100 ms
}

TEST(OptimisticTxn, AWriteAppliedButReportedUnavailableIsRecognisedNotRepeated) {
  auto memory_store = memory();
  ASSERT_TRUE(memory_store->put("/n", "1"));
  FlakyStore flaky(*memory_store);
  flaky.apply_then_fail = true;
  FakeClock clock;
  int decisions = 0;
  auto r = optimistic_txn<int>(flaky, {.what = "setting /n to 2",
                                       .reads = {Read::one("n", "/n")},
                                       .decide = [&](const Snapshot& reads) -> Decision<int> {
                                         ++decisions;
                                         const KeyValue* kv = reads.one("n");
                                         if (reads.after_unknown_outcome() && kv->value == "2") return 2;
                                         EXPECT_FALSE(reads.after_unknown_outcome());
                                         return increment(*kv);
                                       },
                                       .retry = {.clock = &clock}});
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(*r, 2);
  EXPECT_EQ(decisions, 2);
  EXPECT_EQ(memory_store->get("/n").value()->value, "2") << "applied once";
}

TEST(OptimisticTxn, ErrorsOtherThanUnavailableAreNotRetried) {
  auto store = memory();
  int decisions = 0;
  auto r = optimistic_txn<void>(*store, {.what = "writing with a lease that does not exist",
                                         .reads = {},
                                         .decide = [&](const Snapshot&) -> Decision<void> {
                                           ++decisions;
                                           return Write<void>{{}, {TxnOp::put("/k", "v", 12345)}, {}, {}};
                                         }});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::not_found);
  EXPECT_EQ(decisions, 1);
}

// ---- with_retry ----

TEST(WithRetry, BacksOffExponentiallyWithinTheBudgetThenReturnsTheLastError) {
  FakeClock clock;
  const auto start = clock.now();
  int attempts = 0;
  auto r = with_retry(
      [&]() -> Result<int> {
        ++attempts;
        return fail(Errc::unavailable, "down, attempt ", std::to_string(attempts));
      },
      {.clock = &clock});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Errc::unavailable);
  EXPECT_EQ(r.error().message, "down, attempt 9");
  // Pauses 50, 100, 200, 400, 800, 1000, 1000, 1000 ms: a ninth would end past the 5 s budget.
  EXPECT_EQ(attempts, 9);
  EXPECT_EQ(clock.now() - start, 4550ms);
}

TEST(WithRetry, AnAttemptThatUsedTheWholeBudgetStillGetsASecondChance) {
  FakeClock clock;
  int attempts = 0;
  auto r = with_retry(
      [&]() -> Result<int> {
        ++attempts;
        if (attempts == 1) {
          clock.advance(6s);  // a call that waited out its request timeout
          return fail(Errc::unavailable, "deadline exceeded");
        }
        return 42;
      },
      {.clock = &clock});
  ASSERT_TRUE(r);
  EXPECT_EQ(*r, 42);
  EXPECT_EQ(attempts, 2);
}

TEST(WithRetry, ConflictsAndOtherErrorsAreReturnedAtOnce) {
  FakeClock clock;
  for (Errc code : {Errc::conflict, Errc::not_found, Errc::corrupt, Errc::invalid_argument}) {
    int attempts = 0;
    auto r = with_retry(
        [&]() -> Result<void> {
          ++attempts;
          return fail(code, "no");
        },
        {.clock = &clock});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, code);
    EXPECT_EQ(attempts, 1) << to_string(code);
  }
}

}  // namespace
}  // namespace weft::store
