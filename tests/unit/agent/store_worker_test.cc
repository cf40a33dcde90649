// StoreWorker: store calls run off the loop, one at a time in the order posted, and their
// results come back on the loop thread; drain() and pending() let tests and /metrics see the
// queue; destruction with jobs queued neither hangs nor runs a completion.
#include "agent/store_worker.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "gated_store.h"
#include "store/store.h"

namespace weft::agent {
namespace {

struct Fixture {
  asio::io_context io;
  std::unique_ptr<store::Store> memory = *store::open_store({.url = "memory:"});
  GatedStore store{*memory};
  std::unique_ptr<StoreWorker> worker = std::make_unique<StoreWorker>(io, store);
  ~Fixture() {
    store.open();  // a job held at the gate would keep the worker from joining
    worker.reset();
  }
};

TEST(StoreWorker, RunsJobsInOrderOffTheLoopAndCompletesThemOnIt) {
  Fixture f;
  const auto loop_thread = std::this_thread::get_id();
  std::vector<int64_t> revisions;
  bool off_loop = true, on_loop = true;
  for (int i = 0; i < 3; ++i) {
    f.worker->post(
        [&, i](store::Store& store) {
          off_loop &= std::this_thread::get_id() != loop_thread;
          return store.put("/k", std::to_string(i));
        },
        [&](Result<int64_t> revision) {
          on_loop &= std::this_thread::get_id() == loop_thread;
          revisions.push_back(revision.value_or(-1));
        });
  }
  ASSERT_TRUE(f.worker->drain());
  EXPECT_TRUE(revisions.empty()) << "completions run on the loop, not before it runs";
  f.io.poll();
  EXPECT_TRUE(off_loop);
  EXPECT_TRUE(on_loop);
  ASSERT_EQ(revisions.size(), 3u);
  EXPECT_LT(revisions[0], revisions[1]);
  EXPECT_LT(revisions[1], revisions[2]);
  EXPECT_EQ(f.memory->get("/k").value()->value, "2") << "the last write posted is the last applied";
}

TEST(StoreWorker, AHungJobHoldsTheOnesAfterItButNotTheLoop) {
  Fixture f;
  f.store.close();
  int done = 0;
  for (int i = 0; i < 2; ++i) {
    f.worker->post([](store::Store& store) { return store.put("/k", "v"); }, [&](Result<int64_t>) { ++done; });
  }
  ASSERT_TRUE(f.store.await_waiting(1));
  EXPECT_EQ(f.worker->pending(), 2u);
  EXPECT_FALSE(f.worker->drain(std::chrono::milliseconds(1)));
  bool served = false;
  asio::post(f.io, [&] { served = true; });
  f.io.poll();
  EXPECT_TRUE(served) << "the loop runs while the store hangs";
  EXPECT_EQ(done, 0);

  f.store.open();
  ASSERT_TRUE(f.worker->drain());
  f.io.poll();
  EXPECT_EQ(done, 2);
  EXPECT_EQ(f.worker->pending(), 0u);
}

TEST(StoreWorker, StopsAfterTheJobInProgressAndDropsTheQueuedOnes) {
  Fixture f;
  f.store.close();
  int done = 0;
  bool second_ran = false;
  f.worker->post([](store::Store& store) { return store.put("/k", "1"); }, [&](Result<int64_t>) { ++done; });
  // What the second job holds is released when the worker drops it: that opens the gate and
  // lets the first job finish, so the destructor's join returns.
  auto opener = std::shared_ptr<GatedStore>(&f.store, [](GatedStore* gate) { gate->open(); });
  f.worker->post(
      [&second_ran, opener](store::Store& store) {
        second_ran = true;
        return store.put("/k", "2");
      },
      [&](Result<int64_t>) { ++done; });
  opener.reset();
  ASSERT_TRUE(f.store.await_waiting(1));  // the first job is in progress, the second queued
  f.worker.reset();
  f.io.poll();
  EXPECT_FALSE(second_ran);
  EXPECT_EQ(done, 1) << "the job in progress completes on the loop; the dropped one never does";
  EXPECT_EQ(f.memory->get("/k").value()->value, "1");
  f.io.restart();
  EXPECT_EQ(f.io.poll(), 0u) << "nothing is left holding the loop";
}

}  // namespace
}  // namespace weft::agent
