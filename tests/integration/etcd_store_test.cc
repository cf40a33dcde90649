// EtcdStore against a real etcd: what only the etcd implementation has to get right (endpoints,
// failover, reconnects, TLS, etcd's key-range and error conventions). The behaviour both stores
// share is in store_conformance_test.cc.
#include "store/etcd_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "etcd_server.h"
#include "require.h"

namespace weft::store {
namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using weft::testing::EtcdServer;
using Clock = std::chrono::steady_clock;

std::unique_ptr<Store> connect_or_die(std::vector<std::string> endpoints,
                                      std::chrono::milliseconds timeout = 5s) {
  auto store = EtcdStore::connect({.endpoints = std::move(endpoints), .request_timeout = timeout});
  EXPECT_TRUE(store.has_value()) << store.error().describe();
  return store ? std::move(*store) : nullptr;
}

// Records watch batches (one per revision) and lets the test wait for them.
class Recorder {
 public:
  WatchCallback callback() {
    return [this](const WatchBatch& batch) {
      std::unique_lock lock(mutex_);
      batches_.push_back(batch);
      changed_.notify_all();
      changed_.wait(lock, [&] { return !held_; });
    };
  }
  // While held, the callback blocks the watch's thread after recording a batch.
  void hold(bool held) {
    std::lock_guard lock(mutex_);
    held_ = held;
    changed_.notify_all();
  }
  // Waits until at least `n` batches arrived (or 10 s passed); returns all of them.
  std::vector<WatchBatch> wait(size_t n) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, 10s, [&] { return batches_.size() >= n; });
    return batches_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<WatchBatch> batches_;
  bool held_ = false;
};

// "put /w/a@5" for each event of each batch, to compare whole sequences at once.
std::vector<std::string> describe(const std::vector<WatchBatch>& batches) {
  std::vector<std::string> out;
  for (const auto& batch : batches) {
    for (const auto& e : batch.events) {
      out.push_back((e.type == WatchEvent::Type::put ? "put " : "remove ") + e.kv.key + "@" +
                    std::to_string(e.kv.mod_revision) + (batch.resync ? " (resync)" : ""));
    }
  }
  return out;
}

std::vector<std::string> keys_of(const std::vector<KeyValue>& kvs) {
  std::vector<std::string> keys;
  for (const auto& kv : kvs) keys.push_back(kv.key);
  return keys;
}

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server_.start()); }
  EtcdServer server_;
};

TEST(EtcdStoreOptions, InvalidOptionsFailAtConnect) {
  auto none = EtcdStore::connect({});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Errc::invalid_argument);

  for (const char* bad : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:99999", ":2379", "::1:2379"}) {
    auto store = EtcdStore::connect({.endpoints = {bad}});
    ASSERT_FALSE(store) << bad;
    EXPECT_EQ(store.error().code, Errc::invalid_argument) << bad;
  }

  auto unreadable =
      EtcdStore::connect({.endpoints = {"127.0.0.1:2379"}, .tls_ca_file = "/nonexistent/ca.pem"});
  ASSERT_FALSE(unreadable);
  EXPECT_EQ(unreadable.error().code, Errc::io);

  auto cert_without_key = EtcdStore::connect(
      {.endpoints = {"127.0.0.1:2379"}, .tls_cert_file = "/nonexistent/client.pem"});
  ASSERT_FALSE(cert_without_key);
  EXPECT_EQ(cert_without_key.error().code, Errc::invalid_argument);

  // etcdctl-style URLs and IPv6 literals are accepted.
  EXPECT_TRUE(EtcdStore::connect({.endpoints = {"http://127.0.0.1:2379/", "[::1]:2379"}}));
}

TEST(EtcdStoreLazy, ConnectsWhileEtcdIsDownAndWorksOnceItIsUp) {
  EtcdServer server;  // not started yet
  auto store = connect_or_die({server.endpoint()}, 3s);
  ASSERT_TRUE(store);
  ASSERT_TRUE(server.start());
  auto revision = store->put("/lazy", "v");
  ASSERT_TRUE(revision) << revision.error().describe();
  auto got = store->get("/lazy");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, "v");
}

TEST_F(EtcdStoreTest, ADeadEndpointFirstInTheListDoesNotFailCalls) {
  const std::string dead = "127.0.0.1:" + std::to_string(weft::testing::free_tcp_port());
  auto store = connect_or_die({dead, server_.endpoint()});
  ASSERT_TRUE(store);
  for (int i = 0; i < 5; ++i) {
    auto put = store->put("/failover/k", std::to_string(i));
    ASSERT_TRUE(put) << put.error().describe();
    auto got = store->get("/failover/k");
    ASSERT_TRUE(got && *got) << (got ? "absent" : got.error().describe());
    EXPECT_EQ((*got)->value, std::to_string(i));
  }
  // The dead endpoint was skipped without sending it anything: one request per call.
  EXPECT_EQ(store->counters().round_trips.load(), 10u);
}

// Two independent etcd servers stand in for two members: what matters is that the client moves
// to the second one when the first dies, not that they share data.
TEST_F(EtcdStoreTest, FailsOverWhenTheEndpointInUseDies) {
  EtcdServer second;
  ASSERT_TRUE(second.start());
  auto store = connect_or_die({server_.endpoint(), second.endpoint()});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/member", "first"));
  // The client uses whichever member connected first; stop the one that took the write.
  auto first_only = connect_or_die({server_.endpoint()});
  auto on_first = first_only->get("/member");
  ASSERT_TRUE(on_first);
  first_only.reset();
  if (*on_first) {
    server_.stop();
  } else {
    second.stop();
  }

  // A read is retried on the other member, so it succeeds even if the dead connection is still
  // believed healthy; writes go to the member that answered.
  auto got = store->get("/member");
  ASSERT_TRUE(got) << got.error().describe();
  EXPECT_FALSE(*got);  // the second server never saw the write
  auto put = store->put("/member", "second");
  ASSERT_TRUE(put) << put.error().describe();
  auto again = store->get("/member");
  ASSERT_TRUE(again && *again);
  EXPECT_EQ((*again)->value, "second");
}

TEST_F(EtcdStoreTest, ReportsUnavailableWithinTheTimeoutAndRecoversAfterRestart) {
  auto store = connect_or_die({server_.endpoint()}, 2s);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/restart/k", "kept"));
  server_.stop();

  const auto start = Clock::now();
  auto down = store->get("/restart/k");
  const auto elapsed = Clock::now() - start;
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().code, Errc::unavailable) << down.error().describe();
  EXPECT_LT(elapsed, 2s + 500ms);
  auto put_down = store->put("/restart/other", "x");
  ASSERT_FALSE(put_down);
  EXPECT_EQ(put_down.error().code, Errc::unavailable);

  ASSERT_TRUE(server_.start());
  auto up = store->get("/restart/k");  // the very first call after the restart succeeds
  ASSERT_TRUE(up) << up.error().describe();
  ASSERT_TRUE(*up);
  EXPECT_EQ((*up)->value, "kept");
}

TEST_F(EtcdStoreTest, WatchContinuesAcrossARestartWithoutGapsOrDuplicates) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  auto first = store->put("/w/a", "1");
  ASSERT_TRUE(first);
  Recorder recorder;
  recorder.hold(true);
  auto watch = store->watch("/w/", *first, recorder.callback());
  ASSERT_TRUE(watch) << watch.error().describe();
  struct Release {  // before the watch is destroyed (joining its thread), also on failure
    Recorder& recorder;
    ~Release() { recorder.hold(false); }
  } release{recorder};
  ASSERT_EQ(recorder.wait(1).size(), 1u);

  // The watch's thread is held in the callback while etcd restarts and these writes are made:
  // when released it finds its stream dead and must pick them up from history, starting right
  // after the last revision it delivered.
  server_.stop();
  ASSERT_TRUE(server_.start());
  auto second = store->put("/w/b", "2");
  ASSERT_TRUE(second) << second.error().describe();
  auto removed = store->remove("/w/a");
  ASSERT_TRUE(removed);
  auto third = store->list("/w/");  // a remove reports a count, not its revision
  ASSERT_TRUE(third);
  auto fourth = store->put("/w/c", "3");
  ASSERT_TRUE(fourth);
  recorder.hold(false);

  recorder.wait(4);
  std::this_thread::sleep_for(300ms);  // room for a duplicate to show up
  auto at = [](const char* what, int64_t revision) { return what + std::to_string(revision); };
  EXPECT_THAT(describe(recorder.wait(4)),
              ElementsAre(at("put /w/a@", *first), at("put /w/b@", *second),
                          at("remove /w/a@", third->revision), at("put /w/c@", *fourth)));
}

TEST_F(EtcdStoreTest, WatchFromACompactedRevisionDeliversAResyncThenContinues) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  auto start = store->put("/c/a", "1");
  ASSERT_TRUE(start);
  ASSERT_TRUE(store->put("/c/b", "2"));
  auto rewritten = store->put("/c/a", "3");
  ASSERT_TRUE(rewritten);
  ASSERT_TRUE(store->remove("/c/b"));
  auto latest = store->put("/elsewhere", "x");
  ASSERT_TRUE(latest);
  ASSERT_TRUE(store->compact(*latest));

  Recorder recorder;
  auto watch = store->watch("/c/", *start, recorder.callback());
  ASSERT_TRUE(watch) << watch.error().describe();
  ASSERT_EQ(recorder.wait(1).size(), 1u);
  auto next = store->put("/c/d", "4");
  ASSERT_TRUE(next);
  // First the prefix as it is now (/c/b is gone, /c/a holds its last value), then live events.
  const auto batches = recorder.wait(2);
  EXPECT_THAT(describe(batches), ElementsAre("put /c/a@" + std::to_string(*rewritten) + " (resync)",
                                             "put /c/d@" + std::to_string(*next)));
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_GE(batches[0].revision, *latest);
  EXPECT_EQ(batches[0].events[0].kv.value, "3");
  EXPECT_EQ(batches[1].revision, *next);
}

TEST_F(EtcdStoreTest, WatchFromNowSeesAWriteMadeRightAfterItReturns) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/now/old", "0"));
  Recorder recorder;
  auto watch = store->watch("/now/", 0, recorder.callback());
  ASSERT_TRUE(watch);
  auto revision = store->put("/now/new", "1");  // before the watch thread is likely connected
  ASSERT_TRUE(revision);
  EXPECT_THAT(describe(recorder.wait(1)), ElementsAre("put /now/new@" + std::to_string(*revision)));
}

TEST_F(EtcdStoreTest, DestroyingAWatchIsPromptWhetherConnectedOrNot) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  for (bool up : {true, false}) {
    Recorder recorder;
    auto watch = store->watch("/p/", 1, recorder.callback());
    ASSERT_TRUE(watch);
    if (!up) server_.stop();
    std::this_thread::sleep_for(300ms);  // connected and waiting, or reconnecting
    const auto start = Clock::now();
    watch->reset();
    EXPECT_LT(Clock::now() - start, 500ms) << (up ? "connected" : "etcd down");
  }
}

TEST_F(EtcdStoreTest, KeepAliveHoldsALeasePastItsTtlAndStopsWhenDestroyed) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  auto lease = store->grant_lease(2);
  ASSERT_TRUE(lease) << lease.error().describe();
  ASSERT_TRUE(store->put("/lease/k", "v", lease->id));
  auto keeper = store->keep_alive(lease->id);
  ASSERT_TRUE(keeper) << keeper.error().describe();

  std::this_thread::sleep_for(5s);
  EXPECT_TRUE((*keeper)->alive());
  auto held = store->get("/lease/k");
  ASSERT_TRUE(held);
  EXPECT_TRUE(*held) << "the key vanished although its lease was kept alive";

  keeper->reset();
  bool vanished = false;
  for (auto deadline = Clock::now() + 6s; Clock::now() < deadline && !vanished;) {
    std::this_thread::sleep_for(200ms);
    auto got = store->get("/lease/k");
    ASSERT_TRUE(got);
    vanished = !*got;
  }
  EXPECT_TRUE(vanished) << "the lease outlived its keep-alive";
  auto ttl = store->lease_ttl(lease->id);
  ASSERT_FALSE(ttl);
  EXPECT_EQ(ttl.error().code, Errc::not_found);
}

// etcd re-arms every lease with its full TTL when it starts, so only renewals made after the
// restart (over a new stream) keep the key beyond one TTL from then.
TEST_F(EtcdStoreTest, KeepAliveReconnectsAfterAnEtcdRestart) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  auto lease = store->grant_lease(2);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(store->put("/lease/restart", "v", lease->id));
  auto keeper = store->keep_alive(lease->id);
  ASSERT_TRUE(keeper);
  server_.stop();
  ASSERT_TRUE(server_.start());
  std::this_thread::sleep_for(4s);
  EXPECT_TRUE((*keeper)->alive());
  auto held = store->get("/lease/restart");
  ASSERT_TRUE(held) << held.error().describe();
  EXPECT_TRUE(*held) << "the lease expired: the keep-alive did not resume after the restart";
}

TEST_F(EtcdStoreTest, KeepAliveNoticesARevokedLease) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  auto lease = store->grant_lease(3);  // renewed every second
  ASSERT_TRUE(lease);
  auto keeper = store->keep_alive(lease->id);
  ASSERT_TRUE(keeper);
  EXPECT_TRUE((*keeper)->alive());
  ASSERT_TRUE(store->revoke_lease(lease->id));
  for (auto deadline = Clock::now() + 3s; Clock::now() < deadline && (*keeper)->alive();) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE((*keeper)->alive());
}

TEST_F(EtcdStoreTest, EtcdErrorsMapToStoreErrors) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  constexpr LeaseId unknown = 0x7eadbeef;
  EXPECT_EQ(store->renew_lease(unknown).error().code, Errc::not_found);
  EXPECT_EQ(store->lease_ttl(unknown).error().code, Errc::not_found);
  EXPECT_EQ(store->revoke_lease(unknown).error().code, Errc::not_found);
  EXPECT_EQ(store->keep_alive(unknown).error().code, Errc::not_found);
  EXPECT_EQ(store->grant_lease(0).error().code, Errc::invalid_argument);
  EXPECT_EQ(store->put("", "empty key").error().code, Errc::invalid_argument);

  auto revision = store->put("/e/k", "v");
  ASSERT_TRUE(revision);
  ASSERT_TRUE(store->compact(*revision));
  EXPECT_EQ(store->compact(*revision).error().code, Errc::compacted);
  EXPECT_EQ(store->compact(*revision + 1000).error().code, Errc::invalid_argument);
}

// Prefixes ending in 0xff bytes are where computing etcd's range_end goes wrong.
TEST_F(EtcdStoreTest, PrefixRangesCoverExactlyThePrefix) {
  auto store = connect_or_die({server_.endpoint()});
  ASSERT_TRUE(store);
  const std::string ff = "p\xff";
  for (const std::string& key : {std::string("p"), ff, ff + "\x01", ff + "\xff", std::string("q"),
                                 std::string("\xff\x01")}) {
    ASSERT_TRUE(store->put(key, "v"));
  }
  auto listed = store->list(ff);
  ASSERT_TRUE(listed);
  EXPECT_THAT(keys_of(listed->kvs), ElementsAre(ff, ff + "\x01", ff + "\xff"));
  auto all_ff = store->list("\xff");  // no upper bound: range_end "\0"
  ASSERT_TRUE(all_ff);
  EXPECT_THAT(keys_of(all_ff->kvs), ElementsAre("\xff\x01"));
  auto everything = store->list("");
  ASSERT_TRUE(everything);
  EXPECT_EQ(everything->kvs.size(), 6u);

  Txn txn;
  txn.success = {TxnOp::put("r", "1"), TxnOp::get_prefix(ff), TxnOp::remove_prefix(ff),
                 TxnOp::get("q")};
  auto result = store->txn(txn);
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_TRUE(result->succeeded);
  ASSERT_EQ(result->reads.size(), 4u);
  EXPECT_TRUE(result->reads[0].empty());
  EXPECT_EQ(result->reads[1].size(), 3u);
  EXPECT_TRUE(result->reads[2].empty());
  EXPECT_THAT(keys_of(result->reads[3]), ElementsAre("q"));
  auto left = store->list("p");
  ASSERT_TRUE(left);
  EXPECT_THAT(keys_of(left->kvs), ElementsAre("p"));
}

// ---- TLS ----

bool run(const std::string& command) {
  return std::system(("(" + command + ") >/dev/null 2>&1").c_str()) == 0;
}

// A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl.
struct Certificates {
  std::filesystem::path dir;
  bool make() {
    char tmpl[] = "/tmp/weft-tls-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return false;
    dir = tmpl;
    std::ofstream(dir / "server.ext")
        << "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n";
    std::ofstream(dir / "client.ext") << "extendedKeyUsage=clientAuth\n";
    return run("set -e; cd " + dir.string() +
               "; k='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'"
               "; openssl req -x509 -days 1 $k -keyout ca.key -out ca.crt -subj /CN=weft-test-ca"
               "; for n in server client; do"
               "  openssl req $k -keyout $n.key -out $n.csr -subj /CN=weft-$n;"
               "  openssl x509 -req -days 1 -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial"
               "    -extfile $n.ext -out $n.crt; done");
  }
  std::string file(const char* name) const { return (dir / name).string(); }
  ~Certificates() {
    std::error_code ignored;
    if (!dir.empty()) std::filesystem::remove_all(dir, ignored);
  }
};

TEST(EtcdStoreTls, MutualTlsWorksAndAClientWithoutCertificateIsRefused) {
  WEFT_REQUIRE(run("which openssl"), "openssl is not installed");
  Certificates certs;
  ASSERT_TRUE(certs.make());
  EtcdServer server(EtcdServer::Tls{.cert_file = certs.file("server.crt"),
                                    .key_file = certs.file("server.key"),
                                    .ca_file = certs.file("ca.crt")});
  ASSERT_TRUE(server.start());

  auto store = EtcdStore::connect({.endpoints = {server.endpoint()},
                                   .tls_ca_file = certs.file("ca.crt"),
                                   .tls_cert_file = certs.file("client.crt"),
                                   .tls_key_file = certs.file("client.key")});
  ASSERT_TRUE(store) << store.error().describe();
  auto put = (*store)->put("/tls", "secret");
  ASSERT_TRUE(put) << put.error().describe();
  auto got = (*store)->get("/tls");
  ASSERT_TRUE(got && *got);
  EXPECT_EQ((*got)->value, "secret");

  auto anonymous = EtcdStore::connect({.endpoints = {server.endpoint()},
                                       .tls_ca_file = certs.file("ca.crt"),
                                       .request_timeout = 1s});
  ASSERT_TRUE(anonymous);
  auto refused = (*anonymous)->get("/tls");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::unavailable);

  auto plaintext = connect_or_die({server.endpoint()}, 1s);
  ASSERT_TRUE(plaintext);
  EXPECT_FALSE(plaintext->get("/tls"));
}

}  // namespace
}  // namespace weft::store
