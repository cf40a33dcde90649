// The Store contract (src/store/store.h), run against every implementation: "Memory" is the
// embedded MemoryStore, "Etcd" an EtcdStore talking to a real etcd. A behaviour asserted here is
// one weft's code may rely on whichever store it runs on.
//
// Every test works under a random key prefix of its own, so tests may share one etcd (also with
// other test binaries) and clean up after themselves. Revisions are compared for order, never
// for exact increments: another client may write to a shared etcd between two of our requests.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <source_location>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "etcd_server.h"
#include "store/memory_store.h"
#include "store/store.h"
#include "store_printers.h"

namespace weft {

namespace store {

namespace {

using namespace std::chrono_literals;

enum class Backend { memory, etcd };

void PrintTo(Backend backend, std::ostream* os) {
  *os << (backend == Backend::memory ? "memory" : "etcd");
}

std::string backend_name(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::memory ? "memory" : "etcd";
}

// Unwraps a Result; a failed one fails the test at the caller's line with the store's error and
// ends it (gtest reports the exception too).
template <class T>
T ok(Result<T> result, std::source_location where = std::source_location::current()) {
  if (!result) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << "store error: " << result.error().describe();
    throw std::runtime_error(result.error().describe());
  }
  return std::move(*result);
}

void ok(Result<void> result, std::source_location where = std::source_location::current()) {
  if (!result) {
    ADD_FAILURE_AT(where.file_name(), static_cast<int>(where.line()))
        << "store error: " << result.error().describe();
    throw std::runtime_error(result.error().describe());
  }
}

// The error code of a Result that must have failed.
template <class T>
std::optional<Errc> error_of(const Result<T>& result) {
  if (result) return std::nullopt;
  return result.error().code;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return condition();
}

// Collects what a watch delivers; tests wait for the batches they expect. Declare it before the
// Watch so the watch (and its callbacks) end first.
class Recorder {
 public:
  WatchCallback callback() {
    return [this](const WatchBatch& batch) {
      std::lock_guard lock(mu_);
      batches_.push_back(batch);
      arrived_.notify_all();
    };
  }

  // At least `count` batches (all of them, which may be more), or what arrived by the timeout.
  std::vector<WatchBatch> wait_for(size_t count, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mu_);
    arrived_.wait_for(lock, timeout, [&] { return batches_.size() >= count; });
    return batches_;
  }

  std::vector<WatchBatch> batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::condition_variable arrived_;
  std::vector<WatchBatch> batches_;
};

std::string describe(const WatchBatch& batch) {
  std::string out =
      "{rev " + std::to_string(batch.revision) + (batch.resync ? " resync" : "") + ":";
  for (const auto& e : batch.events) {
    out += (e.type == WatchEvent::Type::put ? " put " : " remove ") + e.kv.key + "@" +
           std::to_string(e.kv.mod_revision);
  }
  return out + "}";
}

std::string describe(const std::vector<WatchBatch>& batches) {
  std::string out;
  for (const auto& b : batches) out += describe(b) + " ";
  return out;
}

std::vector<std::string> keys_of(const std::vector<KeyValue>& kvs) {
  std::vector<std::string> keys;
  for (const auto& kv : kvs) keys.push_back(kv.key);
  return keys;
}

Compare compare(std::string key, Compare::Target target, Compare::Op op, int64_t number) {
  return Compare{.key = std::move(key), .target = target, .op = op, .number = number, .value = {}};
}

Compare compare_value(std::string key, Compare::Op op, std::string value) {
  return Compare{.key = std::move(key),
                 .target = Compare::Target::value,
                 .op = op,
                 .number = 0,
                 .value = std::move(value)};
}

class StoreConformance : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    StoreOptions etcd;  // (not a designated initializer: GCC 12 warns of the fields left out)
    if (GetParam() == Backend::etcd) {
      etcd.url = "etcd://" + weft::testing::EtcdServer::shared_endpoint();
    }
    Result<std::unique_ptr<Store>> opened =
        GetParam() == Backend::memory ? Result<std::unique_ptr<Store>>(MemoryStore::open("")) : open_store(etcd);
    ASSERT_TRUE(opened) << opened.error().describe();
    store_ = std::move(*opened);
    std::random_device random;
    char id[17];
    std::snprintf(id, sizeof id, "%08x%08x", random(), random());
    prefix_ = std::string("/weft-conformance/") + id + "/";
  }

  void TearDown() override {
    if (!store_) return;
    Txn cleanup{.compare = {}, .success = {TxnOp::remove_prefix(prefix_)}, .failure = {}};
    (void)store_->txn(cleanup);
  }

  std::string key(std::string_view name) const { return prefix_ + std::string(name); }
  Store& store() { return *store_; }

  std::unique_ptr<Store> store_;
  std::string prefix_;
};

// ---- keys ----

TEST_P(StoreConformance, GetOfAnAbsentKeyIsEmpty) {
  EXPECT_EQ(ok(store().get(key("missing"))), std::nullopt);
}

TEST_P(StoreConformance, PutThenGetReturnsTheValueAndItsRevisions) {
  int64_t revision = ok(store().put(key("k"), "v1"));
  auto kv = ok(store().get(key("k")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->key, key("k"));
  EXPECT_EQ(kv->value, "v1");
  EXPECT_EQ(kv->create_revision, revision);
  EXPECT_EQ(kv->mod_revision, revision);
  EXPECT_EQ(kv->version, 1);
  EXPECT_EQ(kv->lease, 0);
}

TEST_P(StoreConformance, EveryWriteReturnsAHigherRevision) {
  int64_t r1 = ok(store().put(key("a"), "1"));
  int64_t r2 = ok(store().put(key("b"), "2"));
  int64_t r3 = ok(store().put(key("a"), "3"));
  EXPECT_GT(r1, 0);
  EXPECT_LT(r1, r2);
  EXPECT_LT(r2, r3);
  EXPECT_GE(ok(store().list(prefix_)).revision, r3);
}

TEST_P(StoreConformance, VersionCountsWritesSinceCreation) {
  int64_t r1 = ok(store().put(key("k"), "1"));
  ok(store().put(key("k"), "2"));
  int64_t r3 = ok(store().put(key("k"), "3"));
  auto kv = ok(store().get(key("k")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->version, 3);
  EXPECT_EQ(kv->create_revision, r1);
  EXPECT_EQ(kv->mod_revision, r3);

  // A deleted key starts over: a new creation, version 1.
  EXPECT_EQ(ok(store().remove(key("k"))), 1);
  int64_t r5 = ok(store().put(key("k"), "again"));
  kv = ok(store().get(key("k")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->version, 1);
  EXPECT_EQ(kv->create_revision, r5);
  EXPECT_EQ(kv->mod_revision, r5);
}

TEST_P(StoreConformance, ListReturnsTheKeysUnderAPrefixSorted) {
  for (const char* name : {"a/b/2", "a/bc", "a/b/1", "a/b", "a/c", "b/1"}) {
    ok(store().put(key(name), name));
  }
  // The "directory" a/b/ holds neither its neighbour a/bc nor a/b itself.
  auto dir = ok(store().list(key("a/b/")));
  EXPECT_EQ(keys_of(dir.kvs), (std::vector{key("a/b/1"), key("a/b/2")}));
  ASSERT_EQ(dir.kvs.size(), 2u);
  EXPECT_EQ(dir.kvs[0].value, "a/b/1");
  EXPECT_EQ(dir.kvs[0].version, 1);
  EXPECT_GT(dir.kvs[0].mod_revision, 0);
  // A prefix is a byte prefix: without the slash, a/b and a/bc match too.
  EXPECT_EQ(keys_of(ok(store().list(key("a/b"))).kvs),
            (std::vector{key("a/b"), key("a/b/1"), key("a/b/2"), key("a/bc")}));
  EXPECT_EQ(keys_of(ok(store().list(key("a/"))).kvs),
            (std::vector{key("a/b"), key("a/b/1"), key("a/b/2"), key("a/bc"), key("a/c")}));
  auto none = ok(store().list(key("nothing/")));
  EXPECT_TRUE(none.kvs.empty());
  EXPECT_GT(none.revision, 0);
}

TEST_P(StoreConformance, KeysAndValuesAreBytes) {
  const std::string value("nul\0high\xff\x80 end", 15);
  ok(store().put(key("bin"), value));
  auto kv = ok(store().get(key("bin")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, value);

  // Keys sort bytewise (0xff after 'y'), and a prefix ending in 0xff is still a prefix.
  for (const std::string name : {"x\xfe", "x\xff", "x\xff\x01", "y"}) {
    ok(store().put(key(name), "v"));
  }
  EXPECT_EQ(keys_of(ok(store().list(key("x"))).kvs),
            (std::vector{key("x\xfe"), key("x\xff"), key("x\xff\x01")}));
  EXPECT_EQ(keys_of(ok(store().list(key("x\xff"))).kvs),
            (std::vector{key("x\xff"), key("x\xff\x01")}));
}

TEST_P(StoreConformance, RemoveDeletesOnlyThatKey) {
  ok(store().put(key("a"), "1"));
  ok(store().put(key("ab"), "2"));
  EXPECT_EQ(ok(store().remove(key("a"))), 1);
  EXPECT_EQ(ok(store().get(key("a"))), std::nullopt);
  EXPECT_TRUE(ok(store().get(key("ab"))));
  EXPECT_EQ(ok(store().remove(key("a"))), 0);  // absent is not an error
}

TEST_P(StoreConformance, AnEmptyKeyIsInvalid) {
  EXPECT_EQ(error_of(store().put("", "v")), Errc::invalid_argument);
  EXPECT_EQ(error_of(store().get("")), Errc::invalid_argument);
  EXPECT_EQ(error_of(store().remove("")), Errc::invalid_argument);
}

TEST_P(StoreConformance, EachCallIsOneRoundTrip) {
  auto& trips = store().counters().round_trips;
  uint64_t before = trips.load();
  ok(store().put(key("k"), "v"));
  ok(store().get(key("k")));
  ok(store().list(prefix_));
  ok(store().txn(Txn{.compare = {}, .success = {TxnOp::get(key("k"))}, .failure = {}}));
  EXPECT_EQ(trips.load() - before, 4u);
}

// ---- transactions ----

TEST_P(StoreConformance, TxnCreateIfAbsent) {
  // The idiom for "create unless it exists": create_revision == 0 holds only for an absent key.
  auto create = [&](const std::string& value) {
    return ok(store().txn(
        Txn{.compare = {compare(key("k"), Compare::Target::create_revision, Compare::Op::equal, 0)},
            .success = {TxnOp::put(key("k"), value)},
            .failure = {TxnOp::get(key("k"))}}));
  };
  TxnResult first = create("first");
  EXPECT_TRUE(first.succeeded);
  ASSERT_EQ(first.reads.size(), 1u);
  EXPECT_TRUE(first.reads[0].empty());  // a put reads nothing
  auto kv = ok(store().get(key("k")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, "first");
  EXPECT_EQ(kv->create_revision, first.revision);

  TxnResult second = create("second");
  EXPECT_FALSE(second.succeeded);
  ASSERT_EQ(second.reads.size(), 1u);
  ASSERT_EQ(second.reads[0].size(), 1u);
  EXPECT_EQ(second.reads[0][0], *kv);  // the failure branch read the existing key
  EXPECT_EQ(ok(store().get(key("k"))), kv);
}

TEST_P(StoreConformance, TxnComparesEveryTarget) {
  using T = Compare::Target;
  using O = Compare::Op;
  const int64_t r1 = ok(store().put(key("k"), "b"));
  const int64_t r2 = ok(store().put(key("k"), "b"));  // version 2, created at r1, modified at r2
  const Lease lease = ok(store().grant_lease(60));
  ok(store().put(key("leased"), "x", lease.id));
  const std::string k = key("k");
  const std::string absent = key("absent");

  struct Case {
    Compare compare;
    bool holds;
  };
  const std::vector<Case> cases = {
      {compare(k, T::version, O::equal, 2), true},
      {compare(k, T::version, O::equal, 1), false},
      {compare(k, T::version, O::not_equal, 1), true},
      {compare(k, T::version, O::not_equal, 2), false},
      {compare(k, T::version, O::greater, 1), true},
      {compare(k, T::version, O::greater, 2), false},
      {compare(k, T::version, O::less, 3), true},
      {compare(k, T::version, O::less, 2), false},
      {compare(k, T::create_revision, O::equal, r1), true},
      {compare(k, T::create_revision, O::not_equal, r1), false},
      {compare(k, T::create_revision, O::greater, r1 - 1), true},
      {compare(k, T::create_revision, O::less, r1), false},
      {compare(k, T::mod_revision, O::equal, r2), true},
      {compare(k, T::mod_revision, O::equal, r1), false},
      {compare(k, T::mod_revision, O::greater, r1), true},
      {compare(k, T::mod_revision, O::less, r2), false},
      {compare(k, T::mod_revision, O::less, r2 + 1), true},
      {compare_value(k, O::equal, "b"), true},
      {compare_value(k, O::equal, "a"), false},
      {compare_value(k, O::not_equal, "a"), true},
      {compare_value(k, O::not_equal, "b"), false},
      {compare_value(k, O::greater, "a"), true},
      {compare_value(k, O::greater, "b"), false},
      {compare_value(k, O::less, "c"), true},
      {compare_value(k, O::less, "b"), false},
      {compare_value(k, O::less, "\xff"), true},  // bytes compare unsigned
      {compare_value(k, O::greater, "\x01"), true},
      {compare(key("leased"), T::lease, O::equal, lease.id), true},
      {compare(key("leased"), T::lease, O::not_equal, lease.id), false},
      {compare(key("leased"), T::lease, O::equal, 0), false},
      {compare(k, T::lease, O::equal, 0), true},
      // An absent key has version, revisions and lease 0...
      {compare(absent, T::version, O::equal, 0), true},
      {compare(absent, T::create_revision, O::equal, 0), true},
      {compare(absent, T::mod_revision, O::equal, 0), true},
      {compare(absent, T::lease, O::equal, 0), true},
      {compare(absent, T::version, O::greater, 0), false},
      // ...and no value: every value compare fails, not_equal included (etcd's rule).
      {compare_value(absent, O::equal, ""), false},
      {compare_value(absent, O::not_equal, "x"), false},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i) + " on " + cases[i].compare.key);
    auto result = ok(store().txn(Txn{.compare = {cases[i].compare}, .success = {}, .failure = {}}));
    EXPECT_EQ(result.succeeded, cases[i].holds);
  }
  ok(store().revoke_lease(lease.id));

  // All compares must hold.
  auto both = ok(store().txn(
      Txn{.compare = {compare(k, T::version, O::equal, 2), compare_value(k, O::equal, "other")},
          .success = {},
          .failure = {}}));
  EXPECT_FALSE(both.succeeded);
}

TEST_P(StoreConformance, TxnRunsTheBranchInOrderAndReadsItsOwnWrites) {
  ok(store().put(key("a"), "1"));
  auto result = ok(store().txn(
      Txn{.compare = {compare_value(key("a"), Compare::Op::equal, "1")},
          .success = {TxnOp::put(key("b"), "2"), TxnOp::get(key("b")), TxnOp::get(key("a")),
                      TxnOp::remove(key("a")), TxnOp::get(key("a")), TxnOp::get_prefix(prefix_)},
          .failure = {TxnOp::put(key("failure"), "ran")}}));
  EXPECT_TRUE(result.succeeded);
  ASSERT_EQ(result.reads.size(), 6u);
  EXPECT_TRUE(result.reads[0].empty());
  ASSERT_EQ(result.reads[1].size(), 1u);
  EXPECT_EQ(result.reads[1][0].value, "2");
  EXPECT_EQ(result.reads[1][0].mod_revision, result.revision);  // all writes share one revision
  ASSERT_EQ(result.reads[2].size(), 1u);
  EXPECT_EQ(result.reads[2][0].value, "1");
  EXPECT_TRUE(result.reads[3].empty());
  EXPECT_TRUE(result.reads[4].empty());  // removed earlier in the branch
  EXPECT_EQ(keys_of(result.reads[5]), std::vector{key("b")});
  EXPECT_EQ(ok(store().get(key("failure"))), std::nullopt);
  auto b = ok(store().get(key("b")));
  ASSERT_TRUE(b);
  EXPECT_EQ(b->mod_revision, result.revision);

  // Now the compare fails: only the failure branch runs.
  auto failed = ok(
      store().txn(Txn{.compare = {compare_value(key("a"), Compare::Op::equal, "1")},
                      .success = {TxnOp::put(key("success"), "ran")},
                      .failure = {TxnOp::put(key("failure"), "ran"), TxnOp::get(key("failure"))}}));
  EXPECT_FALSE(failed.succeeded);
  ASSERT_EQ(failed.reads.size(), 2u);
  ASSERT_EQ(failed.reads[1].size(), 1u);
  EXPECT_EQ(failed.reads[1][0].value, "ran");
  EXPECT_EQ(ok(store().get(key("success"))), std::nullopt);
}

TEST_P(StoreConformance, TxnPrefixOps) {
  for (const char* name : {"x/1", "x/2", "xy", "z"}) ok(store().put(key(name), name));
  auto result =
      ok(store().txn(Txn{.compare = {},
                         .success = {TxnOp::get_prefix(key("x/")), TxnOp::remove_prefix(key("x/")),
                                     TxnOp::get_prefix(key("x/"))},
                         .failure = {}}));
  ASSERT_EQ(result.reads.size(), 3u);
  EXPECT_EQ(keys_of(result.reads[0]), (std::vector{key("x/1"), key("x/2")}));
  EXPECT_EQ(result.reads[0][1].value, "x/2");
  EXPECT_TRUE(result.reads[1].empty());
  EXPECT_TRUE(result.reads[2].empty());
  EXPECT_EQ(keys_of(ok(store().list(prefix_)).kvs), (std::vector{key("xy"), key("z")}));
}

TEST_P(StoreConformance, TxnRejectsConflictingWritesAndAppliesNothing) {
  // etcd refuses a branch that writes one key twice: the outcome would hang on op order.
  auto twice = store().txn(Txn{.compare = {},
                               .success = {TxnOp::put(key("a"), "1"), TxnOp::put(key("a"), "2")},
                               .failure = {}});
  EXPECT_EQ(error_of(twice), Errc::invalid_argument);
  auto put_and_delete =
      store().txn(Txn{.compare = {},
                      .success = {TxnOp::put(key("p/a"), "1"), TxnOp::remove_prefix(key("p/"))},
                      .failure = {}});
  EXPECT_EQ(error_of(put_and_delete), Errc::invalid_argument);
  EXPECT_TRUE(ok(store().list(prefix_)).kvs.empty());
}

TEST_P(StoreConformance, TxnWithAnUnknownLeaseFailsAndAppliesNothing) {
  auto result = store().txn(
      Txn{.compare = {},
          .success = {TxnOp::put(key("a"), "1"), TxnOp::put(key("b"), "2", 0x7eadbeef12345)},
          .failure = {}});
  EXPECT_EQ(error_of(result), Errc::not_found);
  EXPECT_EQ(ok(store().get(key("a"))), std::nullopt);
}

TEST_P(StoreConformance, ConcurrentCompareAndSwapIncrementsLoseNoUpdate) {
  const std::string counter = key("counter");
  ok(store().put(counter, "0"));
  constexpr int kThreads = 20;
  constexpr int kAttempts = 10;
  std::atomic<int> swaps{0};
  std::mutex mu;
  std::set<int64_t> revisions;  // of the successful swaps: each must be a revision of its own
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kAttempts; ++i) {
        auto kv = store().get(counter);
        if (!kv || !*kv) {
          ADD_FAILURE() << "get: " << (kv ? "key vanished" : kv.error().describe());
          return;
        }
        int next = std::stoi((*kv)->value) + 1;
        auto swapped =
            store().txn(Txn{.compare = {compare(counter, Compare::Target::mod_revision,
                                                Compare::Op::equal, (*kv)->mod_revision)},
                            .success = {TxnOp::put(counter, std::to_string(next))},
                            .failure = {}});
        if (!swapped) {
          ADD_FAILURE() << "txn: " << swapped.error().describe();
          return;
        }
        if (swapped->succeeded) {
          ++swaps;
          std::lock_guard lock(mu);
          EXPECT_TRUE(revisions.insert(swapped->revision).second) << swapped->revision;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  auto kv = ok(store().get(counter));
  ASSERT_TRUE(kv);
  EXPECT_GT(swaps.load(), 0);
  EXPECT_EQ(kv->value, std::to_string(swaps.load()));
  EXPECT_EQ(kv->version, swaps.load() + 1);
}

// ---- watches ----

TEST_P(StoreConformance, WatchFromNowDeliversEachRevisionInOrder) {
  Recorder recorder;
  auto watch = ok(store().watch(key("w/"), 0, recorder.callback()));
  int64_t r1 = ok(store().put(key("w/a"), "1"));
  ok(store().put(key("wx"), "neighbour, not under w/"));
  EXPECT_EQ(ok(store().remove(key("w/a"))), 1);
  const int64_t after_remove = ok(store().list(key("w/"))).revision;
  auto pair =
      ok(store().txn(Txn{.compare = {},
                         .success = {TxnOp::put(key("w/b"), "2"), TxnOp::put(key("w/c"), "3")},
                         .failure = {}}));
  auto wipe = ok(
      store().txn(Txn{.compare = {}, .success = {TxnOp::remove_prefix(key("w/"))}, .failure = {}}));

  auto batches = recorder.wait_for(4);
  std::this_thread::sleep_for(200ms);  // nothing more may come (the neighbour is not ours)
  batches = recorder.batches();
  ASSERT_EQ(batches.size(), 4u) << describe(batches);
  for (const auto& batch : batches) EXPECT_FALSE(batch.resync);

  EXPECT_EQ(batches[0].revision, r1);
  ASSERT_EQ(batches[0].events.size(), 1u);
  const WatchEvent& put = batches[0].events[0];
  EXPECT_EQ(put.type, WatchEvent::Type::put);
  EXPECT_EQ(put.kv.key, key("w/a"));
  EXPECT_EQ(put.kv.value, "1");
  EXPECT_EQ(put.kv.create_revision, r1);
  EXPECT_EQ(put.kv.mod_revision, r1);
  EXPECT_EQ(put.kv.version, 1);

  ASSERT_EQ(batches[1].events.size(), 1u);
  EXPECT_EQ(batches[1].events[0].type, WatchEvent::Type::remove);
  EXPECT_EQ(batches[1].events[0].kv.key, key("w/a"));
  EXPECT_EQ(batches[1].events[0].kv.mod_revision, batches[1].revision);  // the deletion's revision
  EXPECT_GT(batches[1].revision, r1);
  EXPECT_LE(batches[1].revision, after_remove);

  // A transaction's writes arrive together, at its one revision.
  EXPECT_EQ(batches[2].revision, pair.revision);
  ASSERT_EQ(batches[2].events.size(), 2u);
  EXPECT_EQ(batches[2].events[0].kv.key, key("w/b"));
  EXPECT_EQ(batches[2].events[1].kv.key, key("w/c"));
  for (const auto& e : batches[2].events) {
    EXPECT_EQ(e.type, WatchEvent::Type::put);
    EXPECT_EQ(e.kv.mod_revision, pair.revision);
  }
  EXPECT_EQ(batches[3].revision, wipe.revision);
  ASSERT_EQ(batches[3].events.size(), 2u);
  std::set<std::string> removed;
  for (const auto& e : batches[3].events) {
    EXPECT_EQ(e.type, WatchEvent::Type::remove);
    EXPECT_EQ(e.kv.mod_revision, wipe.revision);
    removed.insert(e.kv.key);
  }
  EXPECT_EQ(removed, (std::set{key("w/b"), key("w/c")}));
}

TEST_P(StoreConformance, WatchFromAPastRevisionReplaysHistoryThenGoesLive) {
  int64_t r1 = ok(store().put(key("a"), "1"));
  int64_t r2 = ok(store().put(key("b"), "2"));
  ok(store().remove(key("a")));
  int64_t r4 = ok(store().put(key("b"), "3"));

  Recorder recorder;
  auto watch = ok(store().watch(prefix_, r2, recorder.callback()));
  auto batches = recorder.wait_for(3);
  ASSERT_EQ(batches.size(), 3u) << describe(batches);
  EXPECT_EQ(batches[0].revision, r2);  // r1 is before the start: not replayed
  ASSERT_EQ(batches[0].events.size(), 1u);
  EXPECT_EQ(batches[0].events[0].kv.key, key("b"));
  EXPECT_EQ(batches[0].events[0].kv.value, "2");
  ASSERT_EQ(batches[1].events.size(), 1u);
  EXPECT_EQ(batches[1].events[0].type, WatchEvent::Type::remove);
  EXPECT_EQ(batches[1].events[0].kv.key, key("a"));
  EXPECT_EQ(batches[2].revision, r4);
  ASSERT_EQ(batches[2].events.size(), 1u);
  EXPECT_EQ(batches[2].events[0].kv.value, "3");
  EXPECT_EQ(batches[2].events[0].kv.version, 2);
  for (const auto& batch : batches) EXPECT_FALSE(batch.resync);

  int64_t r5 = ok(store().put(key("c"), "live"));
  batches = recorder.wait_for(4);
  ASSERT_EQ(batches.size(), 4u) << describe(batches);
  EXPECT_EQ(batches[3].revision, r5);

  // From the very first revision: everything, in order, a transaction's writes still together
  // and in the order it made them.
  auto pair = ok(store().txn(Txn{.compare = {},
                                 .success = {TxnOp::put(key("y"), "1"), TxnOp::put(key("x"), "2")},
                                 .failure = {}}));
  Recorder all;
  auto watch_all = ok(store().watch(prefix_, r1, all.callback()));
  batches = all.wait_for(6);
  ASSERT_EQ(batches.size(), 6u) << describe(batches);
  EXPECT_EQ(batches[0].revision, r1);
  for (size_t i = 1; i < batches.size(); ++i) {
    EXPECT_LT(batches[i - 1].revision, batches[i].revision);
  }
  EXPECT_EQ(batches[5].revision, pair.revision);
  ASSERT_EQ(batches[5].events.size(), 2u);
  EXPECT_EQ(batches[5].events[0].kv.key, key("y"));
  EXPECT_EQ(batches[5].events[1].kv.key, key("x"));
}

TEST_P(StoreConformance, WatchFromACompactedRevisionResyncsThenGoesLive) {
  int64_t r1 = ok(store().put(key("a"), "1"));
  ok(store().put(key("b"), "2"));
  ok(store().remove(key("b")));
  int64_t r4 = ok(store().put(key("a"), "1b"));
  int64_t r5 = ok(store().put(key("d"), "4"));
  ok(store().compact(r5));
  // Compacting again below the compaction point fails; so does compacting the future.
  EXPECT_EQ(error_of(store().compact(r1)), Errc::compacted);
  EXPECT_FALSE(store().compact(r5 + 1'000'000));

  Recorder recorder;
  auto watch = ok(store().watch(prefix_, r1, recorder.callback()));
  auto batches = recorder.wait_for(1);
  ASSERT_GE(batches.size(), 1u);
  const WatchBatch& resync = batches[0];
  EXPECT_TRUE(resync.resync) << describe(resync);
  EXPECT_GE(resync.revision, r5);
  // The prefix's contents now, as puts: b was deleted before the compaction and is not listed.
  ASSERT_EQ(resync.events.size(), 2u) << describe(resync);
  EXPECT_EQ(resync.events[0].type, WatchEvent::Type::put);
  EXPECT_EQ(resync.events[0].kv.key, key("a"));
  EXPECT_EQ(resync.events[0].kv.value, "1b");
  EXPECT_EQ(resync.events[0].kv.mod_revision, r4);
  EXPECT_EQ(resync.events[0].kv.version, 2);
  EXPECT_EQ(resync.events[1].kv.key, key("d"));
  EXPECT_EQ(resync.events[1].kv.mod_revision, r5);

  int64_t r6 = ok(store().put(key("e"), "live"));
  batches = recorder.wait_for(2);
  ASSERT_EQ(batches.size(), 2u) << describe(batches);
  EXPECT_FALSE(batches[1].resync);
  EXPECT_EQ(batches[1].revision, r6);
  ASSERT_EQ(batches[1].events.size(), 1u);
  EXPECT_EQ(batches[1].events[0].kv.key, key("e"));
}

TEST_P(StoreConformance, DestroyingAWatchStopsItsCallbacks) {
  Recorder recorder;
  auto watch = ok(store().watch(prefix_, 0, recorder.callback()));
  ok(store().put(key("a"), "1"));
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  watch.reset();
  ok(store().put(key("b"), "2"));
  ok(store().put(key("c"), "3"));
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(recorder.batches().size(), 1u) << describe(recorder.batches());
}

TEST_P(StoreConformance, DestroyingAWatchWaitsForARunningCallback) {
  // What the callback uses may be freed right after the watch: it must not be running any more.
  std::atomic<bool> inside{false};
  std::atomic<bool> finished{false};
  auto watch = ok(store().watch(prefix_, 0, [&](const WatchBatch&) {
    inside = true;
    std::this_thread::sleep_for(300ms);
    finished = true;
  }));
  ok(store().put(key("a"), "1"));
  ASSERT_TRUE(eventually([&] { return inside.load(); }, 10s));
  watch.reset();
  EXPECT_TRUE(finished.load());
}

TEST_P(StoreConformance, AWatchCallbackMayCallTheStore) {
  std::mutex mu;
  std::condition_variable done;
  std::optional<std::string> seen;
  auto watch = ok(store().watch(prefix_, 0, [&](const WatchBatch& batch) {
    auto kv = store().get(batch.events.at(0).kv.key);  // must not deadlock
    std::lock_guard lock(mu);
    seen = kv && *kv ? (*kv)->value : "error";
    done.notify_all();
  }));
  ok(store().put(key("a"), "hello"));
  std::unique_lock lock(mu);
  EXPECT_TRUE(done.wait_for(lock, 10s, [&] { return seen.has_value(); }));
  EXPECT_EQ(seen, "hello");
}

// ---- leases ----

TEST_P(StoreConformance, GrantRenewAndTtlOfALease) {
  Lease lease = ok(store().grant_lease(10));
  EXPECT_NE(lease.id, 0);
  EXPECT_EQ(lease.ttl_seconds, 10);
  int64_t ttl = ok(store().lease_ttl(lease.id));
  EXPECT_GE(ttl, 8);
  EXPECT_LE(ttl, 10);
  EXPECT_EQ(ok(store().renew_lease(lease.id)), 10);
  ok(store().put(key("k"), "v", lease.id));
  auto kv = ok(store().get(key("k")));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->lease, lease.id);
  ok(store().revoke_lease(lease.id));
}

TEST_P(StoreConformance, AnUnknownLeaseIsNotFound) {
  const LeaseId unknown = 0x7eadbeef12345;
  EXPECT_EQ(error_of(store().renew_lease(unknown)), Errc::not_found);
  EXPECT_EQ(error_of(store().lease_ttl(unknown)), Errc::not_found);
  EXPECT_EQ(error_of(store().revoke_lease(unknown)), Errc::not_found);
  EXPECT_EQ(error_of(store().put(key("k"), "v", unknown)), Errc::not_found);
  EXPECT_EQ(ok(store().get(key("k"))), std::nullopt);
  // keep_alive may refuse at once or hand out a handle that reports the lease gone.
  auto keep = store().keep_alive(unknown);
  if (keep) {
    EXPECT_TRUE(eventually([&] { return !(*keep)->alive(); }, 5s));
  } else {
    EXPECT_EQ(keep.error().code, Errc::not_found);
  }
}

TEST_P(StoreConformance, AKeyWithALeaseVanishesWhenTheLeaseExpires) {
  Lease lease = ok(store().grant_lease(1));
  ok(store().put(key("keep"), "no lease"));
  Recorder recorder;
  auto watch = ok(store().watch(prefix_, 0, recorder.callback()));
  ok(store().put(key("leased"), "v", lease.id));
  EXPECT_TRUE(ok(store().get(key("leased"))));

  EXPECT_TRUE(eventually([&] { return !ok(store().get(key("leased"))); }, 10s));
  EXPECT_TRUE(ok(store().get(key("keep"))));
  auto batches = recorder.wait_for(2);
  ASSERT_EQ(batches.size(), 2u) << describe(batches);
  ASSERT_EQ(batches[1].events.size(), 1u);
  EXPECT_EQ(batches[1].events[0].type, WatchEvent::Type::remove);
  EXPECT_EQ(batches[1].events[0].kv.key, key("leased"));
  EXPECT_EQ(batches[1].events[0].kv.mod_revision, batches[1].revision);
  EXPECT_EQ(error_of(store().lease_ttl(lease.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().renew_lease(lease.id)), Errc::not_found);
}

TEST_P(StoreConformance, RenewingALeaseRestoresItsFullTtl) {
  Lease lease = ok(store().grant_lease(2));
  ok(store().put(key("k"), "v", lease.id));
  std::this_thread::sleep_for(1200ms);
  int64_t before = ok(store().lease_ttl(lease.id));
  EXPECT_EQ(ok(store().renew_lease(lease.id)), 2);
  int64_t after = ok(store().lease_ttl(lease.id));
  EXPECT_GT(after, before);
  std::this_thread::sleep_for(1200ms);  // 2.4 s after the grant: alive only thanks to the renewal
  EXPECT_TRUE(ok(store().get(key("k"))));
  // Renewing is not keeping alive: it still expires.
  EXPECT_TRUE(eventually([&] { return !ok(store().get(key("k"))); }, 10s));
}

TEST_P(StoreConformance, RevokingALeaseDeletesItsKeysAtOnce) {
  Lease lease = ok(store().grant_lease(60));
  ok(store().put(key("a"), "1", lease.id));
  ok(store().put(key("b"), "2", lease.id));
  ok(store().put(key("c"), "3", lease.id));
  ok(store().put(key("c"), "3, detached"));  // a put without a lease detaches the key
  EXPECT_EQ(ok(store().get(key("c")))->lease, 0);
  ok(store().put(key("d"), "4"));
  Recorder recorder;
  auto watch = ok(store().watch(prefix_, 0, recorder.callback()));

  ok(store().revoke_lease(lease.id));
  EXPECT_EQ(ok(store().get(key("a"))), std::nullopt);
  EXPECT_EQ(ok(store().get(key("b"))), std::nullopt);
  EXPECT_EQ(keys_of(ok(store().list(prefix_)).kvs), (std::vector{key("c"), key("d")}));
  EXPECT_EQ(error_of(store().lease_ttl(lease.id)), Errc::not_found);
  EXPECT_EQ(error_of(store().renew_lease(lease.id)), Errc::not_found);

  // Both deletions are one change, at one revision.
  auto batches = recorder.wait_for(1);
  ASSERT_EQ(batches.size(), 1u) << describe(batches);
  ASSERT_EQ(batches[0].events.size(), 2u) << describe(batches[0]);
  std::set<std::string> removed;
  for (const auto& e : batches[0].events) {
    EXPECT_EQ(e.type, WatchEvent::Type::remove);
    EXPECT_EQ(e.kv.mod_revision, batches[0].revision);
    removed.insert(e.kv.key);
  }
  EXPECT_EQ(removed, (std::set{key("a"), key("b")}));
}

TEST_P(StoreConformance, KeepAliveKeepsAShortLeaseAlive) {
  Lease lease = ok(store().grant_lease(1));
  ok(store().put(key("k"), "v", lease.id));
  auto keep = ok(store().keep_alive(lease.id));
  std::this_thread::sleep_for(3s);  // three TTLs
  EXPECT_TRUE(keep->alive());
  EXPECT_TRUE(ok(store().get(key("k"))));
  EXPECT_GE(ok(store().lease_ttl(lease.id)), 0);

  keep.reset();  // stops renewing: the lease now runs out
  EXPECT_TRUE(eventually([&] { return !ok(store().get(key("k"))); }, 10s));
}

TEST_P(StoreConformance, KeepAliveReportsARevokedLease) {
  Lease lease = ok(store().grant_lease(1));
  auto keep = ok(store().keep_alive(lease.id));
  EXPECT_TRUE(keep->alive());
  ok(store().revoke_lease(lease.id));
  EXPECT_TRUE(eventually([&] { return !keep->alive(); }, 5s));
}

INSTANTIATE_TEST_SUITE_P(Memory, StoreConformance, ::testing::Values(Backend::memory),
                         backend_name);
INSTANTIATE_TEST_SUITE_P(Etcd, StoreConformance, ::testing::Values(Backend::etcd), backend_name);

}  // namespace
}  // namespace store
}  // namespace weft
