// MemoryStore beyond the shared contract (that is tests/integration/store_conformance_test.cc):
// its file, exact revision accounting, and the edges of its threads.
#include "store/memory_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "base/clock.h"
#include "base/json.h"
#include "store/memory_file.h"
#include "store/store.h"
#include "store_printers.h"

namespace weft {

namespace store {

namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

template <class T>
T ok(Result<T> result) {
  if (!result) throw std::runtime_error("store error: " + result.error().describe());
  return std::move(*result);
}
void ok(Result<void> result) {
  if (!result) throw std::runtime_error("store error: " + result.error().describe());
}

template <class T>
std::optional<Errc> error_of(const Result<T>& result) {
  if (result) return std::nullopt;
  return result.error().code;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

class MemoryStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "weft-memory-store-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "store.json").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<Store> open() { return ok(MemoryStore::open(path_)); }

  fs::path dir_;
  std::string path_;
};

// ---- revisions (exact here: no other client shares the store) ----

TEST(MemoryStore, EachWriteIsOneRevisionAndReadsAreNone) {
  auto store = ok(MemoryStore::open(""));
  const int64_t start = ok(store->list("")).revision;
  EXPECT_EQ(start, 1);  // as a fresh etcd
  EXPECT_EQ(ok(store->put("/a", "1")), start + 1);
  EXPECT_EQ(ok(store->put("/b", "2")), start + 2);
  EXPECT_EQ(ok(store->remove("/a")), 1);
  EXPECT_EQ(ok(store->list("")).revision, start + 3);

  // Nothing changed, nothing counted: removing an absent key, a read-only or empty transaction,
  // a transaction whose only write deletes nothing.
  EXPECT_EQ(ok(store->remove("/absent")), 0);
  auto read = ok(store->txn(Txn{.compare = {}, .success = {TxnOp::get("/b")}, .failure = {}}));
  EXPECT_EQ(read.revision, start + 3);
  auto empty = ok(store->txn(Txn{}));
  EXPECT_EQ(empty.revision, start + 3);
  auto noop =
      ok(store->txn(Txn{.compare = {}, .success = {TxnOp::remove_prefix("/zzz")}, .failure = {}}));
  EXPECT_EQ(noop.revision, start + 3);
  EXPECT_EQ(ok(store->list("")).revision, start + 3);

  // A transaction of three writes is one revision.
  auto three = ok(
      store->txn(Txn{.compare = {},
                     .success = {TxnOp::put("/c", "3"), TxnOp::put("/d", "4"), TxnOp::remove("/b")},
                     .failure = {}}));
  EXPECT_EQ(three.revision, start + 4);
}

TEST(MemoryStore, FailedCallsCountAsRoundTripsToo) {
  auto store = ok(MemoryStore::open(""));
  auto& trips = store->counters().round_trips;
  uint64_t before = trips.load();
  EXPECT_FALSE(store->put("", "v"));
  EXPECT_FALSE(store->renew_lease(42));
  EXPECT_EQ(trips.load() - before, 2u);
}

TEST(MemoryStore, RejectsMalformedRequests) {
  auto store = ok(MemoryStore::open(""));
  EXPECT_EQ(error_of(store->grant_lease(0)), Errc::invalid_argument);
  EXPECT_EQ(error_of(store->grant_lease(-5)), Errc::invalid_argument);
  EXPECT_EQ(error_of(store->watch("/", -1, [](const WatchBatch&) {})), Errc::invalid_argument);
  EXPECT_EQ(error_of(store->watch("/", 0, nullptr)), Errc::invalid_argument);
  EXPECT_EQ(error_of(store->compact(1000)), Errc::invalid_argument);  // a future revision
}

TEST(MemoryStore, LeaseTtlIsWholeSecondsRoundedDown) {
  auto store = ok(MemoryStore::open(""));
  Lease lease = ok(store->grant_lease(10));
  EXPECT_EQ(ok(store->lease_ttl(lease.id)), 9);  // 9.99... seconds left, as etcd reports it
}

// ---- watches ----

TEST(MemoryStore, AWatchFromAFutureRevisionWaitsForIt) {
  auto store = ok(MemoryStore::open(""));
  const int64_t now = ok(store->list("")).revision;
  std::mutex mu;
  std::vector<int64_t> revisions;
  auto watch = ok(store->watch("/", now + 2, [&](const WatchBatch& batch) {
    std::lock_guard lock(mu);
    revisions.push_back(batch.revision);
  }));
  ok(store->put("/a", "1"));  // now + 1: before the start
  ok(store->put("/a", "2"));  // now + 2
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return !revisions.empty();
      },
      5s));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(revisions, std::vector<int64_t>{now + 2});
}

TEST(MemoryStore, AWatchMayBeDestroyedFromItsOwnCallback) {
  auto store = ok(MemoryStore::open(""));
  std::mutex mu;
  std::condition_variable cv;
  std::unique_ptr<Watch> watch;
  int calls = 0;
  bool destroyed = false;
  {
    std::lock_guard lock(mu);
    watch = ok(store->watch("/", 0, [&](const WatchBatch&) {
      std::unique_ptr<Watch> self;
      {
        std::lock_guard inner(mu);
        ++calls;
        self = std::move(watch);
      }
      self.reset();  // must neither deadlock nor crash
      std::lock_guard inner(mu);
      destroyed = true;
      cv.notify_all();
    }));
  }
  ok(store->put("/a", "1"));
  std::unique_lock lock(mu);
  EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return destroyed; }));
  lock.unlock();
  ok(store->put("/b", "2"));
  std::this_thread::sleep_for(100ms);
  lock.lock();
  EXPECT_EQ(calls, 1);
}

TEST(MemoryStore, HandlesMayOutliveTheStore) {
  auto store = ok(MemoryStore::open(""));
  auto watch = ok(store->watch("/", 0, [](const WatchBatch&) {}));
  Lease lease = ok(store->grant_lease(1));
  auto keep = ok(store->keep_alive(lease.id));
  store.reset();
  // The keep-alive finds the store gone at its next renewal.
  EXPECT_TRUE(eventually([&] { return !keep->alive(); }, 3s));
  keep.reset();
  watch.reset();
}

// ---- the file ----

TEST_F(MemoryStoreTest, ReopeningRestoresKeysRevisionsAndLeases) {
  KeyValue a, b;
  Lease lease;
  int64_t revision = 0;
  {
    auto store = open();
    lease = ok(store->grant_lease(60));
    ok(store->put("/a", "1"));
    ok(store->put("/b", "2", lease.id));
    ok(store->put("/a", "1 again"));
    ok(store->put("/c", "3"));
    ok(store->remove("/c"));
    a = *ok(store->get("/a"));
    b = *ok(store->get("/b"));
    revision = ok(store->list("")).revision;
  }
  auto store = open();
  EXPECT_EQ(ok(store->get("/a")), a);
  EXPECT_EQ(ok(store->get("/b")), b);
  EXPECT_EQ(ok(store->get("/c")), std::nullopt);
  EXPECT_EQ(ok(store->list("")).revision, revision);
  EXPECT_EQ(ok(store->put("/d", "4")), revision + 1);

  int64_t ttl = ok(store->lease_ttl(lease.id));
  EXPECT_GE(ttl, 58);
  EXPECT_LE(ttl, 60);
  EXPECT_EQ(ok(store->renew_lease(lease.id)), 60);
  EXPECT_NE(ok(store->grant_lease(5)).id, lease.id);  // lease ids are never reused
  ok(store->revoke_lease(lease.id));                  // the reloaded lease still owns /b
  EXPECT_EQ(ok(store->get("/b")), std::nullopt);
}

TEST_F(MemoryStoreTest, ALeaseKeepsRunningOutWhileTheStoreIsClosed) {
  FakeClock clock;
  Lease lease;
  {
    auto store = ok(MemoryStore::open(path_, clock));
    lease = ok(store->grant_lease(5));
    ok(store->put("/k", "v", lease.id));
  }
  clock.advance(2s);  // the file keeps the expiry as wall-clock time, which moved on too
  auto store = ok(MemoryStore::open(path_, clock));
  EXPECT_EQ(ok(store->lease_ttl(lease.id)), 3);
  clock.advance(3s);
  EXPECT_EQ(store->expire_due(), 1u);
  EXPECT_EQ(ok(store->get("/k")), std::nullopt);
}

TEST_F(MemoryStoreTest, ALeaseThatExpiredWhileClosedIsRevokedOnOpen) {
  // Written by hand: lease 1 ran out a second ago, lease 2 has 30 s left (on the fake clock, whose
  // wall time the file is read against).
  FakeClock clock;
  auto key = [](const char* name, int64_t mod_revision, int64_t version, LeaseId lease) {
    return Json{{"key", name},          {"value", "v"},
                {"create_revision", 2}, {"mod_revision", mod_revision},
                {"version", version},   {"lease", lease}};
  };
  Json file = {{"format", "weft-memory-store/1"},
               {"revision", 5},
               {"compact_revision", 0},
               {"next_lease_id", 3},
               {"keys", {key("/gone", 2, 1, 1), key("/kept", 5, 2, 2)}},
               {"leases",
                {{{"id", 1}, {"ttl_seconds", 10}, {"expires_at_unix_ms", clock.unix_millis() - 1000}},
                 {{"id", 2}, {"ttl_seconds", 60}, {"expires_at_unix_ms", clock.unix_millis() + 30'000}}}}};
  write_file(path_, file.dump());
  auto store = ok(MemoryStore::open(path_, clock));
  EXPECT_EQ(error_of(store->lease_ttl(1)), Errc::not_found);  // expired, though not yet revoked
  EXPECT_EQ(store->expire_due(), 1u);
  EXPECT_EQ(ok(store->get("/gone")), std::nullopt);
  EXPECT_EQ(ok(store->list("")).revision, 6);  // the revocation is one write
  auto kept = ok(store->get("/kept"));
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->version, 2);
  EXPECT_EQ(kept->lease, 2);
  EXPECT_EQ(ok(store->lease_ttl(2)), 30);
  // The file now says so too.
  auto saved = ok(memory::decode_state(read_file(path_), clock));
  EXPECT_FALSE(saved.keys.contains("/gone"));
  EXPECT_FALSE(saved.leases.contains(1));
}

TEST(MemoryStore, OnTheRealClockExpiredLeasesAreRevokedByTheTimer) {
  // The one test that waits for a TTL: the timer thread exists only on the real clock.
  auto store = ok(MemoryStore::open(""));
  Lease lease = ok(store->grant_lease(1));
  ok(store->put("/k", "v", lease.id));
  EXPECT_TRUE(eventually([&] { return !ok(store->get("/k")); }, 5s));
}

// ---- leases on a fake clock: no sleeps, no timer ----

TEST(MemoryStoreFakeClock, ExpireDueRevokesWhatExpiredAtTheClocksNowAndNothingElse) {
  FakeClock clock;
  auto store = ok(MemoryStore::open("", clock));
  Lease short_lease = ok(store->grant_lease(10));
  Lease long_lease = ok(store->grant_lease(60));
  ok(store->put("/short", "v", short_lease.id));
  ok(store->put("/long", "v", long_lease.id));
  std::mutex mu;
  std::vector<WatchEvent> events;
  auto watch = ok(store->watch("/", 0, [&](const WatchBatch& batch) {
    std::lock_guard lock(mu);
    events.insert(events.end(), batch.events.begin(), batch.events.end());
  }));

  clock.advance(9s);
  EXPECT_EQ(store->expire_due(), 0u);
  EXPECT_EQ(ok(store->lease_ttl(short_lease.id)), 1);

  clock.advance(1s);  // exactly the TTL: expired
  // Gone for lease calls at once; its keys stay until expire_due() (there is no timer thread).
  EXPECT_EQ(error_of(store->lease_ttl(short_lease.id)), Errc::not_found);
  EXPECT_EQ(error_of(store->renew_lease(short_lease.id)), Errc::not_found);
  EXPECT_EQ(error_of(store->put("/again", "v", short_lease.id)), Errc::not_found);
  EXPECT_TRUE(ok(store->get("/short")));

  const int64_t before = ok(store->list("")).revision;
  EXPECT_EQ(store->expire_due(), 1u);
  EXPECT_EQ(ok(store->get("/short")), std::nullopt);
  EXPECT_TRUE(ok(store->get("/long")));
  EXPECT_EQ(ok(store->list("")).revision, before + 1);
  EXPECT_EQ(store->expire_due(), 0u);  // nothing twice
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return events.size() == 1;
      },
      5s));
  std::lock_guard lock(mu);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, WatchEvent::Type::remove);
  EXPECT_EQ(events[0].kv.key, "/short");
}

TEST(MemoryStoreFakeClock, ARenewalRestartsTheTtlFromTheClocksNow) {
  FakeClock clock;
  auto store = ok(MemoryStore::open("", clock));
  Lease lease = ok(store->grant_lease(10));
  ok(store->put("/k", "v", lease.id));
  clock.advance(8s);
  EXPECT_EQ(ok(store->renew_lease(lease.id)), 10);
  clock.advance(8s);  // 16 s after the grant, 8 s after the renewal
  EXPECT_EQ(store->expire_due(), 0u);
  EXPECT_EQ(ok(store->lease_ttl(lease.id)), 2);
  clock.advance(2s);
  EXPECT_EQ(store->expire_due(), 1u);
  EXPECT_EQ(ok(store->get("/k")), std::nullopt);
}

TEST_F(MemoryStoreTest, AfterReopeningAWatchFromAnEarlierRevisionResyncs) {
  int64_t first = 0;
  {
    auto store = open();
    first = ok(store->put("/a", "1"));
    ok(store->put("/b", "2"));
  }
  auto store = open();
  std::mutex mu;
  std::vector<WatchBatch> batches;
  auto watch = ok(store->watch("/", first, [&](const WatchBatch& batch) {
    std::lock_guard lock(mu);
    batches.push_back(batch);
  }));
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return !batches.empty();
      },
      5s));
  std::lock_guard lock(mu);
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_TRUE(batches[0].resync);  // the history is not saved
  EXPECT_EQ(batches[0].events.size(), 2u);
}

TEST_F(MemoryStoreTest, BinaryKeysAndValuesSurviveReopening) {
  const std::string key("/bin/\xff\x00", 7);
  const std::string value("\x00\x01\xfe\xff text", 10);
  {
    auto store = open();
    ok(store->put(key, value));
    ok(store->put("/text", "héllo"));
  }
  // UTF-8 stays readable in the file; other bytes are base64.
  EXPECT_NE(read_file(path_).find("\"héllo\""), std::string::npos);
  auto store = open();
  auto kv = ok(store->get(key));
  ASSERT_TRUE(kv);
  EXPECT_EQ(kv->value, value);
  EXPECT_EQ(ok(store->get("/text"))->value, "héllo");
}

TEST_F(MemoryStoreTest, EveryWriteIsSavedAndNoTemporaryFileRemains) {
  auto store = open();
  ok(store->put("/a", "1"));
  ok(store->txn(Txn{.compare = {}, .success = {TxnOp::put("/b", "2")}, .failure = {}}));
  auto saved = ok(memory::decode_state(read_file(path_)));
  EXPECT_EQ(saved.revision, 3);
  ASSERT_TRUE(saved.keys.contains("/b"));
  EXPECT_EQ(saved.keys.at("/b").value, "2");
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
}

TEST_F(MemoryStoreTest, AWriteThatCannotBeSavedFailsAndChangesNothing) {
  auto store = open();
  ok(store->put("/a", "1"));
  std::mutex mu;
  int batches = 0;
  auto watch = ok(store->watch("/", 0, [&](const WatchBatch&) {
    std::lock_guard lock(mu);
    ++batches;
  }));
  const std::string before = read_file(path_);
  // A directory where the temporary file goes makes the save fail, even for root.
  fs::create_directory(path_ + ".tmp");
  EXPECT_EQ(error_of(store->put("/b", "2")), Errc::io);
  EXPECT_EQ(error_of(store->remove("/a")), Errc::io);
  EXPECT_EQ(error_of(store->grant_lease(5)), Errc::io);
  EXPECT_EQ(ok(store->get("/b")), std::nullopt);
  EXPECT_TRUE(ok(store->get("/a")));
  EXPECT_EQ(ok(store->list("")).revision, 2);
  EXPECT_EQ(read_file(path_), before);

  fs::remove(path_ + ".tmp");
  EXPECT_EQ(ok(store->put("/c", "3")), 3);  // the failed writes used no revision
  EXPECT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mu);
        return batches == 1;
      },
      5s));
  std::this_thread::sleep_for(50ms);
  std::lock_guard lock(mu);
  EXPECT_EQ(batches, 1);  // only /c was ever announced
}

struct CorruptCase {
  const char* name;
  std::string text;
  const char* fault;  // a fragment the error message must contain
};

class CorruptFileTest : public MemoryStoreTest,
                        public ::testing::WithParamInterface<CorruptCase> {};

TEST_P(CorruptFileTest, IsReportedWithThePathAndLeftUntouched) {
  write_file(path_, GetParam().text);
  auto store = MemoryStore::open(path_);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().code, Errc::corrupt);
  EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
  EXPECT_NE(store.error().message.find(GetParam().fault), std::string::npos)
      << store.error().message;
  EXPECT_EQ(read_file(path_), GetParam().text);
  EXPECT_FALSE(fs::exists(path_ + ".tmp"));
}

// A valid file with one field replaced.
std::string valid_with(const std::string& from, const std::string& to) {
  std::string text = R"({"format": "weft-memory-store/1", "revision": 4, "compact_revision": 0,
    "next_lease_id": 2,
    "keys": [{"key": "/a", "value": "1", "create_revision": 2, "mod_revision": 3, "version": 2,
              "lease": 1}],
    "leases": [{"id": 1, "ttl_seconds": 10, "expires_at_unix_ms": 4102444800000}]})";
  auto at = text.find(from);
  if (at == std::string::npos) throw std::logic_error("no " + from + " in the template");
  return text.replace(at, from.size(), to);
}

INSTANTIATE_TEST_SUITE_P(
    MemoryStore, CorruptFileTest,
    ::testing::Values(
        CorruptCase{"garbage", "not json at all", "not valid JSON"},
        CorruptCase{"empty", "", "not valid JSON"},
        CorruptCase{"truncated", valid_with("", "").substr(0, 120), "not valid JSON"},
        CorruptCase{"array", "[1, 2]", "expected a JSON object"},
        CorruptCase{"other_format", valid_with("weft-memory-store/1", "something/9"), "format"},
        CorruptCase{"no_revision", valid_with("\"revision\": 4,", ""), "missing field 'revision'"},
        CorruptCase{"string_version", valid_with("\"version\": 2", "\"version\": \"2\""),
                    "keys[0]: field 'version' must be an integer"},
        CorruptCase{"unknown_lease", valid_with("\"lease\": 1", "\"lease\": 7"),
                    "keys[0].lease: lease 7 is not in"},
        CorruptCase{"future_mod_revision", valid_with("\"mod_revision\": 3", "\"mod_revision\": 9"),
                    "keys[0].mod_revision"},
        CorruptCase{"bad_base64", valid_with("\"value\": \"1\"", "\"value\": {\"base64\": \"!!\"}"),
                    "keys[0].value: invalid base64"},
        CorruptCase{"zero_ttl", valid_with("\"ttl_seconds\": 10", "\"ttl_seconds\": 0"),
                    "leases[0].ttl_seconds"}),
    [](const auto& test) { return std::string(test.param.name); });

TEST_F(MemoryStoreTest, TheValidTemplateOfTheCorruptCasesLoads) {
  // Guards the cases above: each fails for its own fault, not for a broken template.
  write_file(path_, valid_with("", ""));
  auto store = open();
  EXPECT_EQ(ok(store->get("/a"))->version, 2);
}

TEST_F(MemoryStoreTest, AnUnusablePathIsAnIoError) {
  write_file(dir_ / "file", "x");
  auto under_a_file = MemoryStore::open((dir_ / "file" / "store.json").string());
  ASSERT_FALSE(under_a_file);
  EXPECT_EQ(under_a_file.error().code, Errc::io);
  EXPECT_NE(under_a_file.error().message.find((dir_ / "file").string()), std::string::npos);

  auto missing_dir = MemoryStore::open((dir_ / "no" / "such" / "store.json").string());
  ASSERT_FALSE(missing_dir);
  EXPECT_EQ(missing_dir.error().code, Errc::io);

  fs::create_directory(dir_ / "a-directory");
  auto a_directory = MemoryStore::open((dir_ / "a-directory").string());
  ASSERT_FALSE(a_directory);
  EXPECT_EQ(a_directory.error().code, Errc::io);
}

TEST_F(MemoryStoreTest, OpenStoreUrlsReachTheMemoryStore) {
  StoreOptions options;
  options.url = "file:" + path_;
  auto store = ok(open_store(options));
  ok(store->put("/a", "1"));
  EXPECT_TRUE(fs::exists(path_));
  options.url = "memory:";
  EXPECT_TRUE(ok(open_store(options)));
}

}  // namespace
}  // namespace store
}  // namespace weft
